import Testing
import TapeGrad
import TapeGradCheck
@testable import TapeGradLayers

@Test("a graph with if, if/else and for builds, names parameters and prints a summary")
func graphBuilder() throws {
    let deep = true, sizes = [8, 4, 8]
    let graph = try Graph {
        Dense(inputSize: 10, outputSize: sizes[0], activation: .sigmoid, name: "encoder")
        for (i, size) in sizes.dropFirst().enumerated() {
            Dense(inputSize: sizes[i], outputSize: size, activation: .relu)
        }
        if deep { Dropout(rate: 0.1) }
        if sizes.count > 5 { Tanh() } else { Identity() }
        Dense(inputSize: 8, outputSize: 10, name: "decoder")
    }
    let p: Parameters<Double> = graph.initialParameters(seed: 1)
    #expect(p.names == ["encoder.weight", "encoder.bias", "1.weight", "1.bias", "2.weight", "2.bias", "decoder.weight", "decoder.bias"])
    #expect(p.regularized == [true, false, true, false, true, false, true, false])
    #expect(graph.parameterCount == 10 * 8 + 8 + 8 * 4 + 4 + 4 * 8 + 8 + 8 * 10 + 10)
    let summary = graph.description
    #expect(summary.contains("encoder") && summary.contains("[batch, 10]") && summary.contains("Total parameters: \(graph.parameterCount)"))
    #expect(summary.contains("Dropout(0.1)") && summary.contains("Identity") && summary.contains("Dense(relu)"))
    #expect(graph.inputs.map(\.name) == ["input"] && graph.outputs.map(\.shape) == [.dense(10)])
}

@Test("a shape mismatch is reported at build time, naming the layer, its input and both shapes")
func graphShapeError() {
    #expect(throws: GraphError("Dense 'decoder' (input 'encoder'): expects input of shape [batch, 6] but receives [batch, 5]")) {
        try Graph {
            Dense(inputSize: 3, outputSize: 5, name: "encoder")
            Dense(inputSize: 6, outputSize: 3, name: "decoder")
        }
    }
    #expect(throws: GraphError.self) { try Graph { Sigmoid() } }
}

@Test("validate names the parameter and both shapes")
func validateParameters() throws {
    let graph = try Graph { Dense(inputSize: 3, outputSize: 2, name: "a") }
    var p: Parameters<Float> = graph.initialParameters(seed: 1)
    try graph.validate(p)
    let other = try Graph { Dense(inputSize: 4, outputSize: 2, name: "a") }
    p = other.initialParameters(seed: 1)
    #expect(throws: GraphError("parameter 'a.weight' has shape [4, 2] but the graph needs [3, 2]")) { try graph.validate(p) }
}

@Test("initialisers are seeded and have the documented scale")
func initializers() {
    var g = SplitMix64(seed: 3)
    let w: Tensor<Double> = Initializer.glorotUniform.make([200, 300], generator: &g)
    let a = (6.0 / 500).squareRoot()
    #expect(w.scalars.allSatisfy { abs($0) <= a })
    let variance = w.squared().mean().scalar
    #expect(abs(variance - a * a / 3) < 0.05 * a * a / 3)
    var g2 = SplitMix64(seed: 3)
    #expect(Initializer.glorotUniform.make([200, 300], generator: &g2) == w)
    let he: Tensor<Double> = Initializer.heNormal.make([400, 100], generator: &g)
    #expect(abs(he.squared().mean().scalar - 2.0 / 400) < 0.1 * 2.0 / 400)
    let z: Tensor<Float> = Initializer.zeros.make([3], generator: &g)
    #expect(z == .zeros([3]))
}

@Test("dropout is active only in training and keeps the expected value")
func dropout() throws {
    let graph = try Graph(inputSize: 1000) { Dropout(rate: 0.5) }
    let x = Tensor<Double>.ones([1, 1000])
    #expect(try graph.predict(x, parameters: Parameters()) == x)
    let tape = Tape<Double>()
    let context = ForwardContext(tape: tape, isTraining: true, generator: SplitMix64(seed: 9))
    let y = try graph(.constant(x), parameters: [], context: context).value
    #expect(Set(y.scalars) == [0, 2])
    #expect(abs(y.mean().scalar - 1) < 0.1)
}

@Test("a whole network's gradient matches finite differences (directional, Double)")
func graphGradient() throws {
    let graph = try Graph {
        Dense(inputSize: 6, outputSize: 5, activation: .tanh)
        Dense(inputSize: 5, outputSize: 4, activation: .relu)
        Sigmoid()
        Dense(inputSize: 4, outputSize: 3)
    }
    let p: Parameters<Double> = graph.initialParameters(seed: 4)
    var g = SplitMix64(seed: 5)
    let x = Tensor<Double>.normal([7, 6], generator: &g)
    let t = Tensor<Double>.normal([7, 3], generator: &g)
    let report = try GradientCheck.run("mlp", at: p.tensors, mode: .directional(samples: 10)) { tape, v in
        let y = try graph(.constant(x), parameters: v, context: ForwardContext(tape: tape, isTraining: true))
        return meanSquaredError(y, t) + frobeniusPenalty([v[0], v[2]]) * 0.1
    }
    #expect(report.passed, "\(report)")
}

@Test("the training loop lowers the loss, stops early on validation and restores the best epoch")
func trainingLoop() throws {
    // Least squares y = x·w* with an SGD-like optimizer defined inline (the optimizers have
    // their own tests): a plain gradient step.
    struct Step: Optimizer {
        var rate: Double
        mutating func update(_ p: inout Parameters<Double>, along g: Parameters<Double>) {
            p = p.withTensors(zip(p.tensors, g.tensors).map { $0 - $1 * rate })
        }
        var state: Parameters<Double> { Parameters() }
        mutating func restore(_ state: Parameters<Double>) throws(OptimizerStateError) {}
    }
    let graph = try Graph { Dense(inputSize: 3, outputSize: 1) }
    var g = SplitMix64(seed: 1)
    let x = Tensor<Double>.normal([32, 3], generator: &g)
    let y = matmul(x, Tensor([[1], [-2], [0.5]]))
    var p: Parameters<Double> = graph.initialParameters(seed: 2)
    var optimizer = Step(rate: 0.05)
    var validations = [Double]()
    let result = train(&p, optimizer: &optimizer, configuration: TrainingConfiguration(epochs: 200, patience: 3),
                       batches: { epoch in shuffledBatches(count: 32, size: 8, seed: 7, epoch: epoch) },
                       objective: { rows, params in
                           let xb = Tensor(shape: [rows.count, 3], scalars: rows.flatMap { x.scalars[$0 * 3..<$0 * 3 + 3] })
                           let yb = Tensor(shape: [rows.count, 1], scalars: rows.map { y.scalars[$0] })
                           return try! valueAndGradient(at: params) { tape, v in
                               let out = try graph(.constant(xb), parameters: v, context: ForwardContext(tape: tape, isTraining: true))
                               return meanSquaredError(out, yb)
                           }
                       },
                       validate: { params in
                           // Validation that stops improving: the epoch number past 10.
                           let mse = (try! graph.predict(x, parameters: params) - y).squared().mean().scalar
                           let v = validations.count < 10 ? mse : mse + Double(validations.count)
                           validations.append(v)
                           return v
                       })
    #expect(result.history.first!.trainLoss > result.history.last!.trainLoss)
    #expect(result.stopReason == .earlyStopped)
    #expect(result.selectedEpoch == 10)
    #expect(result.history.count == 13)
    #expect(result.bestValidation == validations[9])
}

@Test("shuffled batches cover every index once and are reproducible")
func batches() {
    let a = shuffledBatches(count: 10, size: 3, seed: 1, epoch: 2)
    #expect(a.map(\.count) == [3, 3, 3, 1])
    #expect(a.flatMap { $0 }.sorted() == Array(0..<10))
    #expect(a == shuffledBatches(count: 10, size: 3, seed: 1, epoch: 2))
    #expect(a != shuffledBatches(count: 10, size: 3, seed: 1, epoch: 3))
}

@Test("Dense with W stored outputs × inputs: same initial values (transposed), outputs and gradients as the default layout")
func denseWeightLayouts() throws {
    func graph(_ layout: WeightLayout) throws -> Graph {
        try Graph {
            Input("x", sparse: 7)
            Dense(inputSize: 7, outputSize: 5, activation: .sigmoid, name: "encoder")
            Dense(inputSize: 5, outputSize: 7, activation: .identity, weightLayout: layout, name: "decoder")
        }
    }
    let (a, b) = (try graph(.inputsByOutputs), try graph(.outputsByInputs))
    let pa: Parameters<Double> = a.initialParameters(seed: 11)
    let pb: Parameters<Double> = b.initialParameters(seed: 11)
    #expect(pb["decoder.weight"]!.shape == [7, 5])
    #expect(pb["decoder.weight"]! == pa["decoder.weight"]!.transposed)
    #expect(pb["encoder.weight"]! == pa["encoder.weight"]!)

    var g = SplitMix64(seed: 3)
    let x = Tensor<Double>.uniform([4, 7], lower: -1, upper: 1, generator: &g)
    let sparse = SparseMatrix<Double>(rows: 4, columns: 7, rowIndices: [0, 0, 1, 2, 3, 3], columnIndices: [1, 6, 0, 3, 2, 5],
                                      values: [1, -2, 0.5, 3, 1, 4])
    for sparseInput in [false, true] {
        // Loss: sum of squares of the outputs, densely, or at the sparse input's own pattern.
        func lossAndGradients(_ graph: Graph, _ p: Parameters<Double>) -> (Double, [Tensor<Double>]) {
            let tape = Tape<Double>()
            let vars = p.tensors.map { tape.variable($0) }
            let value: Variable<Double>
            let context = ForwardContext<Double>(tape: tape, isTraining: false)
            if sparseInput {
                value = try! graph.evaluation(.sparse(sparse), parameters: vars, context: context).output(at: sparse)
            } else {
                value = try! graph(.constant(x), parameters: vars, context: context)
            }
            let loss = (value * value).sum()
            return (loss.value.scalar, tape.gradients(of: loss, withRespectTo: vars))
        }
        let (la, ga) = lossAndGradients(a, pa)
        let (lb, gb) = lossAndGradients(b, pb)
        #expect(abs(la - lb) <= 1e-12 * abs(la))
        #expect(gb[2].isApproximatelyEqual(to: ga[2].transposed, absoluteTolerance: 1e-12))
        for i in [0, 1, 3] { #expect(gb[i].isApproximatelyEqual(to: ga[i], absoluteTolerance: 1e-12)) }
    }
}

@Test("Gaussian noise: training only, σ as declared, reproducible from the seed, on sparse input only the stored entries")
func gaussianNoise() throws {
    let graph = try Graph(inputSize: 4000) { GaussianNoise(standardDeviation: 0.5) }
    let x = Tensor<Double>.ones([1, 4000])
    #expect(try graph.predict(x, parameters: Parameters()) == x)
    func noisy(seed: UInt64) throws -> Tensor<Double> {
        let tape = Tape<Double>()
        return try graph(.constant(x), parameters: [], context: ForwardContext(tape: tape, isTraining: true, generator: SplitMix64(seed: seed))).value
    }
    let y = try noisy(seed: 3)
    let (again, other) = (try noisy(seed: 3), try noisy(seed: 4))
    #expect(y == again && y != other)
    let noise = y - x
    #expect(abs(noise.mean().scalar) < 0.03 && abs(noise.squared().mean().scalar.squareRoot() - 0.5) < 0.03)

    let sparseGraph = try Graph { Input("r", sparse: 5); GaussianNoise(standardDeviation: 0.5) }
    let s = SparseMatrix<Double>(rows: 2, columns: 5, rowIndices: [0, 1], columnIndices: [3, 0], values: [4, 2])
    let tape = Tape<Double>(recording: false)
    let out = try sparseGraph.evaluation(.sparse(s), parameters: [], context: ForwardContext(tape: tape, isTraining: true)).output().value
    for r in 0..<2 {
        for c in 0..<5 where !(r == 0 && c == 3) && !(r == 1 && c == 0) { #expect(out[r, c] == 0) }
    }
    #expect(out[0, 3] != 4 && out[1, 0] != 2)
}
