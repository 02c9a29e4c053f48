import TapeGrad

/// The logistic function as a layer.
public struct Sigmoid: Layer {
    /// Creates the layer.
    public init() {}
    /// `Sigmoid`.
    public var kind: String { "Sigmoid" }
    /// Elementwise: evaluated at a pattern from its input there.
    public var isElementwise: Bool { true }
    /// 1 / (1 + e⁻ˣ) elementwise.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        .dense(sigmoid(inputs[0].denseValue(for: kind)))
    }
}

/// max(x, 0) as a layer.
public struct ReLU: Layer {
    /// Creates the layer.
    public init() {}
    /// `ReLU`.
    public var kind: String { "ReLU" }
    /// Elementwise: evaluated at a pattern from its input there.
    public var isElementwise: Bool { true }
    /// max(x, 0) elementwise.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        .dense(relu(inputs[0].denseValue(for: kind)))
    }
}

/// tanh as a layer.
public struct Tanh: Layer {
    /// Creates the layer.
    public init() {}
    /// `Tanh`.
    public var kind: String { "Tanh" }
    /// Elementwise: evaluated at a pattern from its input there.
    public var isElementwise: Bool { true }
    /// tanh x elementwise.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        .dense(tanh(inputs[0].denseValue(for: kind)))
    }
}

/// The identity as a layer: a placeholder in `if/else` branches of a graph, and a named point
/// in the graph dump.
public struct Identity: Layer {
    /// Creates the layer.
    public init() {}
    /// `Identity`.
    public var kind: String { "Identity" }
    /// Elementwise: evaluated at a pattern from its input there.
    public var isElementwise: Bool { true }
    /// One dense or sparse input, kept as it is.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape {
        try singleInput(inputs, accepting: [.dense, .sparse])
    }
    /// The input.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        if case .dense(let x) = inputs[0] { return .dense(identity(x)) }
        return inputs[0]
    }
}

/// Inverted dropout: in training, each element is zeroed with probability `rate` and the
/// survivors are scaled by 1 / (1 − rate), so the expected value is unchanged and inference
/// needs no rescaling. On a sparse input it drops observed entries only (the masking noise of a
/// denoising autoencoder). At inference it is the identity.
public struct Dropout: Layer {
    /// The probability of dropping an element, in [0, 1).
    public var rate: Double
    /// Creates the layer.
    public init(rate: Double) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
    }
    /// `Dropout`.
    public var kind: String { "Dropout(\(rate))" }
    /// Elementwise: evaluated at a pattern from its input there.
    public var isElementwise: Bool { true }
    /// One dense or sparse input (drops stored entries), kept in shape.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape {
        try singleInput(inputs, accepting: [.dense, .sparse])
    }
    /// The masked, rescaled input in training; the input otherwise.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        guard context.isTraining, rate > 0 else { return inputs[0] }
        switch inputs[0] {
        case .sparse(let s):
            // Same structure (so a cached transpose stays valid), dropped values set to 0.
            return .sparse(s.replacingValues(Dropout.masked(s.values, rate: rate, generator: &context.generator)))
        case .dense(let v):
            let ones = [Scalar](repeating: 1, count: v.value.count)
            return .dense(v * Tensor(shape: v.shape, scalars: Dropout.masked(ones, rate: rate, generator: &context.generator)))
        case .ids: preconditionFailure("Dropout: ids input")
        }
    }

    /// `values[i] · m_i` with m_i = 0 with probability `rate`, else 1 / (1 − rate). Specialised:
    /// the layer's generic `forward` is called through the `Layer` protocol, and the same loop
    /// left generic spent 3× the rest of an ML-100K epoch in witness-table and metadata calls.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func masked<Scalar: TensorScalar>(_ values: [Scalar], rate: Double, generator: inout SplitMix64) -> [Scalar] {
        let keep = Scalar(1 / (1 - rate))
        return [Scalar](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                for i in 0..<v.count { out[i] = generator.nextUnit() < rate ? 0 : v[i] * keep }
            }
            initialized = values.count
        }
    }
}

/// Additive Gaussian noise in training (a denoising autoencoder's corruption); the identity at
/// inference. On a sparse input only the observed entries are perturbed.
public struct GaussianNoise: Layer {
    /// The noise's standard deviation.
    public var standardDeviation: Double
    /// Creates the layer.
    public init(standardDeviation: Double) {
        precondition(standardDeviation >= 0, "GaussianNoise: standard deviation must be ≥ 0, got \(standardDeviation)")
        self.standardDeviation = standardDeviation
    }
    /// `GaussianNoise`.
    public var kind: String { "GaussianNoise(\(standardDeviation))" }
    /// Elementwise: evaluated at a pattern from its input there.
    public var isElementwise: Bool { true }
    /// One dense or sparse input (perturbs stored entries), kept in shape.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape {
        try singleInput(inputs, accepting: [.dense, .sparse])
    }
    /// Input plus noise in training; the input otherwise.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        guard context.isTraining, standardDeviation > 0 else { return inputs[0] }
        switch inputs[0] {
        case .sparse(let s):
            let noise: [Scalar] = GaussianNoise.noise(s.nonzeroCount, standardDeviation: standardDeviation, generator: &context.generator)
            return .sparse(s.replacingValues(zip(s.values, noise).map { $0 + $1 }))
        case .dense(let v):
            let noise: [Scalar] = GaussianNoise.noise(v.value.count, standardDeviation: standardDeviation, generator: &context.generator)
            return .dense(v + Tensor(shape: v.shape, scalars: noise))
        case .ids: preconditionFailure("GaussianNoise: ids input")
        }
    }

    /// `count` draws of N(0, σ²). Specialised, like ``Dropout/masked(_:rate:generator:)``: the
    /// layer's `forward` runs generic through the `Layer` protocol, and a per-element loop left
    /// there pays witness-table calls per element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func noise<Scalar: TensorScalar>(_ count: Int, standardDeviation: Double, generator: inout SplitMix64) -> [Scalar] {
        (0..<count).map { _ in Scalar(standardDeviation * generator.nextNormal()) }
    }
}
