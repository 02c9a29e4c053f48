import Testing
import TapeGrad

@Test("max and min give the gradient to the first of tied elements, along any axis")
func extremaTies() {
    let x = Tensor<Double>([[1, 5, 5], [7, 7, 2]])
    #expect(x.max() == Tensor(scalar: 7) && x.min() == Tensor(scalar: 1))
    #expect(x.max(alongAxis: 1) == Tensor([5, 7]))
    #expect(x.max(alongAxis: 0) == Tensor([7, 7, 5]))
    #expect(x.min(alongAxis: 0) == Tensor([1, 5, 2]))
    let tape = Tape<Double>()
    let v = tape.variable(x)
    #expect(tape.gradients(of: v.max(), withRespectTo: [v])[0] == Tensor([[0, 0, 0], [1, 0, 0]]))
    #expect(tape.gradients(of: v.max(alongAxis: 1), withRespectTo: [v], seed: Tensor([10, 20]))[0]
            == Tensor([[0, 10, 0], [20, 0, 0]]))
    #expect(tape.gradients(of: v.max(alongAxis: 0), withRespectTo: [v], seed: Tensor([1, 2, 3]))[0]
            == Tensor([[0, 0, 3], [1, 2, 0]]))
    #expect(Tensor<Float>([3, .nan, 4]).max().scalar.isNaN)
}

@Test("maximum and minimum broadcast and send ties to the first argument")
func elementwiseExtremaTies() {
    let tape = Tape<Double>()
    let a = tape.variable(Tensor([[1, 2, 3], [4, 5, 6]]))
    let b = tape.variable(Tensor([2, 2, 2]))
    let y = maximum(a, b)
    #expect(y.value == Tensor([[2, 2, 3], [4, 5, 6]]))
    let g = tape.gradients(of: y, withRespectTo: [a, b])
    #expect(g[0] == Tensor([[0, 1, 1], [1, 1, 1]]))  // the tie at (0, 1) goes to a
    #expect(g[1] == Tensor([1, 0, 0]))
    let z = minimum(a, b)
    #expect(z.value == Tensor([[1, 2, 2], [2, 2, 2]]))
    let h = tape.gradients(of: z, withRespectTo: [a, b])
    #expect(h[0] == Tensor([[1, 1, 0], [0, 0, 0]]))
    #expect(h[1] == Tensor([1, 1, 2]))
    #expect(maximum(Tensor<Float>([1, .nan]), Tensor<Float>([.nan, 1])).scalars.allSatisfy { $0.isNaN })
}

@Test("abs, sqrt and pow at their special points")
func elementwiseSpecialPoints() {
    let tape = Tape<Double>()
    let x = tape.variable(Tensor([-2, 0, 3]))
    #expect(abs(x).value == Tensor([2, 0, 3]))
    #expect(tape.gradients(of: abs(x).sum(), withRespectTo: [x])[0] == Tensor([-1, 0, 1]))
    #expect(tape.gradients(of: pow(x, 0).sum(), withRespectTo: [x])[0] == Tensor([0, 0, 0]))
    #expect(pow(x, 0).value == Tensor([1, 1, 1]))
    #expect(pow(x, 2).value == Tensor([4, 0, 9]))
    #expect(tape.gradients(of: pow(x, 3).sum(), withRespectTo: [x])[0] == Tensor([12, 0, 27]))
    let r = tape.variable(Tensor([0, 4, 9]))
    #expect(sqrt(r).value == Tensor([0, 2, 3]))
    #expect(tape.gradients(of: sqrt(r).sum(), withRespectTo: [r])[0] == Tensor([.infinity, 0.25, 1.0 / 6]))
    // aᵇ at a = 0: the exponent's gradient is 0, not NaN.
    let (a, e) = (tape.variable(Tensor([0, 2])), tape.variable(Tensor([2, 3])))
    let gs = tape.gradients(of: pow(a, e).sum(), withRespectTo: [a, e])
    #expect(gs[0] == Tensor([0, 12]))
    #expect(gs[1].scalars[0] == 0)
    #expect(abs(gs[1].scalars[1] - 8 * Double.log(2)) < 1e-12)
}
