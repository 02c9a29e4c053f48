import TapeGrad

/// An error in a graph's declaration, found when the graph is built.
public struct GraphError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The message, naming the layer (position, kind and name) and the shapes involved.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// Collects the layers of a ``Graph``, with `if`, `if/else` and `for` (so a deep variant is a
/// loop over sizes).
@resultBuilder
public enum GraphBuilder {
    /// One layer.
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    /// Several layers (a sub-graph's layers or a helper's result).
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    /// A sequence of statements.
    public static func buildBlock(_ components: [any Layer]...) -> [any Layer] { components.flatMap { $0 } }
    /// `if` without `else`.
    public static func buildOptional(_ component: [any Layer]?) -> [any Layer] { component ?? [] }
    /// The `if` branch.
    public static func buildEither(first component: [any Layer]) -> [any Layer] { component }
    /// The `else` branch.
    public static func buildEither(second component: [any Layer]) -> [any Layer] { component }
    /// A `for` loop.
    public static func buildArray(_ components: [[any Layer]]) -> [any Layer] { components.flatMap { $0 } }
}

/// A model declared as a sequence of layers, checked when it is built.
///
/// ```swift
/// let autoencoder = try Graph {
///     Dense(inputSize: 943, outputSize: 500, activation: .sigmoid, name: "encoder")
///     for size in deepSizes { Dense(inputSize: …, outputSize: size, activation: .sigmoid) }
///     Dense(inputSize: 500, outputSize: 943, name: "decoder")
/// }
/// var parameters: Parameters<Float> = autoencoder.initialParameters(seed: 1)
/// print(autoencoder)   // layer, output shape, parameters, total
/// ```
///
/// Building computes every layer's input and output size and throws a ``GraphError`` naming
/// the layer and both sizes when a layer's declared input size differs from what the previous
/// layer produces. Parameters are named `LAYER.PARAM`, where LAYER is the layer's name or else
/// its position (`encoder.weight`, `1.bias`).
public struct Graph: Sendable, CustomStringConvertible {
    /// The layers in order.
    public let layers: [any Layer]
    /// The number of input features.
    public let inputSize: Int
    /// Each layer's output feature size.
    public let outputSizes: [Int]
    /// Each layer's parameter declarations, with the full names.
    public let parameterSpecs: [[ParameterSpec]]
    /// The index of the layer that produces output values (the last with parameters).
    public let outputLayer: Int

    /// Builds and checks a graph. `inputSize` may be omitted when the first layer declares one.
    public init(inputSize: Int? = nil, @GraphBuilder _ layers: () -> [any Layer]) throws(GraphError) {
        try self.init(inputSize: inputSize, layers: layers())
    }

    /// Builds and checks a graph from an array of layers.
    public init(inputSize: Int? = nil, layers: [any Layer]) throws(GraphError) {
        guard !layers.isEmpty else { throw GraphError("Graph: no layers") }
        guard let size = inputSize ?? layers.first?.inputSize else {
            throw GraphError("Graph: give inputSize, or start with a layer that declares one (e.g. Dense)")
        }
        var current = size
        var sizes = [Int](), specs = [[ParameterSpec]](), names = Set<String>()
        for (i, layer) in layers.enumerated() {
            let label = Graph.label(layer, at: i)
            if let expected = layer.inputSize, expected != current {
                throw GraphError("\(label) expects input of shape [batch, \(expected)] but receives [batch, \(current)]")
            }
            current = layer.outputSize(inputSize: current)
            sizes.append(current)
            let prefix = layer.name ?? String(i)
            let layerSpecs = layer.parameters(inputSize: i == 0 ? size : sizes[i - 1]).map { spec in
                var s = spec
                s.name = prefix + "." + spec.name
                return s
            }
            for s in layerSpecs where !names.insert(s.name).inserted {
                throw GraphError("\(label): parameter name '\(s.name)' is already used by an earlier layer")
            }
            specs.append(layerSpecs)
        }
        self.layers = layers
        self.inputSize = size
        self.outputSizes = sizes
        self.parameterSpecs = specs
        self.outputLayer = specs.lastIndex { !$0.isEmpty } ?? layers.count - 1
    }

    private static func label(_ layer: any Layer, at i: Int) -> String {
        "layer \(i) (\(layer.kind)\(layer.name.map { " '\($0)'" } ?? ""))"
    }

    /// The number of output features.
    public var outputSize: Int { outputSizes.last ?? inputSize }

    /// Every parameter declaration in order.
    public var allParameterSpecs: [ParameterSpec] { parameterSpecs.flatMap { $0 } }

    /// The total number of trainable scalars.
    public var parameterCount: Int { allParameterSpecs.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// Fresh parameters drawn from the declared initialisers with a seeded generator.
    public func initialParameters<Scalar: TensorScalar>(seed: UInt64, as: Scalar.Type = Scalar.self) -> Parameters<Scalar> {
        var generator = SplitMix64(seed: seed)
        var parameters = Parameters<Scalar>()
        for spec in allParameterSpecs {
            parameters.append(spec.name, spec.initializer.make(spec.shape, generator: &generator), regularized: spec.regularized)
        }
        return parameters
    }

    /// Checks that `parameters` have this graph's names and shapes, with a message naming the
    /// first parameter that differs (for checkpoints loaded from disk).
    public func validate<Scalar>(_ parameters: Parameters<Scalar>) throws(GraphError) {
        let specs = allParameterSpecs
        for spec in specs {
            guard let t = parameters[spec.name] else {
                throw GraphError("parameter '\(spec.name)' of shape \(spec.shape) is missing")
            }
            guard t.shape == spec.shape else {
                throw GraphError("parameter '\(spec.name)' has shape \(t.shape) but the graph needs \(spec.shape)")
            }
        }
        if parameters.count != specs.count {
            let extra = parameters.names.filter { name in !specs.contains { $0.name == name } }
            throw GraphError("unexpected parameters: \(extra.joined(separator: ", "))")
        }
    }

    /// Runs the graph on `input` with parameter variables in declaration order (as created by
    /// ``variables(_:on:)``).
    public func callAsFunction<Scalar>(_ input: LayerValue<Scalar>, parameters: [Variable<Scalar>],
                                       context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        run(input, parameters: parameters, context: context, layers: layers.count)
    }

    /// Runs every layer before the output layer and returns the output layer's input, the
    /// output layer and its parameter variables; nil when other layers follow the output
    /// layer. For losses fused with the output layer, such as AutoRec's decoder and square
    /// loss (``sampledAffineSquareLoss(_:_:bias:targets:)``), which need the layer's input
    /// rather than its output.
    public func forwardToOutputLayer<Scalar>(_ input: LayerValue<Scalar>, parameters: [Variable<Scalar>],
                                             context: ForwardContext<Scalar>)
        -> (input: LayerValue<Scalar>, layer: any Layer, parameters: [Variable<Scalar>])? {
        guard outputLayer == layers.count - 1 else { return nil }
        let value = run(input, parameters: parameters, context: context, layers: outputLayer)
        let offset = parameterSpecs[..<outputLayer].reduce(0) { $0 + $1.count }
        return (value, layers[outputLayer], Array(parameters[offset..<offset + parameterSpecs[outputLayer].count]))
    }

    /// The first `count` layers applied to `input`.
    private func run<Scalar>(_ input: LayerValue<Scalar>, parameters: [Variable<Scalar>], context: ForwardContext<Scalar>,
                             layers count: Int) -> LayerValue<Scalar> {
        if case .sparse = input {
            precondition(layers[0].acceptsSparseInput, "Graph: \(Graph.label(layers[0], at: 0)) cannot take a sparse input")
        }
        var value = input
        var offset = 0
        for (i, layer) in layers.prefix(count).enumerated() {
            let n = parameterSpecs[i].count
            value = layer.forward(value, parameters: Array(parameters[offset..<offset + n]),
                                  context: context, isOutput: i == outputLayer)
            offset += n
        }
        return value
    }

    /// Puts parameters on a tape, in declaration order, named for graph dumps.
    public func variables<Scalar>(_ parameters: Parameters<Scalar>, on tape: Tape<Scalar>) -> [Variable<Scalar>] {
        zip(parameters.names, parameters.tensors).map { tape.variable($1, name: $0) }
    }

    /// Inference on a dense or sparse batch: the full output matrix, nothing recorded.
    public func predict<Scalar>(_ input: LayerValue<Scalar>, parameters: Parameters<Scalar>) -> Tensor<Scalar> {
        let tape = Tape<Scalar>(recording: false)
        let out = self(input, parameters: variables(parameters, on: tape), context: ForwardContext(tape: tape, isTraining: false))
        return out.denseValue(for: "Graph.predict").value
    }

    /// A table: layer, output shape, parameter count, and the total.
    public var description: String {
        var rows = [("Layer", "Output shape", "Parameters")]
        rows.append(("Input", "[batch, \(inputSize)]", ""))
        for (i, layer) in layers.enumerated() {
            let count = parameterSpecs[i].reduce(0) { $0 + $1.shape.reduce(1, *) }
            rows.append(("\(i) \(layer.kind)" + (layer.name.map { " '\($0)'" } ?? "") + (layer is Dense ? " \((layer as! Dense).activation.rawValue)" : ""),
                         "[batch, \(outputSizes[i])]", count == 0 ? "0" : String(count)))
        }
        let widths = (rows.map(\.0.count).max()!, rows.map(\.1.count).max()!, rows.map(\.2.count).max()!)
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: w - s.count) }
        func line(_ r: (String, String, String)) -> String {
            pad(r.0, widths.0) + "  " + pad(r.1, widths.1) + "  " + String(repeating: " ", count: widths.2 - r.2.count) + r.2
        }
        let rule = String(repeating: "─", count: widths.0 + widths.1 + widths.2 + 4)
        var lines = [line(rows[0]), rule] + rows.dropFirst().map(line)
        lines += [rule, "Total parameters: \(parameterCount)"]
        return lines.joined(separator: "\n")
    }
}
