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

/// A fully connected layer y = f(x · W + b), W of shape inputSize × outputSize.
///
/// On a sparse input x it uses the sparse × dense product, so its cost is proportional to the
/// stored entries. As the output layer with an output pattern, it computes x · W + b only at
/// the pattern's entries (sampled product plus the bias gathered at the entries' columns), so
/// the cost is proportional to the entries there too; unobserved outputs are never formed.
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
    /// Sparse input is read with the sparse product.
    public var acceptsSparseInput: Bool { true }

    /// Creates a layer.
    public init(inputSize: Int, outputSize: Int, activation: ActivationFunction = .identity,
                weightInitializer: Initializer = .glorotUniform, name: String? = nil) {
        precondition(inputSize > 0 && outputSize > 0, "Dense: sizes must be positive, got \(inputSize) → \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.activation = activation
        self.weightInitializer = weightInitializer
        self.name = name
    }

    /// `outputSize`.
    public func outputSize(inputSize: Int) -> Int { outputSize }

    /// `weight` (inputSize × outputSize, regularised) and `bias` (outputSize, not regularised).
    public func parameters(inputSize: Int) -> [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [inputSize, outputSize], initializer: weightInitializer, regularized: true),
         ParameterSpec(name: "bias", shape: [outputSize], initializer: .zeros, regularized: false)]
    }

    /// f(x · W + b), dense, sparse or sampled as described on the type.
    public func forward<Scalar: TensorScalar>(_ input: LayerValue<Scalar>, parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>, isOutput: Bool) -> LayerValue<Scalar> {
        let (w, b) = (parameters[0], parameters[1])
        if isOutput, let pattern = context.outputPattern {
            // Only the entries of the pattern: hidden rows of this batch · W at those entries.
            let hidden: Variable<Scalar>
            switch input {
            case .dense(let v): hidden = v
            case .sparse(let s): hidden = context.tape.variable(s.toDense(), name: "densified input")
            case .sampled: preconditionFailure("Dense: the input is already sampled")
            }
            let z = sampledMatmul(hidden, w, at: pattern) + gather(b, at: pattern.columnIndices)
            return .sampled(activation.apply(z), pattern: pattern)
        }
        let z: Variable<Scalar>
        switch input {
        case .dense(let x): z = matmul(x, w) + b
        case .sparse(let s): z = matmul(s, w) + b
        case .sampled: preconditionFailure("Dense: cannot follow a sampled output")
        }
        return .dense(activation.apply(z))
    }
}
