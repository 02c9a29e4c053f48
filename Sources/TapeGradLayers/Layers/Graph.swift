import TapeGrad

/// An error in a graph's declaration (found when the graph is built) or in the data passed to
/// it (found when it runs).
public struct GraphError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The message, naming the node or input and the shapes involved.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// A model: a directed acyclic graph of layer calls on named inputs, declared with a result
/// builder and checked when it is built.
///
/// The chain form — each layer applied to the previous statement's node:
///
/// ```swift
/// let autoencoder = try Graph {
///     Input("ratings", sparse: 943)
///     Dense(inputSize: 943, outputSize: 500, activation: .sigmoid, name: "encoder")
///     for size in deepSizes { Dense(inputSize: …, outputSize: size, activation: .sigmoid) }
///     Dense(inputSize: 500, outputSize: 943, name: "decoder")
/// }
/// ```
///
/// and the general form — layers called on nodes, branches, merges, several inputs:
///
/// ```swift
/// let mf = try Graph {
///     let user = Input("user", ids: 943), item = Input("item", ids: 1682)
///     let p = Embedding(count: 943, dimension: 32, name: "userFactors")(user)
///     let q = Embedding(count: 1682, dimension: 32, name: "itemFactors")(item)
///     RowDot()(p, q) + Embedding(count: 943, dimension: 1, name: "userBias")(user)
///                    + Embedding(count: 1682, dimension: 1, name: "itemBias")(item)
/// }
/// ```
///
/// The last statement's node is the output (or name several with ``Output``). A chain that
/// starts with a layer gets a dense input named `input` (of `inputSize`, or the layer's own).
/// A graph is itself a ``Layer``, so it can be applied inside another graph.
///
/// Building computes every node's shape and throws a ``GraphError`` naming the node and both
/// shapes when a layer does not accept its inputs. Parameters are named `LAYER.PARAM`, where
/// LAYER is the layer's name, or for an unnamed layer its position among the graph's layer
/// calls (`encoder.weight`, `1.bias`). A named layer applied twice shares its parameters; two
/// different layers under one name are an error. ``Tie`` statements compute a parameter from
/// others. The parameters are listed in node order, each stored parameter once.
public struct Graph: Layer, CustomStringConvertible {
    /// One node, in an order where inputs come before their consumers.
    struct Step: Sendable {
        /// The node's name: the input's, the layer's, or the generated one.
        var label: String
        /// The layer, or nil for an input.
        var layer: (any Layer)?
        /// The steps whose values the layer reads.
        var inputs: [Int]
        /// The value's shape.
        var shape: NodeShape
        /// The layer's parameters: indices into the stored parameters, then the tied ones.
        var parameters: [Int]
        /// False for the second and later calls of a shared layer.
        var ownsParameters: Bool
        /// Whether the graph may evaluate the layer at a pattern from its inputs at the pattern.
        var isElementwise: Bool
    }

    /// A tied parameter, computed on each evaluation.
    struct TiedParameter: Sendable {
        var name: String
        var sources: [Int]
        var function: any ParameterFunction
        var shape: [Int]
    }

    /// A named input or output of the graph.
    public struct Endpoint: Sendable, Equatable {
        /// The name data is passed or requested by.
        public let name: String
        /// Its shape.
        public let shape: NodeShape
        /// The node's position.
        let step: Int
    }

    /// The name prefixing this graph's parameters when it is used as a layer.
    public let name: String?
    /// The inputs, in the order they are first reached from the outputs (the order positional
    /// arguments bind in when the graph is used as a layer).
    public let inputs: [Endpoint]
    /// The outputs, in declaration order.
    public let outputs: [Endpoint]
    /// The stored (trainable) parameters, with full names, in the order of ``Parameters``.
    public let parameterSpecs: [ParameterSpec]
    let steps: [Step]
    let tied: [TiedParameter]

    /// The layer of each layer call, in node order (a shared layer once per call).
    public var layers: [any Layer] { steps.compactMap(\.layer) }

    /// Builds and checks a graph from the statements of a block. `inputSize` gives the size of
    /// the implicit input of a block that starts with a layer that does not declare one.
    public init(inputSize: Int? = nil, name: String? = nil, @GraphBuilder _ body: () throws -> [GraphStatement]) throws(GraphError) {
        let statements: [GraphStatement]
        do {
            statements = try body()
        } catch let error as GraphError {
            throw error
        } catch {
            throw GraphError("Graph: \(error)")
        }
        try self.init(inputSize: inputSize, name: name, statements: statements)
    }

    /// Builds and checks a chain of layers.
    public init(inputSize: Int? = nil, name: String? = nil, layers: [any Layer]) throws(GraphError) {
        try self.init(inputSize: inputSize, name: name, statements: layers.map { .layer($0) })
    }

    /// Builds and checks a graph from statements.
    public init(inputSize: Int? = nil, name: String? = nil, statements: [GraphStatement]) throws(GraphError) {
        var current: Node?
        var declaredOutputs = [Output](), ties = [Tie](), graphParameters = [ParameterSpec]()
        for statement in statements {
            switch statement {
            case .node(let node): current = node
            case .layer(let layer):
                if current == nil {
                    guard let size = inputSize ?? layer.inputSize else {
                        throw GraphError("Graph: start with an Input, give inputSize, or start with a layer that declares its input size (e.g. Dense)")
                    }
                    current = Input("input", features: size)
                }
                current = layer(current!)
            case .output(let output): declaredOutputs.append(output)
            case .tie(let tie): ties.append(tie)
            case .parameter(let spec): graphParameters.append(spec)
            }
        }
        if declaredOutputs.isEmpty {
            guard let current else { throw GraphError("Graph: no layers and no outputs") }
            declaredOutputs = [Output("output", current)]
        }
        let nodes = Graph.topologicalOrder(declaredOutputs.map(\.node))
        var position = [ObjectIdentifier: Int]()
        for (i, node) in nodes.enumerated() { position[ObjectIdentifier(node)] = i }

        // Shapes and parameters, node by node.
        var steps = [Step](), specs = [ParameterSpec](), inputs = [Endpoint]()
        var owners = [String: (layer: any Layer, specs: [ParameterSpec], indices: [Int], step: Int)]()
        var layerCalls = 0
        for (i, node) in nodes.enumerated() {
            switch node.source {
            case .input(let inputName, let shape):
                guard !inputName.isEmpty else { throw GraphError("Graph: an input of shape \(shape) has an empty name") }
                if let other = inputs.first(where: { $0.name == inputName }) {
                    throw GraphError("Graph: two inputs are named '\(inputName)' (\(other.shape) and \(shape))")
                }
                inputs.append(Endpoint(name: inputName, shape: shape, step: i))
                steps.append(Step(label: inputName, layer: nil, inputs: [], shape: shape, parameters: [],
                                  ownsParameters: true, isElementwise: false))
            case .layer(let layer, let inputNodes):
                let label = layer.name ?? String(layerCalls)
                layerCalls += 1
                guard !label.isEmpty else { throw GraphError("\(layer.kind): a layer's name cannot be empty (nil generates one)") }
                let inputSteps = inputNodes.map { position[ObjectIdentifier($0)]! }
                let inputShapes = inputSteps.map { steps[$0].shape }
                let shape: NodeShape
                do {
                    shape = try layer.outputShape(for: inputShapes)
                } catch {
                    let from = inputSteps.map { "'\(steps[$0].label)'" }.joined(separator: ", ")
                    throw GraphError("\(layer.kind) '\(label)' (input\(inputSteps.count == 1 ? "" : "s") \(from)): \(error.description)")
                }
                let layerSpecs = layer.parameters(for: inputShapes).map { spec in
                    var s = spec
                    s.name = label + "." + spec.name
                    return s
                }
                var indices = [Int](), owns = true
                if let owner = owners[label] {
                    guard layer.isEqual(to: owner.layer) else {
                        throw GraphError("\(layer.kind) '\(label)': the name is already used by a different layer (\(owner.layer.kind) '\(label)'); "
                                         + "a name identifies one layer, and applying that layer again shares its parameters")
                    }
                    guard owner.specs == layerSpecs else {
                        throw GraphError("\(layer.kind) '\(label)': applied again to inputs of shape \(inputShapes.map(\.description).joined(separator: ", ")), "
                                         + "which would give it parameters of other shapes than its first call")
                    }
                    indices = owner.indices
                    owns = false
                } else {
                    for spec in layerSpecs {
                        guard !specs.contains(where: { $0.name == spec.name }) else {
                            throw GraphError("\(layer.kind) '\(label)': parameter name '\(spec.name)' is already used by an earlier layer")
                        }
                        indices.append(specs.count)
                        specs.append(spec)
                    }
                    owners[label] = (layer, layerSpecs, indices, i)
                }
                let elementwise = layer.isElementwise && inputShapes.allSatisfy { $0.kind == .dense } && shape.kind == .dense
                steps.append(Step(label: label, layer: layer, inputs: inputSteps, shape: shape, parameters: indices,
                                  ownsParameters: owns, isElementwise: elementwise))
            }
        }
        for spec in graphParameters {
            guard !specs.contains(where: { $0.name == spec.name }) else {
                throw GraphError("Graph: parameter name '\(spec.name)' is already used")
            }
            specs.append(spec)
        }

        // Ties: the tied parameters leave the stored list and are computed from stored ones.
        var tiedIndex = [Int: Int]()   // declared index → position in `ties`
        for (t, tie) in ties.enumerated() {
            guard let index = specs.firstIndex(where: { $0.name == tie.parameter }) else {
                throw GraphError("Tie: no parameter named '\(tie.parameter)'; the graph has \(specs.map(\.name).joined(separator: ", "))")
            }
            guard tiedIndex[index] == nil else { throw GraphError("Tie: '\(tie.parameter)' is tied twice") }
            tiedIndex[index] = t
        }
        var newIndex = [Int](repeating: 0, count: specs.count)
        var stored = [ParameterSpec]()
        for (i, spec) in specs.enumerated() where tiedIndex[i] == nil {
            newIndex[i] = stored.count
            stored.append(spec)
        }
        var tiedParameters = [TiedParameter]()
        for (t, tie) in ties.enumerated() {
            let index = specs.firstIndex { $0.name == tie.parameter }!
            newIndex[index] = stored.count + t
            var sources = [Int]()
            for source in tie.sources {
                guard let s = specs.firstIndex(where: { $0.name == source }) else {
                    throw GraphError("Tie '\(tie.parameter)': no parameter named '\(source)'")
                }
                guard tiedIndex[s] == nil else {
                    throw GraphError("Tie '\(tie.parameter)': its source '\(source)' is itself tied; name a stored parameter")
                }
                sources.append(s)
            }
            let sourceShapes = sources.map { specs[$0].shape }
            guard let shape = tie.function.shape(for: sourceShapes), shape == specs[index].shape else {
                let got = tie.function.shape(for: sourceShapes).map { "\($0)" } ?? "no shape"
                throw GraphError("Tie '\(tie.parameter)': \(type(of: tie.function)) of \(sourceShapes.map { "\($0)" }.joined(separator: ", ")) "
                                 + "gives \(got) but the parameter has shape \(specs[index].shape)")
            }
            tiedParameters.append(TiedParameter(name: tie.parameter, sources: sources, function: tie.function, shape: shape))
        }
        for t in tiedParameters.indices { tiedParameters[t].sources = tiedParameters[t].sources.map { newIndex[$0] } }
        for s in steps.indices { steps[s].parameters = steps[s].parameters.map { newIndex[$0] } }

        var outputs = [Endpoint]()
        for output in declaredOutputs {
            let step = position[ObjectIdentifier(output.node)]!
            guard !outputs.contains(where: { $0.name == output.name }) else {
                throw GraphError("Graph: two outputs are named '\(output.name)'")
            }
            guard steps[step].shape.kind != .ids else {
                throw GraphError("Graph: output '\(output.name)' holds ids (\(steps[step].shape)); an output must be a dense or sparse matrix")
            }
            outputs.append(Endpoint(name: output.name, shape: steps[step].shape, step: step))
        }
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.parameterSpecs = stored
        self.steps = steps
        self.tied = tiedParameters
    }

    /// The nodes the outputs depend on, each after its inputs (depth first, inputs in order),
    /// without recursion.
    private static func topologicalOrder(_ outputs: [Node]) -> [Node] {
        var order = [Node](), done = Set<ObjectIdentifier>()
        for output in outputs where !done.contains(ObjectIdentifier(output)) {
            var stack: [(node: Node, next: Int)] = [(output, 0)]
            while let (node, next) = stack.last {
                let inputs = node.inputs
                if next < inputs.count {
                    stack[stack.count - 1].next += 1
                    if !done.contains(ObjectIdentifier(inputs[next])) { stack.append((inputs[next], 0)) }
                } else {
                    stack.removeLast()
                    if done.insert(ObjectIdentifier(node)).inserted { order.append(node) }
                }
            }
        }
        return order
    }

    // MARK: Parameters

    /// The total number of stored scalars.
    public var parameterCount: Int { parameterSpecs.reduce(0) { $0 + $1.count } }

    /// Fresh parameters drawn from the declared initialisers with a seeded generator, in
    /// declaration order.
    public func initialParameters<Scalar: TensorScalar>(seed: UInt64, as: Scalar.Type = Scalar.self) -> Parameters<Scalar> {
        var generator = SplitMix64(seed: seed)
        var parameters = Parameters<Scalar>()
        for spec in parameterSpecs {
            parameters.append(spec.name, spec.initializer.make(spec.shape, generator: &generator), regularized: spec.regularized)
        }
        return parameters
    }

    /// Checks that `parameters` have this graph's names and shapes, with a message naming the
    /// first parameter that differs (for checkpoints loaded from disk).
    public func validate<Scalar>(_ parameters: Parameters<Scalar>) throws(GraphError) {
        for spec in parameterSpecs {
            guard let t = parameters[spec.name] else {
                throw GraphError("parameter '\(spec.name)' of shape \(spec.shape) is missing")
            }
            guard t.shape == spec.shape else {
                throw GraphError("parameter '\(spec.name)' has shape \(t.shape) but the graph needs \(spec.shape)")
            }
        }
        if parameters.count != parameterSpecs.count {
            let extra = parameters.names.filter { name in !parameterSpecs.contains { $0.name == name } }
            throw GraphError("unexpected parameters: \(extra.joined(separator: ", "))")
        }
    }

    /// Puts parameters on a tape, in declaration order, named for graph dumps.
    public func variables<Scalar>(_ parameters: Parameters<Scalar>, on tape: Tape<Scalar>) -> [Variable<Scalar>] {
        zip(parameters.names, parameters.tensors).map { tape.variable($1, name: $0) }
    }

    // MARK: Running

    /// The graph applied to data: inputs by name, parameter variables in declaration order
    /// (as created by ``variables(_:on:)`` or ``valueAndGradient(at:_:)``). Throws when an
    /// input is missing, unknown, or of the wrong shape. Nothing is computed until an output
    /// or a loss is requested from the result.
    public func evaluation<Scalar>(_ inputs: [String: LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                   context: ForwardContext<Scalar>) throws(GraphError) -> GraphEvaluation<Scalar> {
        for key in inputs.keys where !self.inputs.contains(where: { $0.name == key }) {
            throw GraphError("unknown input '\(key)'; the graph's inputs are \(inputNames)")
        }
        var bound = [LayerValue<Scalar>]()
        for input in self.inputs {
            guard let value = inputs[input.name] else {
                throw GraphError("missing input '\(input.name)' of shape \(input.shape); the graph's inputs are \(inputNames)")
            }
            bound.append(try Graph.bind(value, to: input, context: context))
            if let first = bound.first, first.rows != bound.last!.rows {
                throw GraphError("input '\(input.name)' has \(bound.last!.rows) rows but input '\(self.inputs[0].name)' has \(first.rows)")
            }
        }
        return GraphEvaluation(graph: self, inputs: bound, parameters: parameters, context: context)
    }

    /// The graph applied to the data of its only input.
    public func evaluation<Scalar>(_ input: LayerValue<Scalar>, parameters: [Variable<Scalar>],
                                   context: ForwardContext<Scalar>) throws(GraphError) -> GraphEvaluation<Scalar> {
        guard inputs.count == 1 else { throw GraphError("the graph has inputs \(inputNames): pass them by name") }
        return try evaluation([inputs[0].name: input], parameters: parameters, context: context)
    }

    /// The (first) output on the data of the only input, as a dense matrix.
    public func callAsFunction<Scalar>(_ input: LayerValue<Scalar>, parameters: [Variable<Scalar>],
                                       context: ForwardContext<Scalar>) throws(GraphError) -> Variable<Scalar> {
        try evaluation(input, parameters: parameters, context: context).output()
    }

    /// The (first) output on inputs given by name, as a dense matrix.
    public func callAsFunction<Scalar>(_ inputs: [String: LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                       context: ForwardContext<Scalar>) throws(GraphError) -> Variable<Scalar> {
        try evaluation(inputs, parameters: parameters, context: context).output()
    }

    /// Inference on inputs by name: the (first) output as a dense matrix, nothing recorded.
    public func predict<Scalar>(_ inputs: [String: LayerValue<Scalar>], parameters: Parameters<Scalar>) throws(GraphError) -> Tensor<Scalar> {
        let tape = Tape<Scalar>(recording: false)
        let context = ForwardContext(tape: tape, isTraining: false)
        return try evaluation(inputs, parameters: variables(parameters, on: tape), context: context).output().value
    }

    /// Inference on a dense batch for the only input.
    public func predict<Scalar>(_ x: Tensor<Scalar>, parameters: Parameters<Scalar>) throws(GraphError) -> Tensor<Scalar> {
        try predict(singleInput(.constant(x)), parameters: parameters)
    }

    /// Inference on a sparse batch (rating rows) for the only input.
    public func predict<Scalar>(_ x: SparseMatrix<Scalar>, parameters: Parameters<Scalar>) throws(GraphError) -> Tensor<Scalar> {
        try predict(singleInput(.sparse(x)), parameters: parameters)
    }

    private func singleInput<Scalar>(_ value: LayerValue<Scalar>) throws(GraphError) -> [String: LayerValue<Scalar>] {
        guard inputs.count == 1 else { throw GraphError("the graph has inputs \(inputNames): pass them by name") }
        return [inputs[0].name: value]
    }

    private var inputNames: String { inputs.map { "'\($0.name)'" }.joined(separator: ", ") }

    /// Checks a value against an input's shape and puts dense data on the context's tape.
    static func bind<Scalar>(_ value: LayerValue<Scalar>, to input: Endpoint,
                             context: ForwardContext<Scalar>) throws(GraphError) -> LayerValue<Scalar> {
        let expected = input.shape
        func mismatch(_ got: String) -> GraphError {
            GraphError("input '\(input.name)' expects \(expected) but receives \(got)")
        }
        switch value {
        case .dense(let v):
            guard expected.kind != .ids else { throw mismatch("a dense matrix of shape \(v.shape)") }
            guard v.shape.count == 2, v.shape[1] == expected.features else { throw mismatch("shape \(v.shape)") }
            guard v.tape !== context.tape else { return value }
            precondition(!v.tape.isRecording, "Graph: input '\(input.name)' is a variable of another recording tape")
            return .dense(context.tape.variable(v.value, name: input.name))
        case .sparse(let s):
            guard expected.kind != .ids else { throw mismatch("a sparse \(s.rows)×\(s.columns) matrix") }
            guard s.columns == expected.features else { throw mismatch("a sparse matrix of shape [\(s.rows), \(s.columns)]") }
            return expected.kind == .sparse ? value : .dense(context.tape.variable(s.toDense(), name: input.name))
        case .ids(let ids):
            guard expected.kind == .ids else { throw mismatch("\(ids.count) ids") }
            if let (row, id) = ids.enumerated().first(where: { $0.element < 0 || Int($0.element) >= expected.features }) {
                throw GraphError("input '\(input.name)': id \(id) in row \(row) is outside 0..<\(expected.features)")
            }
            return value
        }
    }

    // MARK: A graph as a layer

    /// `Graph`.
    public var kind: String { "Graph" }
    /// The only input's feature size, if it has one input.
    public var inputSize: Int? { inputs.count == 1 ? inputs[0].shape.features : nil }

    /// The output's shape, checking the inputs against the graph's inputs in order (a dense
    /// input may receive sparse values, which are densified, and the other way round).
    public func outputShape(for shapes: [NodeShape]) throws(GraphError) -> NodeShape {
        guard outputs.count == 1 else { throw GraphError("a graph used as a layer needs one output; this one has \(outputs.count)") }
        guard shapes.count == inputs.count else { throw GraphError("takes \(inputs.count) inputs (\(inputNames)), got \(shapes.count)") }
        for (input, shape) in zip(inputs, shapes) {
            guard (input.shape.kind == .ids) == (shape.kind == .ids), input.shape.features == shape.features else {
                throw GraphError("input '\(input.name)' expects \(input.shape) but receives \(shape)")
            }
        }
        return outputs[0].shape
    }

    /// The stored parameters (the enclosing graph prefixes this graph's name).
    public func parameters(for inputs: [NodeShape]) -> [ParameterSpec] { parameterSpecs }

    /// The output on the inputs' values, in the order of ``inputs``.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        GraphEvaluation(graph: self, inputs: inputs, parameters: parameters, context: context).value(of: outputs[0].step)
    }

    /// The output at a pattern, as the graph itself evaluates it (through its layers).
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>, at pattern: SparseMatrix<Scalar>) -> Variable<Scalar>? {
        GraphEvaluation(graph: self, inputs: inputs, parameters: parameters, context: context)
            .evaluate(outputs[0].step, .entries(pattern))
    }

    /// The square loss at a pattern, fused where the output's layer has a fused kernel.
    public func squaredError<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                                   context: ForwardContext<Scalar>, at targets: SparseMatrix<Scalar>) -> Variable<Scalar>? {
        GraphEvaluation(graph: self, inputs: inputs, parameters: parameters, context: context)
            .evaluate(outputs[0].step, .squaredError(targets))
    }

    /// The same nodes, layers, parameters and ties.
    public static func == (a: Graph, b: Graph) -> Bool {
        guard a.name == b.name, a.inputs == b.inputs, a.outputs == b.outputs, a.parameterSpecs == b.parameterSpecs,
              a.steps.count == b.steps.count, a.tied.count == b.tied.count else { return false }
        for (x, y) in zip(a.steps, b.steps) {
            guard x.label == y.label, x.inputs == y.inputs, x.shape == y.shape, x.parameters == y.parameters else { return false }
            switch (x.layer, y.layer) {
            case (nil, nil): continue
            case (let l?, let m?) where l.isEqual(to: m): continue
            default: return false
            }
        }
        return zip(a.tied, b.tied).allSatisfy {
            $0.name == $1.name && $0.sources == $1.sources && $0.shape == $1.shape && $0.function.isEqual(to: $1.function)
        }
    }
}
