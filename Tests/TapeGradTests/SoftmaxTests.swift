import Testing
import TapeGrad

@Test("softmax of large logits does not overflow and sums to 1 in Float and Double")
func softmaxLargeLogits() {
    let f = softmax(Tensor<Float>([[1000, 1000, 999], [-1000, -1000, -1000], [0, 80, 90]]))
    #expect(f.scalars.allSatisfy { $0.isFinite })
    for row in 0..<3 { #expect(abs(f[row, 0] + f[row, 1] + f[row, 2] - 1) < 1e-6) }
    #expect(abs(f[0, 0] - 1 / (2 + Float.exp(-1))) < 1e-6)
    #expect(abs(f[1, 2] - 1.0 / 3) < 1e-6)
    let d = softmax(Tensor<Double>([1000, 1000, 999]))
    #expect(abs(d.scalars[2] - Double.exp(-1) / (2 + Double.exp(-1))) < 1e-15)
}

@Test("log-softmax stays finite at −1000, where log(softmax) is −∞")
func logSoftmaxExtreme() {
    for x in [Tensor<Float>([[-1000, 0]]).converted(to: Double.self), Tensor<Double>([[-1000, 0]])] {
        let y = logSoftmax(x)
        #expect(abs(y[0, 0] - -1000) < 1e-9 && abs(y[0, 1]) < 1e-9)
        #expect(log(softmax(x))[0, 0] == -.infinity)  // why the op exists
    }
    let f = logSoftmax(Tensor<Float>([[-1000, 0]]))
    #expect(f[0, 0] == -1000 && f[0, 1] == 0)
    let uniform = logSoftmax(Tensor<Double>([-1000, -1000, -1000, -1000]))
    #expect(uniform.scalars.allSatisfy { abs($0 - Double.log(0.25)) < 1e-15 })
}

@Test("cross-entropy against a hand value, both reductions, and against its unfused composition")
func crossEntropyValues() {
    let tape = Tape<Double>(recording: false)
    let logits = tape.variable(Tensor([[2, 1, 0], [0, 0, 0]]))
    // Row 0: −log(e² / (e² + e + 1)) = log(1 + e⁻¹ + e⁻²) = 0.4076059644443804…; row 1: log 3.
    let row0 = Double.log(1 + Double.exp(-1) + Double.exp(-2)), row1 = Double.log(3)
    #expect(abs(row0 - 0.407_605_964_444_380_4) < 1e-15)
    let sum = crossEntropy(logits: logits, labels: [0, 2], reduction: .sum).value.scalar
    #expect(abs(sum - (row0 + row1)) < 1e-12)
    let mean = crossEntropy(logits: logits, labels: [0, 2]).value.scalar
    #expect(abs(mean - (row0 + row1) / 2) < 1e-12)
    let oneHot = Tensor<Double>([[1, 0, 0], [0, 0, 1]])
    #expect(abs(crossEntropy(logits: logits, probabilities: oneHot).value.scalar - mean) < 1e-12)

    // The fused op against −mean(Σ t ⊙ logSoftmax(x)), values and gradients, in Float.
    var g = SplitMix64(seed: 3)
    let x = Tensor<Float>.normal([6, 4], standardDeviation: 3, generator: &g)
    let t = softmax(Tensor<Float>.normal([6, 4], generator: &g))
    let fusedTape = Tape<Float>(), plainTape = Tape<Float>()
    let (xf, xp) = (fusedTape.variable(x), plainTape.variable(x))
    let fused = crossEntropy(logits: xf, probabilities: t)
    let plain = -((logSoftmax(xp) * t).sum() * (1 / 6))
    #expect(abs(fused.value.scalar - plain.value.scalar) < 1e-5)
    let gf = fusedTape.gradients(of: fused, withRespectTo: [xf])[0]
    let gp = plainTape.gradients(of: plain, withRespectTo: [xp])[0]
    #expect(gf.isApproximatelyEqual(to: gp, absoluteTolerance: 1e-6, relativeTolerance: 1e-4))
}

@Test("softmax and log-softmax in Float match Double")
func softmaxFloatMatchesDouble() {
    var g = SplitMix64(seed: 9)
    let x = Tensor<Double>.normal([5, 37], standardDeviation: 10, generator: &g)
    let xf = x.converted(to: Float.self)
    #expect(softmax(xf).converted(to: Double.self).isApproximatelyEqual(to: softmax(x), absoluteTolerance: 1e-7, relativeTolerance: 1e-5))
    #expect(logSoftmax(xf).converted(to: Double.self).isApproximatelyEqual(to: logSoftmax(x), absoluteTolerance: 1e-5, relativeTolerance: 1e-5))
}
