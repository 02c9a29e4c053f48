import TapeGrad

/// What flows from one layer to the next: a batch of rows, dense or sparse.
public enum LayerValue<Scalar: TensorScalar> {
    /// A dense batch × features matrix on the tape.
    case dense(Variable<Scalar>)
    /// A constant sparse batch × features input (rating rows). Only layers that read their
    /// input linearly (``Dense``) or per stored entry (``Dropout``, ``GaussianNoise``) accept it,
    /// which the graph checks when it is built.
    case sparse(SparseMatrix<Scalar>)
    /// Outputs computed only at the stored entries of a pattern (one value per entry, in the
    /// pattern's order): what the output layer produces when the loss needs only the observed
    /// entries. Elementwise layers apply to the values.
    case sampled(Variable<Scalar>, pattern: SparseMatrix<Scalar>)

    /// The dense matrix, or a precondition failure naming the layer that needed it.
    public func denseValue(for layer: String) -> Variable<Scalar> {
        guard case .dense(let v) = self else { preconditionFailure("\(layer): needs a dense input") }
        return v
    }

    /// Applies an elementwise function to dense values or to sampled values.
    public func mapElements(_ layer: String, _ f: (Variable<Scalar>) -> Variable<Scalar>) -> LayerValue {
        switch self {
        case .dense(let v): return .dense(f(v))
        case .sampled(let v, let pattern): return .sampled(f(v), pattern: pattern)
        case .sparse: preconditionFailure("\(layer): cannot take the sparse input directly; put a Dense layer first")
        }
    }
}

/// What a forward pass needs besides the input and the parameters.
public final class ForwardContext<Scalar: TensorScalar> {
    /// The tape ops are recorded on (a non-recording tape for inference).
    public let tape: Tape<Scalar>
    /// Whether this is a training pass: ``Dropout`` and noise layers act only then.
    public let isTraining: Bool
    /// The generator for dropout masks and noise, advanced by each pass.
    public var generator: SplitMix64
    /// Where the output layer is evaluated, when only some outputs are needed (the observed
    /// ratings in training, the test pairs in evaluation); nil for the full dense output.
    public let outputPattern: SparseMatrix<Scalar>?
    /// The precision the sparse products of this pass gather their operands in (``Dense``
    /// passes it to them): `.bf16` is mixed precision for Float models (see ``Precision``).
    public var precision: Precision

    /// Creates a context.
    public init(tape: Tape<Scalar>, isTraining: Bool, generator: SplitMix64 = SplitMix64(seed: 0),
                outputPattern: SparseMatrix<Scalar>? = nil, precision: Precision = .fp32) {
        self.tape = tape
        self.isTraining = isTraining
        self.generator = generator
        self.outputPattern = outputPattern
        self.precision = precision
    }
}

/// A parameter a layer declares: its name within the layer, shape and initialiser.
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
}

/// A building block of a ``Graph``: a value that declares its parameters and computes its
/// output from its input and those parameters.
///
/// Layers hold configuration only, never tensors: the parameters live in a ``Parameters``
/// value owned by the caller, so a model can be copied, checkpointed and updated by an
/// optimizer without the layers knowing. To write a layer, declare its parameters in
/// ``parameters(inputSize:)`` and compute with the ops in ``forward(_:parameters:context:isOutput:)``;
/// gradients come from the ops (see Docs/Layers.md).
public protocol Layer: Sendable {
    /// The layer's kind for summaries (`Dense`, `Sigmoid`).
    var kind: String { get }
    /// The name that prefixes the layer's parameters, or nil to use its position.
    var name: String? { get }
    /// The input feature size the layer requires, or nil when it accepts any.
    var inputSize: Int? { get }
    /// Whether the layer accepts the sparse input directly.
    var acceptsSparseInput: Bool { get }
    /// The output feature size for an input feature size.
    func outputSize(inputSize: Int) -> Int
    /// The parameters the layer owns for an input feature size.
    func parameters(inputSize: Int) -> [ParameterSpec]
    /// Computes the layer. `parameters` are the variables of the specs from
    /// ``parameters(inputSize:)``, in order. `isOutput` is true for the layer that produces the
    /// graph's output values (the last one with parameters): it evaluates only at
    /// `context.outputPattern` when one is given.
    func forward<Scalar: TensorScalar>(_ input: LayerValue<Scalar>, parameters: [Variable<Scalar>],
                                       context: ForwardContext<Scalar>, isOutput: Bool) -> LayerValue<Scalar>
}

extension Layer {
    /// No name: parameters are prefixed by the layer's position.
    public var name: String? { nil }
    /// Accepts any input size.
    public var inputSize: Int? { nil }
    /// Dense input only.
    public var acceptsSparseInput: Bool { false }
    /// Keeps the feature size.
    public func outputSize(inputSize: Int) -> Int { inputSize }
    /// No parameters.
    public func parameters(inputSize: Int) -> [ParameterSpec] { [] }
}
