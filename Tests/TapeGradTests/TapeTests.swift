import Testing
import TapeGrad

@Test("gradients taken twice are identical, and nothing needs zeroing")
func gradientTwice() {
    let tape = Tape<Double>()
    let w = tape.variable(random([3, 2], seed: 1))
    let x = tape.variable(random([4, 3], seed: 2))
    let loss = square(sigmoid(matmul(x, w))).sum()
    let first = tape.gradients(of: loss, withRespectTo: [w, x])
    let second = tape.gradients(of: loss, withRespectTo: [w, x])
    #expect(first == second)
    let onlyW = tape.gradients(of: loss, withRespectTo: [w])
    #expect(onlyW[0] == first[0])
}

@Test("a node used twice accumulates: d(x·x + x)/dx = 2x + 1")
func reuseAccumulates() {
    let tape = Tape<Double>()
    let x = tape.variable(Tensor([1, -2, 3]))
    let y = (x * x + x).sum()
    let g = tape.gradients(of: y, withRespectTo: [x])[0]
    #expect(g == Tensor([3, -3, 7]))
}

@Test("a variable the output does not depend on gets a zero gradient of its shape")
func unrelatedVariableGetsZeros() {
    let tape = Tape<Double>()
    let x = tape.variable(Tensor([1, 2]))
    let unrelated = tape.variable(Tensor<Double>.ones([2, 3]))
    let later = tape.variable(Tensor([5]))
    let y = square(x).sum()
    let g = tape.gradients(of: y, withRespectTo: [unrelated, x, later])
    #expect(g[0] == .zeros([2, 3]))
    #expect(g[1] == Tensor([2, 4]))
    #expect(g[2] == .zeros([1]))
}

@Test("the gradient of the output with respect to itself is the seed")
func gradientOfOutputItself() {
    let tape = Tape<Double>()
    let x = tape.variable(Tensor([1, 2]))
    let y = x * 3
    let g = tape.gradients(of: y, withRespectTo: [y, x], seed: Tensor([1, 10]))
    #expect(g[0] == Tensor([1, 10]))
    #expect(g[1] == Tensor([3, 30]))
}

@Test("an intermediate node can be requested")
func intermediateGradient() {
    let tape = Tape<Double>()
    let x = tape.variable(Tensor([0.5, -1]))
    let h = x * 2
    let y = square(h).sum()
    let g = tape.gradients(of: y, withRespectTo: [h, x])
    #expect(g[0] == Tensor([2, -4]))
    #expect(g[1] == Tensor([4, -8]))
}

@Test("inference tape computes the same values and records nothing")
func inferenceTape() {
    let w = random([3, 2], seed: 3), x = random([4, 3], seed: 4)
    let recording = Tape<Float>()
    let a = sigmoid(matmul(recording.variable(x.converted()), recording.variable(w.converted())))
    let inference = Tape<Float>(recording: false)
    let b = sigmoid(matmul(inference.variable(x.converted()), inference.variable(w.converted())))
    #expect(a.value == b.value)
    #expect(inference.count == 0)
    #expect(recording.count == 4)
}

@Test("a deep chain does not overflow the stack (no recursion)")
func deepChain() {
    let tape = Tape<Double>()
    let x = tape.variable(Tensor([1.0]))
    var y = x
    for _ in 0..<100_000 { y = y * 1.0 }
    let g = tape.gradients(of: y.sum(), withRespectTo: [x])
    #expect(g[0] == Tensor([1.0]))
}

@Test("graphviz dump names every node and edge")
func graphvizDump() {
    let tape = Tape<Double>()
    let w = tape.variable(Tensor<Double>.ones([2, 2]), name: "weight")
    let x = tape.variable(Tensor<Double>.ones([1, 2]), name: "input")
    let loss = sigmoid(matmul(x, w)).sum()
    let dot = tape.graphviz(highlight: [w, loss])
    #expect(dot.hasPrefix("digraph tape {"))
    #expect(dot.contains("weight") && dot.contains("matmul") && dot.contains("sigmoid") && dot.contains("[1×2]"))
    #expect(dot.contains("n0 -> n2;") && dot.contains("n1 -> n2;") && dot.contains("n2 -> n3;") && dot.contains("n3 -> n4;"))
    #expect(dot.contains("fillcolor"))
}
