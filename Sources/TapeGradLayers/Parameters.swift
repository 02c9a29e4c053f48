import TapeGrad

/// A model's trainable tensors, by name, in declaration order.
///
/// A value type: optimizers update it through `inout`, gradients come back as another
/// `Parameters` with the same names, and a checkpoint is a `Parameters` written to disk.
/// The order is the order in which the layer graph declared them, so iteration, checkpoints
/// and optimizer state line up without sorting.
public struct Parameters<Scalar: TensorScalar>: Sendable, Equatable {
    /// The names, in order. Unique.
    public private(set) var names: [String]
    /// The tensors, aligned with `names`.
    public var tensors: [Tensor<Scalar>]
    /// Whether each tensor is a weight that weight decay / the Frobenius penalty applies to
    /// (biases are not regularised, as in the AutoRec paper).
    public private(set) var regularized: [Bool]
    private var positions: [String: Int]

    /// An empty set.
    public init() {
        names = []; tensors = []; regularized = []; positions = [:]
    }

    /// Creates a set from (name, tensor) pairs; names must be unique.
    public init(_ pairs: [(String, Tensor<Scalar>)], regularized: [Bool]? = nil) {
        self.init()
        for (i, (name, tensor)) in pairs.enumerated() {
            append(name, tensor, regularized: regularized?[i] ?? true)
        }
    }

    /// Adds a tensor at the end.
    public mutating func append(_ name: String, _ tensor: Tensor<Scalar>, regularized isRegularized: Bool = true) {
        precondition(positions[name] == nil, "Parameters.append: duplicate parameter name '\(name)'")
        positions[name] = names.count
        names.append(name)
        tensors.append(tensor)
        regularized.append(isRegularized)
    }

    /// The number of tensors.
    public var count: Int { names.count }
    /// The total number of scalars.
    public var scalarCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// The tensor with a name, or nil.
    public subscript(name: String) -> Tensor<Scalar>? {
        get { positions[name].map { tensors[$0] } }
        set {
            guard let i = positions[name] else { preconditionFailure("Parameters: no parameter named '\(name)'") }
            guard let newValue else { preconditionFailure("Parameters: cannot remove '\(name)'") }
            precondition(newValue.shape == tensors[i].shape,
                         "Parameters: '\(name)' has shape \(tensors[i].shape), cannot assign shape \(newValue.shape)")
            tensors[i] = newValue
        }
    }

    /// The position of a name, or nil.
    public func index(of name: String) -> Int? { positions[name] }

    /// A set with the same names and flags and new tensors (e.g. gradients, optimizer moments).
    public func withTensors(_ newTensors: [Tensor<Scalar>]) -> Parameters {
        precondition(newTensors.count == count, "Parameters.withTensors: \(newTensors.count) tensors for \(count) names")
        for (i, t) in newTensors.enumerated() {
            precondition(t.shape == tensors[i].shape, "Parameters.withTensors: '\(names[i])' has shape \(tensors[i].shape), got \(t.shape)")
        }
        var copy = self
        copy.tensors = newTensors
        return copy
    }

    /// Zeros with the same names and shapes: the initial state of most optimizers.
    public func zeros() -> Parameters { withTensors(tensors.map { .zeros($0.shape) }) }

    /// Σ over all tensors of the sum of squared elements.
    public func sumOfSquares() -> Double { tensors.reduce(0) { $0 + Double($1.sumOfSquares()) } }

    /// Exact equality of names, flags and tensors.
    public static func == (lhs: Parameters, rhs: Parameters) -> Bool {
        lhs.names == rhs.names && lhs.regularized == rhs.regularized && lhs.tensors == rhs.tensors
    }
}

extension Parameters: CustomStringConvertible {
    /// One line per tensor: name, shape, count.
    public var description: String {
        zip(names, tensors).map { "\($0): \($1.shape) (\($1.count))" }.joined(separator: "\n")
    }
}

/// How a parameter tensor is filled before training; every variant draws from the package's
/// seeded generator, so the same seed gives the same model everywhere.
public enum Initializer: Sendable, Equatable {
    /// All zeros (biases).
    case zeros
    /// A constant.
    case constant(Double)
    /// Uniform in [lower, upper).
    case uniform(lower: Double, upper: Double)
    /// Normal with mean 0.
    case normal(standardDeviation: Double)
    /// Glorot/Xavier uniform: U(−a, a), a = √(6 / (fanIn + fanOut)); keeps activation variance
    /// roughly constant through sigmoid/tanh layers.
    case glorotUniform
    /// Glorot/Xavier normal: N(0, 2 / (fanIn + fanOut)).
    case glorotNormal
    /// He normal: N(0, 2 / fanIn), for ReLU layers.
    case heNormal
    /// He uniform: U(−a, a), a = √(6 / fanIn).
    case heUniform
    /// For a matrix stored outputs × inputs: draws the inputs × outputs matrix (the reversed
    /// shape) with the wrapped rule and stores its transpose, so the values, fan-in and fan-out
    /// are those of the same layer stored the usual way, from the same seed.
    indirect case transposed(Initializer)

    /// A tensor of `shape` filled by this rule; for matrices fanIn = shape[0] and
    /// fanOut = shape[1] (weights are stored inputs × outputs).
    public func make<Scalar: TensorScalar>(_ shape: [Int], generator: inout SplitMix64) -> Tensor<Scalar> {
        let fanIn = Double(shape.count >= 2 ? shape[0] : shape.first ?? 1)
        let fanOut = Double(shape.count >= 2 ? shape[1] : shape.first ?? 1)
        func uniform(_ a: Double) -> Tensor<Scalar> {
            .uniform(shape, lower: Scalar(-a), upper: Scalar(a), generator: &generator)
        }
        func normal(_ s: Double) -> Tensor<Scalar> {
            .normal(shape, standardDeviation: Scalar(s), generator: &generator)
        }
        switch self {
        case .transposed(let rule):
            precondition(shape.count == 2, "Initializer.transposed: needs a matrix shape, got \(shape)")
            let drawn: Tensor<Scalar> = rule.make([shape[1], shape[0]], generator: &generator)
            return drawn.transposed
        case .zeros: return .zeros(shape)
        case .constant(let c): return Tensor(repeating: Scalar(c), shape: shape)
        case .uniform(let lower, let upper):
            return .uniform(shape, lower: Scalar(lower), upper: Scalar(upper), generator: &generator)
        case .normal(let s): return normal(s)
        case .glorotUniform: return uniform((6 / (fanIn + fanOut)).squareRoot())
        case .glorotNormal: return normal((2 / (fanIn + fanOut)).squareRoot())
        case .heNormal: return normal((2 / fanIn).squareRoot())
        case .heUniform: return uniform((6 / fanIn).squareRoot())
        }
    }
}
