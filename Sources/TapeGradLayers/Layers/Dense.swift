import TapeGrad

/// An elementwise nonlinearity, used by ``Dense`` and by the activation layers.
public enum ActivationFunction: String, Sendable, Codable, CaseIterable {
    /// f(x) = x.
    case identity
    /// f(x) = 1 / (1 + e⁻ˣ).
    case sigmoid
    /// f(x) = tanh x.
    case tanh
    /// f(x) = max(x, 0).
    case relu

    /// Applies the function with the matching op.
    public func apply<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
        switch self {
        case .identity: return x
        case .sigmoid: return TapeGrad.sigmoid(x)
        case .tanh: return TapeGrad.tanh(x)
        case .relu: return TapeGrad.relu(x)
        }
    }
}

/// How a ``Dense`` layer stores W.
public enum WeightLayout: String, Sendable, Codable, Equatable {
    /// inputSize × outputSize (the default): row i holds input i's weights, which is what a
    /// sparse input gathers (x · W touches only the rows of x's stored entries).
    case inputsByOutputs
    /// outputSize × inputSize (PyTorch's layout): row j holds output j's weights, which is what
    /// a sampled output reads (each entry is the dot product of a hidden row and row j).
    /// Choosing it for an output layer evaluated at a pattern saves transposing W forward and
    /// its gradient back on every step (two W-sized arrays per step; 2 × 960 MB for AutoRec on
    /// the Netflix shape).
    case outputsByInputs
}

/// A fully connected layer y = f(x · W + b), W of shape inputSize × outputSize (or its
/// transpose, see ``WeightLayout``).
///
/// On a sparse input x it uses the sparse × dense product, so its cost is proportional to the
/// stored entries. As the output layer with an output pattern, it computes x · W + b only at
/// the pattern's entries (sampled product plus the bias gathered at the entries' columns), so
/// the cost is proportional to the entries there too; unobserved outputs are never formed.
/// Both sparse products gather in the pass's ``ForwardContext/precision``.
public struct Dense: Layer {
    /// `Dense`.
    public var kind: String { "Dense" }
    /// The name prefixing `weight` and `bias`.
    public var name: String?
    /// The number of input features.
    public var inputSize: Int?
    /// The number of output features.
    public var outputSize: Int
    /// The nonlinearity applied after the affine map.
    public var activation: ActivationFunction
    /// How W is initialised (biases start at zero).
    public var weightInitializer: Initializer
    /// How W is stored; either way the layer computes the same function from the same seed.
    public var weightLayout: WeightLayout
    /// Sparse input is read with the sparse product.
    public var acceptsSparseInput: Bool { true }

    /// Creates a layer.
    public init(inputSize: Int, outputSize: Int, activation: ActivationFunction = .identity,
                weightInitializer: Initializer = .glorotUniform, weightLayout: WeightLayout = .inputsByOutputs,
                name: String? = nil) {
        precondition(inputSize > 0 && outputSize > 0, "Dense: sizes must be positive, got \(inputSize) → \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.activation = activation
        self.weightInitializer = weightInitializer
        self.weightLayout = weightLayout
        self.name = name
    }

    /// `outputSize`.
    public func outputSize(inputSize: Int) -> Int { outputSize }

    /// `weight` (inputSize × outputSize, or outputSize × inputSize per ``weightLayout``;
    /// regularised) and `bias` (outputSize, not regularised).
    public func parameters(inputSize: Int) -> [ParameterSpec] {
        let weight = switch weightLayout {
        case .inputsByOutputs:
            ParameterSpec(name: "weight", shape: [inputSize, outputSize], initializer: weightInitializer, regularized: true)
        case .outputsByInputs:
            ParameterSpec(name: "weight", shape: [outputSize, inputSize], initializer: .transposed(weightInitializer), regularized: true)
        }
        return [weight, ParameterSpec(name: "bias", shape: [outputSize], initializer: .zeros, regularized: false)]
    }

    /// f(x · W + b), dense, sparse or sampled as described on the type.
    public func forward<Scalar: TensorScalar>(_ input: LayerValue<Scalar>, parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>, isOutput: Bool) -> LayerValue<Scalar> {
        let (w, b) = (parameters[0], parameters[1])
        let transposed = weightLayout == .outputsByInputs
        if isOutput, let pattern = context.outputPattern {
            // Only the entries of the pattern: hidden rows of this batch · W at those entries.
            let hidden: Variable<Scalar>
            switch input {
            case .dense(let v): hidden = v
            case .sparse(let s): hidden = context.tape.variable(s.toDense(), name: "densified input")
            case .sampled: preconditionFailure("Dense: the input is already sampled")
            }
            let z = sampledMatmul(hidden, w, transposeB: transposed, at: pattern, precision: context.precision) + gather(b, at: pattern.columnIndices)
            return .sampled(activation.apply(z), pattern: pattern)
        }
        let z: Variable<Scalar>
        switch input {
        case .dense(let x): z = matmul(x, w, transposeB: transposed) + b
        case .sparse(let s) where !transposed: z = matmul(s, w, precision: context.precision) + b
        case .sparse(let s):
            // Rows of an outputs × inputs W cannot be gathered by input: densify (correct, but
            // O(batch × inputs); choose inputsByOutputs for layers that read sparse input).
            z = matmul(context.tape.variable(s.toDense(), name: "densified input"), w, transposeB: true) + b
        case .sampled: preconditionFailure("Dense: cannot follow a sampled output")
        }
        return .dense(activation.apply(z))
    }
}
