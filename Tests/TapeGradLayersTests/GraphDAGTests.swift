import Foundation
import Testing
import TapeGrad
import TapeGradCheck
@testable import TapeGradLayers
import TapeGradFormats

// Layer graphs that are not chains: several inputs and outputs, merges, sharing, tying,
// nesting, embeddings, evaluation at a pattern, and errors.

/// Biased matrix factorisation r̂ = pᵤ · qᵢ + bᵤ + bᵢ: the worked example of Docs/Layers.md.
func biasedMatrixFactorization(users: Int, items: Int, factors: Int) throws -> Graph {
    try Graph {
        let user = Input("user", ids: users), item = Input("item", ids: items)
        let p = Embedding(count: users, dimension: factors, initializer: .normal(standardDeviation: 0.3), name: "userFactors")(user)
        let q = Embedding(count: items, dimension: factors, initializer: .normal(standardDeviation: 0.3), name: "itemFactors")(item)
        let userBias = Embedding(count: users, dimension: 1, initializer: .normal(standardDeviation: 0.1), regularized: false, name: "userBias")
        let itemBias = Embedding(count: items, dimension: 1, initializer: .normal(standardDeviation: 0.1), regularized: false, name: "itemBias")
        RowDot()(p, q) + userBias(user) + itemBias(item)
    }
}

/// Loss and gradients of a closure on a fresh tape, in Double.
private func lossAndGradients(_ parameters: Parameters<Double>,
                              _ f: (Tape<Double>, [Variable<Double>]) throws -> Variable<Double>) rethrows -> (Double, Parameters<Double>) {
    let (loss, gradient) = try valueAndGradient(at: parameters) { tape, v in try f(tape, v) }
    return (Double(loss), gradient)
}

@Test("biased matrix factorisation as a graph: two id inputs, embeddings, a row-wise dot and biases; gradient-checked")
func matrixFactorizationGraph() throws {
    let graph = try biasedMatrixFactorization(users: 6, items: 5, factors: 3)
    #expect(graph.inputs.map(\.name) == ["user", "item"])
    #expect(graph.parameterSpecs.map(\.name) == ["userFactors.weight", "itemFactors.weight", "userBias.weight", "itemBias.weight"])
    #expect(graph.parameterSpecs.map(\.regularized) == [true, true, false, false])
    let p: Parameters<Double> = graph.initialParameters(seed: 2)
    let users: [Int32] = [0, 5, 2, 2, 3], items: [Int32] = [4, 0, 1, 1, 3]
    let ratings = Tensor<Double>(shape: [5, 1], scalars: [4, 1, 3, 5, 2])
    let prediction = try graph.predict(["user": .ids(users), "item": .ids(items)], parameters: p)
    for k in 0..<5 {
        let (u, i) = (Int(users[k]), Int(items[k]))
        let dot = (0..<3).reduce(0.0) { $0 + p["userFactors.weight"]![u, $1] * p["itemFactors.weight"]![i, $1] }
        #expect(abs(prediction[k, 0] - (dot + p["userBias.weight"]![u, 0] + p["itemBias.weight"]![i, 0])) < 1e-12)
    }
    let report = try GradientCheck.run("biased MF", at: p.tensors, mode: .directional(samples: 8)) { tape, v in
        let y = try graph(["user": .ids(users), "item": .ids(items)], parameters: v, context: ForwardContext(tape: tape, isTraining: true))
        return meanSquaredError(y, ratings) + weightPenalty(v, of: p)! * 0.05
    }
    #expect(report.passed, "\(report)")
}

@Test("Embedding's gradient is the scatter-add of the batch rows' gradients (repeated ids sum, other rows zero)")
func embeddingScatterAdd() throws {
    let graph = try Graph {
        Input("id", ids: 4)
        Embedding(count: 4, dimension: 3, name: "table")
    }
    let p: Parameters<Double> = graph.initialParameters(seed: 1)
    let c = Tensor<Double>([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    let (_, g) = try lossAndGradients(p) { tape, v in
        (try graph(.ids([2, 0, 2]), parameters: v, context: ForwardContext(tape: tape, isTraining: true)) * tape.variable(c)).sum()
    }
    #expect(g["table.weight"]! == Tensor([[4, 5, 6], [0, 0, 0], [8, 10, 12], [0, 0, 0]]))
    #expect(throws: GraphError("input 'id': id 4 in row 1 is outside 0..<4")) {
        try graph.predict(["id": .ids([1, 4])], parameters: p)
    }
}

@Test("a layer applied twice shares its parameters: one set stored, its gradient the sum of both calls'")
func sharing() throws {
    let shared = try Graph {
        let a = Input("a", features: 3), b = Input("b", features: 3)
        let layer = Dense(inputSize: 3, outputSize: 2, activation: .tanh, name: "shared")
        layer(a) + layer(b)
    }
    let separate = try Graph {
        let a = Input("a", features: 3), b = Input("b", features: 3)
        Dense(inputSize: 3, outputSize: 2, activation: .tanh, name: "first")(a)
            + Dense(inputSize: 3, outputSize: 2, activation: .tanh, name: "second")(b)
    }
    #expect(shared.parameterSpecs.map(\.name) == ["shared.weight", "shared.bias"])
    #expect(shared.description.contains("shared"))
    let p: Parameters<Double> = shared.initialParameters(seed: 3)
    let q = separate.initialParameters(seed: 0, as: Double.self).withTensors(p.tensors + p.tensors)
    var g = SplitMix64(seed: 4)
    let data: [String: Tensor<Double>] = ["a": .normal([5, 3], generator: &g), "b": .normal([5, 3], generator: &g)]
    func loss(_ graph: Graph, _ p: Parameters<Double>) throws -> (Double, Parameters<Double>) {
        try lossAndGradients(p) { tape, v in
            square(try graph(data.mapValues { .constant($0) }, parameters: v, context: ForwardContext(tape: tape, isTraining: true))).sum()
        }
    }
    let (ls, gs) = try loss(shared, p), (lt, gt) = try loss(separate, q)
    #expect(abs(ls - lt) < 1e-12)
    #expect(gs.tensors[0].isApproximatelyEqual(to: gt.tensors[0] + gt.tensors[2], absoluteTolerance: 1e-12))
    #expect(gs.tensors[1].isApproximatelyEqual(to: gt.tensors[1] + gt.tensors[3], absoluteTolerance: 1e-12))
}

@Test("building errors name the node, its inputs and both shapes; run-time data errors name the input and both shapes")
func graphErrors() throws {
    #expect(throws: GraphError("Add '0' (inputs 'a', 'b'): needs dense inputs of one shape, got [batch, 3] and [batch, 2]")) {
        try Graph { Input("a", features: 3) + Input("b", features: 2) }
    }
    #expect(throws: GraphError("Sigmoid '0' (input 'ratings'): cannot take an input of shape [batch, 5] sparse; put a Dense layer first")) {
        try Graph { Input("ratings", sparse: 5); Sigmoid() }
    }
    #expect(throws: GraphError("Embedding 'e' (input 'x'): cannot take an input of shape [batch, 5]")) {
        try Graph { Input("x", features: 5); Embedding(count: 5, dimension: 2, name: "e") }
    }
    #expect(throws: GraphError("Graph: two inputs are named 'x' ([batch, 3] and [batch, 4])")) {
        try Graph { Input("x", features: 3) + Dense(inputSize: 4, outputSize: 3)(Input("x", features: 4)) }
    }
    let conflict = #expect(throws: GraphError.self) {
        try Graph {
            let a = Input("a", features: 3)
            Dense(inputSize: 3, outputSize: 3, name: "x")(a) + Dense(inputSize: 3, outputSize: 3, activation: .relu, name: "x")(a)
        }
    }
    #expect(conflict?.description.hasPrefix("Dense(relu) 'x': the name is already used by a different layer (Dense 'x')") == true)

    let graph = try Graph {
        let a = Input("a", features: 3), b = Input("b", ids: 4)
        Dense(inputSize: 3, outputSize: 2, name: "d")(a) + Embedding(count: 4, dimension: 2, name: "e")(b)
    }
    let p: Parameters<Double> = graph.initialParameters(seed: 1)
    let x = Tensor<Double>.zeros([2, 3])
    #expect(throws: GraphError("unknown input 'c'; the graph's inputs are 'a', 'b'")) {
        try graph.predict(["a": .constant(x), "b": .ids([0, 1]), "c": .ids([0, 1])], parameters: p)
    }
    #expect(throws: GraphError("missing input 'b' of shape [batch] ids in 0..<4; the graph's inputs are 'a', 'b'")) {
        try graph.predict(["a": .constant(x)], parameters: p)
    }
    #expect(throws: GraphError("input 'a' expects [batch, 3] but receives shape [2, 5]")) {
        try graph.predict(["a": .constant(.zeros([2, 5])), "b": .ids([0, 1])], parameters: p)
    }
    #expect(throws: GraphError("input 'b' has 3 rows but input 'a' has 2")) {
        try graph.predict(["a": .constant(x), "b": .ids([0, 1, 2])], parameters: p)
    }
    #expect(throws: GraphError("input 'b' expects [batch] ids in 0..<4 but receives a dense matrix of shape [2, 3]")) {
        try graph.predict(["a": .constant(x), "b": .constant(x)], parameters: p)
    }
    #expect(throws: GraphError("the graph has inputs 'a', 'b': pass them by name")) { try graph.predict(x, parameters: p) }
    let single = try Graph { Input("r", sparse: 4); Dense(inputSize: 4, outputSize: 2) }
    let sp = single.initialParameters(seed: 0, as: Double.self)
    #expect(throws: GraphError("input 'r' expects [batch, 4] sparse but receives a sparse matrix of shape [1, 3]")) {
        try single.predict(SparseMatrix<Double>(dense: .zeros([1, 3])), parameters: sp)
    }
}

@Test("predict takes a plain Tensor or SparseMatrix; a sparse input also accepts dense data, with the same result")
func predictOnPlainData() throws {
    let graph = try Graph {
        Input("ratings", sparse: 6)
        Dense(inputSize: 6, outputSize: 3, activation: .sigmoid, name: "encoder")
        Dense(inputSize: 3, outputSize: 6, weightLayout: .outputsByInputs, name: "decoder")
    }
    let p: Parameters<Double> = graph.initialParameters(seed: 5)
    let sparse = SparseMatrix<Double>(rows: 3, columns: 6, rowIndices: [0, 0, 1, 2], columnIndices: [1, 5, 0, 3], values: [4, 2, 5, 1])
    let a = try graph.predict(sparse, parameters: p), b = try graph.predict(sparse.toDense(), parameters: p)
    #expect(a.shape == [3, 6] && a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-12))
}

@Test("a graph is a layer: nested in a chain (written inside the block), applied twice it shares, with prefixed names")
func nestedGraph() throws {
    let model = try Graph {
        Dense(inputSize: 3, outputSize: 4, name: "in")
        try Graph(name: "block") { Dense(inputSize: 4, outputSize: 4, activation: .tanh) }
        Dense(inputSize: 4, outputSize: 1, name: "out")
    }
    #expect(model.parameterSpecs.map(\.name) == ["in.weight", "in.bias", "block.0.weight", "block.0.bias", "out.weight", "out.bias"])
    var p: Parameters<Double> = model.initialParameters(seed: 7)
    p["block.0.bias"] = Tensor([0.1, -0.2, 0.3, 0])
    var g = SplitMix64(seed: 8)
    let x = Tensor<Double>.normal([5, 3], generator: &g)
    let h = matmul(x, p["in.weight"]!) + p["in.bias"]!
    let pre = matmul(h, p["block.0.weight"]!) + p["block.0.bias"]!
    let k = Tensor(shape: pre.shape, scalars: pre.scalars.map { Foundation.tanh($0) })
    let expected = matmul(k, p["out.weight"]!) + p["out.bias"]!
    #expect(try model.predict(x, parameters: p).isApproximatelyEqual(to: expected, absoluteTolerance: 1e-12))

    let block = try Graph(name: "residual") {
        let x = Input("x", features: 4)
        Dense(inputSize: 4, outputSize: 4, activation: .tanh, name: "inner")(x) + x
    }
    let twice = try Graph {
        let x = Input("x", features: 4)
        block(block(x))
    }
    #expect(twice.parameterSpecs.map(\.name) == ["residual.inner.weight", "residual.inner.bias"])
    let q: Parameters<Double> = twice.initialParameters(seed: 1)
    let z = Tensor<Double>.normal([2, 4], generator: &g)
    let once = try block.predict(z, parameters: Parameters(zip(["inner.weight", "inner.bias"], q.tensors).map { ($0, $1) }))
    let again = try block.predict(once, parameters: Parameters(zip(["inner.weight", "inner.bias"], q.tensors).map { ($0, $1) }))
    #expect(try twice.predict(z, parameters: q).isApproximatelyEqual(to: again, absoluteTolerance: 1e-12))
}

@Test("several inputs and several outputs, requested by name; a concatenation of a dense input and an embedding")
func severalInputsAndOutputs() throws {
    let graph = try Graph {
        let features = Input("features", features: 2), id = Input("id", ids: 3)
        let joined = Concatenate()(features, Embedding(count: 3, dimension: 2, name: "e")(id))
        Output("score", Dense(inputSize: 4, outputSize: 1, name: "head")(joined))
        Output("joined", joined)
    }
    #expect(graph.outputs.map(\.name) == ["score", "joined"] && graph.outputs.map(\.shape) == [.dense(1), .dense(4)])
    let p: Parameters<Double> = graph.initialParameters(seed: 2)
    let x = Tensor<Double>([[1, 2], [3, 4]])
    let run = try graph.evaluation(["features": .constant(x), "id": .ids([2, 0])], parameters: graph.variables(p, on: Tape(recording: false)),
                                   context: ForwardContext(tape: Tape(recording: false), isTraining: false))
    let e = p["e.weight"]!
    #expect(try run.output("joined").value == Tensor([[1, 2, e[2, 0], e[2, 1]], [3, 4, e[0, 0], e[0, 1]]]))
    #expect(try run.output("score").value.isApproximatelyEqual(to: matmul(try run.output("joined").value, p["head.weight"]!) + p["head.bias"]!,
                                                                absoluteTolerance: 1e-12))
    #expect(throws: GraphError("no output named 'nope'; the graph's outputs are 'score', 'joined'")) { try run.output("nope") }
}

/// A layer that cannot be evaluated at a pattern from its input there: each row minus its mean.
struct CenterRows: Layer {
    var kind: String { "CenterRows" }
    func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                       context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        let x = inputs[0].denseValue(for: kind)
        let mean = x.mean(alongAxis: 1).reshaped([x.shape[0], 1])
        return .dense(x - matmul(mean, context.tape.variable(.ones([1, x.shape[1]]))))
    }
}

@Test("at a pattern: a trailing layer that cannot be sampled, an elementwise one, and a merge give the dense values and gradients",
      arguments: ["center", "sigmoid", "add"])
func sampledThroughTrailingLayers(trailing: String) throws {
    let graph = try Graph {
        let r = Input("ratings", sparse: 7)
        let h = Dense(inputSize: 7, outputSize: 4, activation: .sigmoid, name: "encoder")(r)
        let y = Dense(inputSize: 4, outputSize: 7, weightLayout: .outputsByInputs, name: "decoder")(h)
        switch trailing {
        case "center": CenterRows()(y)
        case "sigmoid": Sigmoid()(y)
        default: y + Dense(inputSize: 4, outputSize: 7, name: "skip")(h)
        }
    }
    let p: Parameters<Double> = graph.initialParameters(seed: 9)
    let data = SparseMatrix<Double>(rows: 4, columns: 7, rowIndices: [0, 0, 1, 2, 3, 3, 3], columnIndices: [1, 6, 0, 3, 2, 5, 6],
                                    values: [1, -2, 0.5, 3, 1, 4, 2])
    let mask = data.replacingValues(Array(repeating: 1, count: data.nonzeroCount)).toDense()
    let (sampled, gs) = try lossAndGradients(p) { tape, v in
        try graph.evaluation(.sparse(data), parameters: v, context: ForwardContext(tape: tape, isTraining: true)).squaredError(at: data)
    }
    let (dense, gd) = try lossAndGradients(p) { tape, v in
        maskedSquareLoss(try graph(.sparse(data), parameters: v, context: ForwardContext(tape: tape, isTraining: true)),
                         target: data.toDense(), mask: mask)
    }
    #expect(abs(sampled - dense) <= 1e-12 * abs(dense))
    for (a, b) in zip(gs.tensors, gd.tensors) { #expect(a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-12)) }
    let tape = Tape<Double>(recording: false)
    let run = try graph.evaluation(.sparse(data), parameters: graph.variables(p, on: tape), context: ForwardContext(tape: tape, isTraining: false))
    let full = try run.output().value
    let entries = try run.output(at: data).value
    var k = 0
    for r in 0..<data.rows {
        for q in data.rowPointers[r]..<data.rowPointers[r + 1] {
            #expect(abs(entries.scalars[k] - full[r, Int(data.columnIndices[q])]) < 1e-12)
            k += 1
        }
    }
    #expect(throws: GraphError("output 'output' is 4×7 ([batch, 7]) but the pattern is 4×6")) {
        try run.output(at: SparseMatrix<Double>(dense: .zeros([4, 6])))
    }
}

@Test("every fused path equals its unfused composition: Dense's square loss, and a nested graph ending in that Dense")
func fusedEqualsUnfused() throws {
    let decoder = Dense(inputSize: 4, outputSize: 6, weightLayout: .outputsByInputs, name: "decoder")
    let inner = try Graph(name: "inner") {
        Input("h", features: 4)
        decoder
    }
    // The same model three ways: the fused layer, behind an Identity (elementwise: the request
    // passes through, and Dense is then asked for its entries, unfused), and inside a graph.
    func model(_ variant: Int) throws -> Graph {
        try Graph {
            Input("ratings", sparse: 6)
            Dense(inputSize: 6, outputSize: 4, activation: .sigmoid, name: "encoder")
            if variant == 2 { inner } else { decoder }
            if variant == 1 { Identity() }
        }
    }
    let data = SparseMatrix<Double>(rows: 3, columns: 6, rowIndices: [0, 0, 1, 2, 2], columnIndices: [0, 4, 2, 1, 5], values: [5, 3, 4, 1, 2])
    var results = [(Double, Parameters<Double>)]()
    for variant in 0..<3 {
        let graph = try model(variant)
        var p: Parameters<Double> = graph.initialParameters(seed: 3)
        p = p.withTensors(p.tensors.enumerated().map { $0.offset % 2 == 1 ? $0.element + 0.25 : $0.element })  // nonzero biases
        results.append(try lossAndGradients(p) { tape, v in
            try graph.evaluation(.sparse(data), parameters: v, context: ForwardContext(tape: tape, isTraining: true)).squaredError(at: data)
        })
    }
    #expect(results[2].1.names == ["encoder.weight", "encoder.bias", "inner.decoder.weight", "inner.decoder.bias"])
    for variant in [1, 2] {
        #expect(abs(results[variant].0 - results[0].0) <= 1e-12 * results[0].0)
        for (a, b) in zip(results[variant].1.tensors, results[0].1.tensors) {
            #expect(a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-12))
        }
    }
    // The layer's own two paths, directly.
    let tape = Tape<Double>()
    var g = SplitMix64(seed: 1)
    let h = tape.variable(.normal([3, 4], generator: &g))
    let w = tape.variable(.normal([6, 4], generator: &g)), b = tape.variable(.normal([6], generator: &g))
    let context = ForwardContext(tape: tape, isTraining: true)
    let fused = decoder.squaredError([.dense(h)], parameters: [w, b], context: context, at: data)!
    let unfused = sampledSquareLoss(decoder.forward([.dense(h)], parameters: [w, b], context: context, at: data)!, targets: data)
    #expect(abs(fused.value.scalar - unfused.value.scalar) <= 1e-12 * unfused.value.scalar)
    for (a, c) in zip(tape.gradients(of: fused, withRespectTo: [h, w, b]), tape.gradients(of: unfused, withRespectTo: [h, w, b])) {
        #expect(a.isApproximatelyEqual(to: c, absoluteTolerance: 1e-12))
    }
    #expect(Dense(inputSize: 4, outputSize: 6).squaredError([.dense(h)], parameters: [w, b], context: context, at: data) == nil)
}

/// W ⊙ σ(U Vᵀ): a weight computed from three parameters (the shape of GLocal-K's kernelised
/// weight, with a simpler kernel).
struct KernelWeight: ParameterFunction {
    func shape(for sources: [[Int]]) -> [Int]? {
        guard sources.count == 3, sources.allSatisfy({ $0.count == 2 }) else { return nil }
        let (w, u, v) = (sources[0], sources[1], sources[2])
        return u[0] == w[0] && v[0] == w[1] && u[1] == v[1] ? w : nil
    }
    func callAsFunction<Scalar: TensorScalar>(_ sources: [Variable<Scalar>]) -> Variable<Scalar> {
        sources[0] * sigmoid(matmul(sources[1], sources[2], transposeB: true))
    }
}

@Test("tying: a decoder tied to its encoder (transposed or as-is), a weight computed from three parameters; gradients reach the stored parameters, stored once")
func tying() throws {
    func autoencoder(tied: Bool) throws -> Graph {
        try Graph {
            Input("ratings", sparse: 6)
            Dense(inputSize: 6, outputSize: 3, activation: .sigmoid, name: "encoder")
            Dense(inputSize: 3, outputSize: 6, name: "decoder")
            if tied { Tie("decoder.weight", toTransposeOf: "encoder.weight") }
        }
    }
    let (tiedGraph, untied) = (try autoencoder(tied: true), try autoencoder(tied: false))
    #expect(tiedGraph.parameterSpecs.map(\.name) == ["encoder.weight", "encoder.bias", "decoder.bias"])
    #expect(tiedGraph.description.contains("Tied: decoder.weight = TransposedParameter(encoder.weight)"))
    #expect(tiedGraph.graphviz().contains("style=dashed"))
    let p: Parameters<Double> = tiedGraph.initialParameters(seed: 4)
    let w = p["encoder.weight"]!
    let q = Parameters([("encoder.weight", w), ("encoder.bias", p["encoder.bias"]!), ("decoder.weight", w.transposed),
                        ("decoder.bias", p["decoder.bias"]!)], regularized: [true, false, true, false])
    let data = SparseMatrix<Double>(rows: 3, columns: 6, rowIndices: [0, 1, 1, 2], columnIndices: [2, 0, 5, 3], values: [3, 4, 1, 5])
    func loss(_ graph: Graph, _ p: Parameters<Double>) throws -> (Double, Parameters<Double>) {
        try lossAndGradients(p) { tape, v in
            try graph.evaluation(.sparse(data), parameters: v, context: ForwardContext(tape: tape, isTraining: true)).squaredError(at: data)
        }
    }
    let (lt, gt) = try loss(tiedGraph, p), (lu, gu) = try loss(untied, q)
    #expect(abs(lt - lu) < 1e-12)
    #expect(gt["encoder.weight"]!.isApproximatelyEqual(to: gu["encoder.weight"]! + gu["decoder.weight"]!.transposed, absoluteTolerance: 1e-12))

    // The same tie without a transpose: the decoder stores W outputs × inputs, which is the
    // encoder's W as it is (and keeps the fused loss).
    let asIs = try Graph {
        Input("ratings", sparse: 6)
        Dense(inputSize: 6, outputSize: 3, activation: .sigmoid, name: "encoder")
        Dense(inputSize: 3, outputSize: 6, weightLayout: .outputsByInputs, name: "decoder")
        Tie("decoder.weight", to: "encoder.weight")
    }
    #expect(abs(try loss(asIs, p).0 - lt) < 1e-12)

    let kernelised = try Graph {
        Input("x", features: 5)
        Dense(inputSize: 5, outputSize: 4, activation: .tanh, name: "sfc")
        ParameterSpec(name: "kernel.w", shape: [5, 4], initializer: .glorotUniform, regularized: true)
        ParameterSpec(name: "kernel.u", shape: [5, 2], initializer: .normal(standardDeviation: 1), regularized: true)
        ParameterSpec(name: "kernel.v", shape: [4, 2], initializer: .normal(standardDeviation: 1), regularized: true)
        Tie("sfc.weight", from: ["kernel.w", "kernel.u", "kernel.v"], KernelWeight())
    }
    #expect(kernelised.parameterSpecs.map(\.name) == ["sfc.bias", "kernel.w", "kernel.u", "kernel.v"])
    let k: Parameters<Double> = kernelised.initialParameters(seed: 6)
    var g = SplitMix64(seed: 2)
    let x = Tensor<Double>.normal([4, 5], generator: &g), t = Tensor<Double>.normal([4, 4], generator: &g)
    let report = try GradientCheck.run("kernelised weight", at: k.tensors, mode: .directional(samples: 8)) { tape, v in
        meanSquaredError(try kernelised(.constant(x), parameters: v, context: ForwardContext(tape: tape, isTraining: true)), t)
    }
    #expect(report.passed, "\(report)")
    let (_, gk) = try lossAndGradients(k) { tape, v in
        meanSquaredError(try kernelised(.constant(x), parameters: v, context: ForwardContext(tape: tape, isTraining: true)), t)
    }
    #expect(gk.tensors.allSatisfy { $0.sumOfSquares() > 0 })

    var file = SafeTensors()
    try file.add(p)
    #expect(file.names.sorted() == ["decoder.bias", "encoder.bias", "encoder.weight"])
    let loaded: Parameters<Double> = try SafeTensors(serialized: file.serialized()).parameters(for: tiedGraph, file: "tied")
    #expect(loaded == p)

    #expect(throws: GraphError("Tie: no parameter named 'decoder.wieght'; the graph has encoder.weight, encoder.bias, decoder.weight, decoder.bias")) {
        try Graph {
            Dense(inputSize: 6, outputSize: 3, name: "encoder"); Dense(inputSize: 3, outputSize: 6, name: "decoder")
            Tie("decoder.wieght", toTransposeOf: "encoder.weight")
        }
    }
    #expect(throws: GraphError("Tie 'decoder.weight': SameParameter of [6, 3] gives [6, 3] but the parameter has shape [3, 6]")) {
        try Graph {
            Dense(inputSize: 6, outputSize: 3, name: "encoder"); Dense(inputSize: 3, outputSize: 6, name: "decoder")
            Tie("decoder.weight", to: "encoder.weight")
        }
    }
}

/// y = Σⱼₖ aᵢⱼ Wⱼₖ bᵢₖ: a custom layer with two inputs (the example of Docs/Layers.md).
struct Bilinear: Layer {
    var name: String?
    var kind: String { "Bilinear" }
    func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape {
        guard inputs.count == 2, inputs.allSatisfy({ $0.kind == .dense }) else {
            throw GraphError("takes 2 dense inputs, got \(inputs.map(\.description).joined(separator: " and "))")
        }
        return .dense(1)
    }
    func parameters(for inputs: [NodeShape]) -> [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [inputs[0].features, inputs[1].features], initializer: .glorotUniform, regularized: true)]
    }
    func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                       context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        let (a, b) = (inputs[0].denseValue(for: kind), inputs[1].denseValue(for: kind))
        return .dense((matmul(a, parameters[0]) * b).sum(alongAxis: 1).reshaped([a.shape[0], 1]))
    }
}

@Test("a custom layer with two inputs, gradient-checked with its graph; print and graphviz show the branches")
func customTwoInputLayer() throws {
    let graph = try Graph {
        let a = Input("a", features: 3), b = Input("b", features: 2)
        Bilinear(name: "bilinear")(Dense(inputSize: 3, outputSize: 3, activation: .tanh, name: "left")(a), b)
    }
    let p: Parameters<Double> = graph.initialParameters(seed: 1)
    var g = SplitMix64(seed: 3)
    let a = Tensor<Double>.normal([4, 3], generator: &g), b = Tensor<Double>.normal([4, 2], generator: &g)
    let report = try GradientCheck.run("bilinear", at: p.tensors, mode: .full) { tape, v in
        square(try graph(["a": .constant(a), "b": .constant(b)], parameters: v, context: ForwardContext(tape: tape, isTraining: true))).sum()
    }
    #expect(report.passed, "\(report)")
    let summary = graph.description
    // One condition per #expect: joined with && and an interpolated sum, these two took 19 s
    // to type-check.
    let parameterCount: Int = 3 * 3 + 3 + 3 * 2
    #expect(summary.contains("bilinear"))
    #expect(summary.contains("left, b"))
    #expect(summary.contains("Total parameters: \(parameterCount)"))
    let dot = graph.graphviz()
    #expect(dot.hasPrefix("digraph"))
    for edge in ["n0 -> n1;", "n1 -> n3;", "n2 -> n3;"] { #expect(dot.contains(edge), "\(edge)") }
}

@Test("the NeuMF, CDAE and tied AutoRec recipes of Docs/Layers.md build and run")
func layersRecipes() throws {
    let (users, items, k) = (7, 9, 4)
    let sizes = [2 * k, k, k / 2]
    let tower = try Graph(name: "tower") {
        Input("x", features: sizes[0])
        for i in 1..<sizes.count { Dense(inputSize: sizes[i - 1], outputSize: sizes[i], activation: .relu) }
    }
    let neumf = try Graph {
        let user = Input("user", ids: users), item = Input("item", ids: items)
        let gmf = Embedding(count: users, dimension: k, name: "gmfUser")(user) * Embedding(count: items, dimension: k, name: "gmfItem")(item)
        let mlp = tower(Concatenate()(Embedding(count: users, dimension: k, name: "mlpUser")(user),
                                      Embedding(count: items, dimension: k, name: "mlpItem")(item)))
        Dense(inputSize: k + k / 2, outputSize: 1, name: "prediction")(Concatenate()(gmf, mlp))
    }
    #expect(neumf.parameterSpecs.map(\.name) == ["gmfUser.weight", "gmfItem.weight", "mlpUser.weight", "mlpItem.weight",
                                                 "tower.0.weight", "tower.0.bias", "tower.1.weight", "tower.1.bias",
                                                 "prediction.weight", "prediction.bias"])
    let np: Parameters<Double> = neumf.initialParameters(seed: 1)
    #expect(try neumf.predict(["user": .ids([0, 6]), "item": .ids([8, 3])], parameters: np).shape == [2, 1])

    let cdae = try Graph {
        let ratings = Input("ratings", sparse: items), user = Input("user", ids: users)
        let encoded = Dense(inputSize: items, outputSize: k, name: "encoder")(Dropout(rate: 0.2)(ratings))
        let hidden = Sigmoid()(encoded + Embedding(count: users, dimension: k, name: "userNode")(user))
        Dense(inputSize: k, outputSize: items, weightLayout: .outputsByInputs, name: "decoder")(hidden)
    }
    let cp: Parameters<Double> = cdae.initialParameters(seed: 2)
    let batch = SparseMatrix<Double>(rows: 2, columns: items, rowIndices: [0, 0, 1], columnIndices: [1, 8, 4], values: [5, 3, 4])
    let (loss, gradient) = try lossAndGradients(cp) { tape, v in
        try cdae.evaluation(["ratings": .sparse(batch), "user": .ids([3, 5])], parameters: v,
                            context: ForwardContext(tape: tape, isTraining: true)).squaredError(at: batch)
    }
    #expect(loss > 0 && gradient["userNode.weight"]![3, 0] != 0 && gradient["userNode.weight"]![0, 0] == 0)

    let tied = try Graph {
        Input("ratings", sparse: items)
        Dense(inputSize: items, outputSize: k, activation: .sigmoid, name: "encoder")
        Dense(inputSize: k, outputSize: items, weightLayout: .outputsByInputs, name: "decoder")
        Tie("decoder.weight", to: "encoder.weight")
    }
    #expect(tied.parameterSpecs.map(\.name) == ["encoder.weight", "encoder.bias", "decoder.bias"])
}
