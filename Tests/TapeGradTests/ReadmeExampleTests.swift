import Foundation
import Testing
import TapeGrad

/// The README's example, verbatim (between the markers), so it always compiles; the test then
/// checks its numbers against a hand computation.
@Test("the README example compiles and computes the right gradient")
func readmeExample() {
    // README begin
    let tape = Tape<Double>()
    let w = tape.variable(Tensor([[0.5, -1], [2, 0.1]]), name: "w")
    let b = tape.variable(Tensor([0.0, 0.1]), name: "b")
    let x = tape.variable(Tensor([[1.0, 2], [3, 4]]))   // inputs are leaves like any other
    let target = Tensor<Double>([[1, 0], [0, 1]])

    let prediction = sigmoid(matmul(x, w) + b)          // the bias broadcasts over rows
    let loss = square(prediction - target).sum()

    // Gradients come back as values; asking again gives the same answer.
    let grads = tape.gradients(of: loss, withRespectTo: [w, b])
    // README end

    // Hand computation: z = x·w + b, p = σ(z), ∂loss/∂z = 2(p − t) p (1 − p).
    let z: [[Double]] = [[4.5, -0.7], [9.5, -2.5]]  // x·w + b by hand
    let t = [[1.0, 0], [0, 1]]
    var dz = [[0.0, 0], [0, 0]]
    var expectedLoss = 0.0
    for i in 0..<2 {
        for j in 0..<2 {
            let p: Double = 1 / (1 + Foundation.exp(-z[i][j]))
            expectedLoss += (p - t[i][j]) * (p - t[i][j])
            dz[i][j] = 2 * (p - t[i][j]) * p * (1 - p)
        }
    }
    let xs = [[1.0, 2], [3, 4]]
    // Explicit element types: inferred, this one line took 14 s to type-check.
    let dwRows: [[Double]] = (0..<2).map { (r: Int) -> [Double] in
        (0..<2).map { (c: Int) -> Double in xs[0][r] * dz[0][c] + xs[1][r] * dz[1][c] }
    }
    let dw = Tensor(dwRows)
    let db = Tensor([dz[0][0] + dz[1][0], dz[0][1] + dz[1][1]])
    #expect(abs(loss.value.scalar - expectedLoss) < 1e-12)
    #expect(grads[0].isApproximatelyEqual(to: dw, absoluteTolerance: 1e-12))
    #expect(grads[1].isApproximatelyEqual(to: db, absoluteTolerance: 1e-12))
    #expect(tape.graphviz().contains("sigmoid"))
}
