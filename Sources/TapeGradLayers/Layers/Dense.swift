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
/// stored entries. Asked for its output only at a pattern's entries (a loss on observed
/// ratings), it computes x · W + b only there (sampled product plus the bias gathered at the
/// entries' columns), so the cost is proportional to the entries too; unobserved outputs are
/// never formed. With the identity activation and W stored outputs × inputs it fuses itself
/// with the square loss (``sampledAffineSquareLoss(_:_:bias:targets:precision:)``). The sparse
/// products gather in the pass's ``ForwardContext/precision``.
public struct Dense: Layer {
    /// `Dense`, with the activation unless it is the identity (`Dense(sigmoid)`).
    public var kind: String { activation == .identity ? "Dense" : "Dense(\(activation.rawValue))" }
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

    /// A dense batch × outputSize, from one dense or sparse input of `inputSize` features.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape {
        let input = try singleInput(inputs, accepting: [.dense, .sparse])
        if let inputSize, input.features != inputSize {
            throw GraphError("expects input of shape \(NodeShape(input.kind, features: inputSize)) but receives \(input)")
        }
        return .dense(outputSize)
    }

    /// `weight` (inputSize × outputSize, or outputSize × inputSize per ``weightLayout``;
    /// regularised) and `bias` (outputSize, not regularised).
    public func parameters(for inputs: [NodeShape]) -> [ParameterSpec] {
        let inputSize = inputs[0].features
        let weight = switch weightLayout {
        case .inputsByOutputs:
            ParameterSpec(name: "weight", shape: [inputSize, outputSize], initializer: weightInitializer, regularized: true)
        case .outputsByInputs:
            ParameterSpec(name: "weight", shape: [outputSize, inputSize], initializer: .transposed(weightInitializer), regularized: true)
        }
        return [weight, ParameterSpec(name: "bias", shape: [outputSize], initializer: .zeros, regularized: false)]
    }

    /// f(x · W + b) for a dense or sparse x.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        let (w, b) = (parameters[0], parameters[1])
        let transposed = weightLayout == .outputsByInputs
        let z: Variable<Scalar>
        switch inputs[0] {
        case .sparse(let s) where !transposed: z = matmul(s, w, precision: context.precision) + b
        case .sparse(let s):
            // Rows of an outputs × inputs W cannot be gathered by input: densify (correct, but
            // O(batch × inputs); choose inputsByOutputs for layers that read sparse input).
            z = matmul(context.tape.variable(s.toDense(), name: "densified input"), w, transposeB: true) + b
        case let x: z = matmul(x.denseValue(for: kind), w, transposeB: transposed) + b
        }
        return .dense(activation.apply(z))
    }

    /// f(x · W + b) at the pattern's entries only: the sampled product of the input rows and W
    /// plus the bias gathered at the entries' columns.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>, at pattern: SparseMatrix<Scalar>) -> Variable<Scalar>? {
        let (w, b) = (parameters[0], parameters[1])
        let z = sampledMatmul(denseInput(inputs[0], context: context), w, transposeB: weightLayout == .outputsByInputs, at: pattern,
                              precision: context.precision)
            + gather(b, at: pattern.columnIndices)
        return activation.apply(z)
    }

    /// With the identity activation and W stored outputs × inputs: the layer and the square
    /// loss in one pass over W's rows (``sampledAffineSquareLoss(_:_:bias:targets:precision:)``, the
    /// same value and gradients as the sampled output followed by `sampledSquareLoss`).
    public func squaredError<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                                   context: ForwardContext<Scalar>, at targets: SparseMatrix<Scalar>) -> Variable<Scalar>? {
        guard activation == .identity, weightLayout == .outputsByInputs else { return nil }
        return sampledAffineSquareLoss(denseInput(inputs[0], context: context), parameters[0], bias: parameters[1], targets: targets,
                                       precision: context.precision)
    }

    /// The input rows as a dense matrix (a sparse input is densified: the sampled product
    /// reads whole rows).
    private func denseInput<Scalar>(_ input: LayerValue<Scalar>, context: ForwardContext<Scalar>) -> Variable<Scalar> {
        if case .sparse(let s) = input { return context.tape.variable(s.toDense(), name: "densified input") }
        return input.denseValue(for: kind)
    }
}
