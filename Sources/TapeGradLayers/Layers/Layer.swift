import TapeGrad

/// What a node of a graph holds while the graph runs: a batch of rows, one row per instance.
public enum LayerValue<Scalar: TensorScalar> {
    /// A dense batch × features matrix on the tape.
    case dense(Variable<Scalar>)
    /// A constant sparse batch × features matrix (rating rows). Only layers that read their
    /// input linearly (``Dense``) or per stored entry (``Dropout``, ``GaussianNoise``,
    /// ``Identity``) accept it, which the graph checks when it is built.
    case sparse(SparseMatrix<Scalar>)
    /// One integer id per row (user or item ids), read by ``Embedding``.
    case ids([Int32])

    /// A constant dense batch, not yet on a tape: the graph puts it on its own tape when it
    /// binds the inputs (so `predict` and training closures need no tape of their own).
    public static func constant(_ x: Tensor<Scalar>) -> LayerValue {
        .dense(Tape<Scalar>(recording: false).variable(x))
    }

    /// The number of rows.
    public var rows: Int {
        switch self {
        case .dense(let v): return v.shape.first ?? 0
        case .sparse(let s): return s.rows
        case .ids(let ids): return ids.count
        }
    }

    /// The dense matrix, or a precondition failure naming the layer that needed it (the graph
    /// checks kinds when it is built, so this fails only for a layer that declared its input
    /// kinds wrongly).
    public func denseValue(for layer: String) -> Variable<Scalar> {
        guard case .dense(let v) = self else { preconditionFailure("\(layer): needs a dense input, got \(self)") }
        return v
    }
}

/// The shape of a node's value, per row: what the graph checks when it is built.
public struct NodeShape: Sendable, Hashable, CustomStringConvertible {
    /// How the rows are stored.
    public enum Kind: String, Sendable, Hashable {
        /// A dense matrix.
        case dense
        /// A sparse matrix (``LayerValue/sparse(_:)``).
        case sparse
        /// One id per row (``LayerValue/ids(_:)``).
        case ids
    }
    /// How the rows are stored.
    public var kind: Kind
    /// The number of columns; for ids, the number of distinct ids (ids lie in 0..<features).
    public var features: Int

    /// Creates a shape.
    public init(_ kind: Kind, features: Int) {
        self.kind = kind
        self.features = features
    }
    /// A dense batch × `features` shape.
    public static func dense(_ features: Int) -> NodeShape { NodeShape(.dense, features: features) }
    /// A sparse batch × `features` shape.
    public static func sparse(_ features: Int) -> NodeShape { NodeShape(.sparse, features: features) }
    /// One id in 0..<`count` per row.
    public static func ids(_ count: Int) -> NodeShape { NodeShape(.ids, features: count) }

    /// `[batch, 16]`, `[batch, 943] sparse`, `[batch] ids in 0..<943`.
    public var description: String {
        switch kind {
        case .dense: return "[batch, \(features)]"
        case .sparse: return "[batch, \(features)] sparse"
        case .ids: return "[batch] ids in 0..<\(features)"
        }
    }
}

/// What a forward pass needs besides the inputs and the parameters; one per evaluation, passed
/// unchanged to every layer (settings that layers read belong here).
public final class ForwardContext<Scalar: TensorScalar> {
    /// The tape ops are recorded on (a non-recording tape for inference).
    public let tape: Tape<Scalar>
    /// Whether this is a training pass: ``Dropout`` and noise layers act only then.
    public let isTraining: Bool
    /// The generator for dropout masks and noise, advanced by each pass in the graph's node
    /// order.
    public var generator: SplitMix64
    /// The precision the sparse products of this pass gather their operands in (``Dense``
    /// passes it to them): `.bf16` is mixed precision for Float models (see ``Precision``).
    public var precision: Precision

    /// Creates a context.
    public init(tape: Tape<Scalar>, isTraining: Bool, generator: SplitMix64 = SplitMix64(seed: 0),
                precision: Precision = .fp32) {
        self.tape = tape
        self.isTraining = isTraining
        self.generator = generator
        self.precision = precision
    }
}

/// A parameter a layer declares: its name within the layer, shape and initialiser. As a
/// statement in a ``Graph`` block it declares a parameter of the graph itself (full name),
/// for ``Tie``s that compute a layer's weight from it.
public struct ParameterSpec: Sendable, Equatable {
    /// The name within the layer (`weight`, `bias`); the graph prefixes the layer's name.
    public var name: String
    /// The shape.
    public var shape: [Int]
    /// How it is filled before training.
    public var initializer: Initializer
    /// Whether the weight penalty applies (true for weights, false for biases).
    public var regularized: Bool

    /// Creates a declaration.
    public init(name: String, shape: [Int], initializer: Initializer, regularized: Bool) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
        self.regularized = regularized
    }

    /// The number of scalars.
    public var count: Int { shape.reduce(1, *) }
}

/// A building block of a ``Graph``: a value that declares its parameters and computes its
/// output from its inputs (one or more earlier nodes) and those parameters.
///
/// Layers hold configuration only, never tensors: the parameters live in a ``Parameters``
/// value owned by the caller, so a model can be copied, checkpointed and updated by an
/// optimizer without the layers knowing. A layer's identity is its name: applying the same
/// (equal, named) layer twice shares its parameters, which is why layers are `Equatable`.
///
/// To write a layer, check the inputs in ``outputShape(for:)``, declare parameters in
/// ``parameters(for:)`` and compute with the ops in ``forward(_:parameters:context:)``;
/// gradients come from the ops (see Docs/Layers.md). The remaining requirements have
/// defaults and exist for speed: a layer that can compute its output only at some entries
/// (``forward(_:parameters:context:at:)``), or fuse itself with the square loss
/// (``squaredError(_:parameters:context:at:)``), says so itself; the graph never inspects
/// layer types.
public protocol Layer: Sendable, Equatable {
    /// The layer's kind for summaries and messages (`Dense(sigmoid)`, `Dropout(0.1)`).
    var kind: String { get }
    /// The name that prefixes the layer's parameters and identifies it (a layer applied twice
    /// under one name shares its parameters), or nil for a name generated from its position.
    var name: String? { get }
    /// The input feature size the layer requires, or nil when it accepts any; a chain that
    /// starts with this layer gets an input of this size.
    var inputSize: Int? { get }
    /// The output's shape for the inputs' shapes; throws a message (without the layer's name,
    /// which the graph adds) when the inputs do not fit.
    func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape
    /// The parameters the layer owns for these input shapes.
    func parameters(for inputs: [NodeShape]) -> [ParameterSpec]
    /// Computes the layer on a batch. `parameters` are the variables of the specs from
    /// ``parameters(for:)``, in order; the inputs have the kinds that ``outputShape(for:)``
    /// accepted.
    func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                       context: ForwardContext<Scalar>) -> LayerValue<Scalar>
    /// Whether output entry (i, j) depends only on entry (i, j) of each dense input, and
    /// ``forward(_:parameters:context:)`` applies to values of any shape: then the graph
    /// evaluates such a layer at a pattern by passing its inputs' values at the pattern
    /// (vectors in the pattern's entry order) through `forward`.
    var isElementwise: Bool { get }
    /// The output only at the stored entries of `pattern` (rows = the batch), as a vector in
    /// the pattern's entry order, from the dense inputs; nil when the layer has no cheaper way
    /// than its full output (the graph then gathers the entries from it).
    func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                       context: ForwardContext<Scalar>, at pattern: SparseMatrix<Scalar>) -> Variable<Scalar>?
    /// Σₚ (yₚ − vₚ)² of the layer's output y at the stored entries p of `targets` (values v),
    /// computed by a kernel fused with the layer; nil when the layer has none (the graph then
    /// evaluates the output at the pattern and applies `sampledSquareLoss`). A fused path must
    /// equal that composition (tested for each layer that has one).
    func squaredError<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                            context: ForwardContext<Scalar>, at targets: SparseMatrix<Scalar>) -> Variable<Scalar>?
}

extension Layer {
    /// No name: the graph generates one from the layer's position.
    public var name: String? { nil }
    /// Accepts any input size.
    public var inputSize: Int? { nil }
    /// One dense input, kept as it is.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape {
        try singleInput(inputs)
    }
    /// No parameters.
    public func parameters(for inputs: [NodeShape]) -> [ParameterSpec] { [] }
    /// Not elementwise.
    public var isElementwise: Bool { false }
    /// No evaluation at a pattern: the graph gathers from the full output.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>, at pattern: SparseMatrix<Scalar>) -> Variable<Scalar>? {
        nil
    }
    /// No fused loss.
    public func squaredError<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                                   context: ForwardContext<Scalar>, at targets: SparseMatrix<Scalar>) -> Variable<Scalar>? {
        nil
    }

    /// The shape of the only input, checking that there is one and that its kind is accepted
    /// (a helper for ``outputShape(for:)``).
    public func singleInput(_ inputs: [NodeShape], accepting kinds: Set<NodeShape.Kind> = [.dense]) throws(GraphError) -> NodeShape {
        guard inputs.count == 1 else { throw GraphError("takes 1 input, got \(inputs.count)") }
        guard kinds.contains(inputs[0].kind) else {
            let hint = inputs[0].kind == .sparse ? "; put a Dense layer first" : inputs[0].kind == .ids ? "; put an Embedding first" : ""
            throw GraphError("cannot take an input of shape \(inputs[0])\(hint)")
        }
        return inputs[0]
    }

    /// Whether `other` is a layer of the same type with the same configuration.
    func isEqual(to other: any Layer) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}
