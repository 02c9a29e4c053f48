import Testing
import TapeGrad
import TapeGradCheck

/// One line of the gradient-check table: an op applied to inputs.
struct OpCase: Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [Tensor<Double>]
    let mode: GradientCheck.Mode
    let function: @Sendable (Tape<Double>, [Variable<Double>]) -> Variable<Double>

    init(_ name: String, _ inputs: [Tensor<Double>], mode: GradientCheck.Mode = .full,
         _ function: @escaping @Sendable (Tape<Double>, [Variable<Double>]) -> Variable<Double>) {
        self.name = name
        self.inputs = inputs
        self.mode = mode
        self.function = function
    }

    var testDescription: String { name }
}

/// Deterministic test data: normal values, or values in a range away from kinks and poles.
func random(_ shape: [Int], seed: UInt64, lower: Double? = nil, upper: Double? = nil) -> Tensor<Double> {
    var g = SplitMix64(seed: seed)
    if let lower, let upper { return Tensor.uniform(shape, lower: lower, upper: upper, generator: &g) }
    return Tensor.normal(shape, generator: &g)
}

/// A random sparse pattern with some empty rows and columns.
func randomSparse(rows: Int, columns: Int, density: Double, seed: UInt64, emptyRows: Set<Int> = []) -> SparseMatrix<Double> {
    var g = SplitMix64(seed: seed)
    var r = [Int](), c = [Int](), v = [Double]()
    for i in 0..<rows where !emptyRows.contains(i) {
        for j in 0..<columns where g.nextUnit() < density {
            r.append(i); c.append(j); v.append(Double(1 + g.nextInt(below: 5)))
        }
    }
    return SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v)
}

let pattern = randomSparse(rows: 5, columns: 7, density: 0.4, seed: 11, emptyRows: [2])
let mask = Tensor<Double>(shape: [3, 4], scalars: [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1])

/// Every op, one line each. Add a line here for every new op (Docs/AddingAnOp.md).
let opTable: [OpCase] = [
    OpCase("add", [random([3, 4], seed: 1), random([3, 4], seed: 2)]) { _, v in v[0] + v[1] },
    OpCase("add row broadcast (bias)", [random([3, 4], seed: 1), random([4], seed: 2)]) { _, v in v[0] + v[1] },
    OpCase("add scalar broadcast", [random([3, 4], seed: 1), random([], seed: 2)]) { _, v in v[0] + v[1] },
    OpCase("add column broadcast", [random([3, 1], seed: 1), random([3, 4], seed: 2)]) { _, v in v[0] + v[1] },
    OpCase("add outer broadcast", [random([3, 1], seed: 1), random([1, 4], seed: 2)]) { _, v in v[0] + v[1] },
    OpCase("subtract broadcast", [random([3, 4], seed: 3), random([4], seed: 4)]) { _, v in v[0] - v[1] },
    OpCase("subtract reversed broadcast", [random([4], seed: 3), random([3, 4], seed: 4)]) { _, v in v[0] - v[1] },
    OpCase("multiply", [random([3, 4], seed: 5), random([3, 4], seed: 6)]) { _, v in v[0] * v[1] },
    OpCase("multiply broadcast", [random([2, 3, 4], seed: 5), random([3, 1], seed: 6)]) { _, v in v[0] * v[1] },
    OpCase("divide", [random([3, 4], seed: 7), random([3, 4], seed: 8, lower: 0.5, upper: 2)]) { _, v in v[0] / v[1] },
    OpCase("divide broadcast", [random([3, 4], seed: 7), random([4], seed: 8, lower: -2, upper: -0.5)]) { _, v in v[0] / v[1] },
    OpCase("negate", [random([3, 4], seed: 9)]) { _, v in -v[0] },
    OpCase("scale", [random([3, 4], seed: 10)]) { _, v in v[0] * 2.5 },
    OpCase("shift", [random([3, 4], seed: 10)]) { _, v in v[0] + 1.5 },
    OpCase("square", [random([3, 4], seed: 11)]) { _, v in square(v[0]) },
    OpCase("exp", [random([3, 4], seed: 12)]) { _, v in exp(v[0]) },
    OpCase("log", [random([3, 4], seed: 13, lower: 0.2, upper: 3)]) { _, v in log(v[0]) },
    OpCase("sigmoid", [random([3, 4], seed: 14)]) { _, v in sigmoid(v[0]) },
    OpCase("sigmoid extreme", [Tensor([-1000, -40, 0, 40, 1000])]) { _, v in sigmoid(v[0]) },
    OpCase("tanh", [random([3, 4], seed: 15)]) { _, v in tanh(v[0]) },
    OpCase("tanh extreme", [Tensor([-1000, -20, 0, 20, 1000])]) { _, v in tanh(v[0]) },
    OpCase("relu", [Tensor([-2, -0.5, 0.3, 1.7, -1e-3, 2e-3])]) { _, v in relu(v[0]) },
    OpCase("identity", [random([3, 4], seed: 16)]) { _, v in identity(v[0]) },
    OpCase("sum", [random([3, 4], seed: 17)]) { _, v in v[0].sum() },
    OpCase("mean", [random([3, 4], seed: 18)]) { _, v in v[0].mean() },
    OpCase("sum axis 0", [random([3, 4], seed: 19)]) { _, v in v[0].sum(alongAxis: 0) },
    OpCase("sum axis 1", [random([3, 4], seed: 20)]) { _, v in v[0].sum(alongAxis: 1) },
    OpCase("mean axis 0", [random([3, 4], seed: 21)]) { _, v in v[0].mean(alongAxis: 0) },
    OpCase("mean axis 1", [random([3, 4], seed: 22)]) { _, v in v[0].mean(alongAxis: 1) },
    OpCase("reshape", [random([3, 4], seed: 23)]) { _, v in v[0].reshaped([2, 6]) },
    OpCase("transpose", [random([3, 4], seed: 24)]) { _, v in v[0].transposed },
    OpCase("gather (repeated indices)", [random([5], seed: 25)]) { _, v in gather(v[0], at: [4, 0, 4, 2, 4] as [Int32]) },
    OpCase("gather rows (embedding lookup, repeated Int ids)", [random([5, 3], seed: 25)]) { _, v in gather(v[0], at: [4, 0, 4, 2]) },
    OpCase("concatenate axis 1 (matrices side by side)", [random([3, 2], seed: 43), random([3, 4], seed: 44)]) {
        _, v in concatenate([v[0], v[1]], alongAxis: 1)
    },
    OpCase("concatenate axis 0 (three inputs, one reused)", [random([2, 3], seed: 45), random([1, 3], seed: 46)]) {
        _, v in concatenate([v[0], v[1], v[0]], alongAxis: 0)
    },
    OpCase("concatenate axis 1 of rank 3", [random([2, 3, 2], seed: 47), random([2, 1, 2], seed: 48)]) {
        _, v in concatenate([v[0], v[1]], alongAxis: 1)
    },
    OpCase("slice axis 1", [random([3, 5], seed: 49)]) { _, v in v[0].slicing(1..<4, alongAxis: 1) },
    OpCase("slice axis 0 of rank 3", [random([4, 2, 3], seed: 50)]) { _, v in v[0].slicing(2..<4, alongAxis: 0) },
    OpCase("abs", [Tensor([-2, -0.5, 0.3, 1.7, -1e-3, 2e-3])]) { _, v in abs(v[0]) },
    OpCase("sqrt", [random([3, 4], seed: 51, lower: 0.2, upper: 3)]) { _, v in sqrt(v[0]) },
    OpCase("pow scalar", [random([3, 4], seed: 52, lower: 0.2, upper: 3)]) { _, v in pow(v[0], 2.5) },
    OpCase("pow integer exponent, negative bases", [random([3, 4], seed: 53)]) { _, v in pow(v[0], 3) },
    OpCase("pow elementwise broadcast", [random([3, 4], seed: 54, lower: 0.2, upper: 3), random([4], seed: 55)]) {
        _, v in pow(v[0], v[1])
    },
    OpCase("maximum broadcast", [random([3, 4], seed: 56), random([4], seed: 57)]) { _, v in maximum(v[0], v[1]) },
    OpCase("minimum broadcast", [random([3, 1], seed: 58), random([3, 4], seed: 59)]) { _, v in minimum(v[0], v[1]) },
    OpCase("max", [random([3, 4], seed: 60)]) { _, v in v[0].max() },
    OpCase("min", [random([3, 4], seed: 61)]) { _, v in v[0].min() },
    OpCase("max axis 0", [random([3, 4], seed: 62)]) { _, v in v[0].max(alongAxis: 0) },
    OpCase("max axis 1 of rank 3", [random([2, 3, 4], seed: 63)]) { _, v in v[0].max(alongAxis: 1) },
    OpCase("min axis 1", [random([3, 4], seed: 64)]) { _, v in v[0].min(alongAxis: 1) },
    OpCase("softmax", [random([3, 5], seed: 65)]) { _, v in softmax(v[0]) },
    OpCase("softmax large logits, rank 3", [Tensor(shape: [2, 1, 3], scalars: [1000, 999.5, 998, -1000, 0, 1])]) {
        _, v in softmax(v[0])
    },
    OpCase("log softmax", [random([3, 5], seed: 66)]) { _, v in logSoftmax(v[0]) },
    OpCase("log softmax extreme logits", [Tensor([[-1000, 0, 1000], [-1000, -1000, -999]])]) { _, v in logSoftmax(v[0]) },
    OpCase("cross entropy, labels, mean", [random([4, 5], seed: 67)]) {
        _, v in crossEntropy(logits: v[0], labels: [1, 4, 0, 4])
    },
    OpCase("cross entropy, Int32 labels, sum", [random([4, 5], seed: 68)]) {
        _, v in crossEntropy(logits: v[0], labels: [3, 3, 2, 0] as [Int32], reduction: .sum)
    },
    OpCase("cross entropy, probabilities", [random([4, 5], seed: 69)]) {
        _, v in crossEntropy(logits: v[0], probabilities: random([4, 5], seed: 70, lower: 0, upper: 1))
    },
    OpCase("matmul", [random([3, 4], seed: 26), random([4, 5], seed: 27)]) { _, v in matmul(v[0], v[1]) },
    OpCase("matmul Aᵀ", [random([4, 3], seed: 26), random([4, 5], seed: 27)]) { _, v in matmul(v[0], v[1], transposeA: true) },
    OpCase("matmul Bᵀ", [random([3, 4], seed: 26), random([5, 4], seed: 27)]) { _, v in matmul(v[0], v[1], transposeB: true) },
    OpCase("matmul AᵀBᵀ", [random([4, 3], seed: 26), random([5, 4], seed: 27)]) {
        _, v in matmul(v[0], v[1], transposeA: true, transposeB: true)
    },
    OpCase("matmul 1×1", [random([1, 1], seed: 26), random([1, 3], seed: 27)]) { _, v in matmul(v[0], v[1]) },
    OpCase("sparse matmul (empty rows and columns)", [random([7, 3], seed: 28)]) { _, v in matmul(pattern, v[0]) },
    OpCase("sampled matmul", [random([5, 3], seed: 29), random([3, 7], seed: 30)]) {
        _, v in sampledMatmul(v[0], v[1], at: pattern)
    },
    OpCase("sampled matmul Bᵀ", [random([5, 3], seed: 29), random([7, 3], seed: 30)]) {
        _, v in sampledMatmul(v[0], v[1], transposeB: true, at: pattern)
    },
    OpCase("masked square loss", [random([3, 4], seed: 31)]) {
        _, v in maskedSquareLoss(v[0], target: random([3, 4], seed: 32), mask: mask)
    },
    OpCase("masked square loss, all-zero mask", [random([3, 4], seed: 31)]) {
        _, v in maskedSquareLoss(v[0], target: random([3, 4], seed: 32), mask: .zeros([3, 4]))
    },
    OpCase("sampled square loss", [random([pattern.nonzeroCount], seed: 33)]) {
        _, v in sampledSquareLoss(v[0], targets: pattern)
    },
    OpCase("sampled affine square loss", [random([5, 3], seed: 29), random([7, 3], seed: 30), random([7], seed: 31)]) {
        _, v in sampledAffineSquareLoss(v[0], v[1], bias: v[2], targets: pattern)
    },
    OpCase("frobenius penalty", [random([3, 4], seed: 34), random([4], seed: 35)]) { _, v in frobeniusPenalty(v) },
    OpCase("reuse a + a", [random([3, 4], seed: 36)]) { _, v in v[0] + v[0] },
    OpCase("reuse x * x", [random([3, 4], seed: 37)]) { _, v in v[0] * v[0] },
    OpCase("reuse through two paths", [random([3, 4], seed: 38)]) { _, v in sigmoid(v[0]) * tanh(v[0]) + v[0] },
    OpCase("two-layer network", [random([4, 3], seed: 39), random([3, 5], seed: 40), random([5], seed: 41)],
           mode: .directional(samples: 8)) { tape, v in
        let x = tape.variable(random([6, 4], seed: 42))
        return matmul(sigmoid(matmul(x, v[0]) * 1.0), v[1]).sum() + frobeniusPenalty([v[2]])
    },
]

@Test("every op matches finite differences (Double)", arguments: opTable)
func opGradient(_ op: OpCase) {
    let report = GradientCheck.run(op.name, at: op.inputs, mode: op.mode, op.function)
    #expect(report.passed, "\(report)")
    #expect(report.comparisons > 0)
}

@Test("directional mode agrees with full mode on every op", arguments: opTable)
func opGradientDirectional(_ op: OpCase) {
    let report = GradientCheck.run(op.name, at: op.inputs, mode: .directional(samples: 3), op.function)
    #expect(report.passed, "\(report)")
}

@Test("the checker catches a wrong pullback")
func checkerCatchesWrongPullback() {
    // y = x², with a pullback that forgets the factor 2.
    let report = GradientCheck.run("bad square", at: [random([2, 3], seed: 1)]) { tape, v in
        tape.record(v[0].value.squared(), op: "bad square", inputs: [v[0]]) { g, _ in [g * v[0].value] }
    }
    #expect(!report.passed)
    #expect(report.failures.count == 6)
    let message = report.failures[0].description
    #expect(message.contains("bad square") && message.contains("input 0, element 0") && message.contains("analytic"))

    let directional = GradientCheck.run("bad square", at: [random([2, 3], seed: 1)], mode: .directional(samples: 2)) { tape, v in
        tape.record(v[0].value.squared(), op: "bad square", inputs: [v[0]]) { g, _ in [g * v[0].value] }
    }
    #expect(!directional.passed)
}

@Test("a wrong broadcast reduction is caught")
func checkerCatchesMissingUnbroadcastSum() {
    // Bias add whose pullback takes the first row instead of summing over rows.
    let report = GradientCheck.run("bad bias", at: [random([3, 4], seed: 1), random([4], seed: 2)]) { tape, v in
        tape.record(v[0].value + v[1].value, op: "bad bias", inputs: [v[0], v[1]]) { g, _ in
            [g, Tensor(Array(g.scalars[0..<4]))]
        }
    }
    #expect(!report.passed)
}
