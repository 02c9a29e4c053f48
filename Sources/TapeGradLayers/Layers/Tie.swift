import TapeGrad

/// A function computing a parameter from other parameters on the tape, so that gradients
/// reach those parameters through its ops (for example W ⊙ K(U, V), the kernelised weight of
/// Sparse FC / GLocal-K).
public protocol ParameterFunction: Sendable, Equatable {
    /// The result's shape for the sources' shapes, or nil when they do not fit.
    func shape(for sources: [[Int]]) -> [Int]?
    /// The parameter from its sources, with ops.
    func callAsFunction<Scalar: TensorScalar>(_ sources: [Variable<Scalar>]) -> Variable<Scalar>
}

/// The source itself: two layers' parameters that are one tensor.
public struct SameParameter: ParameterFunction {
    /// Creates the function.
    public init() {}
    /// The source's shape.
    public func shape(for sources: [[Int]]) -> [Int]? { sources.count == 1 ? sources[0] : nil }
    /// The source.
    public func callAsFunction<Scalar: TensorScalar>(_ sources: [Variable<Scalar>]) -> Variable<Scalar> { sources[0] }
}

/// The source's transpose: a decoder tied to its encoder (W_dec = W_encᵀ).
public struct TransposedParameter: ParameterFunction {
    /// Creates the function.
    public init() {}
    /// The reversed shape of a matrix.
    public func shape(for sources: [[Int]]) -> [Int]? {
        sources.count == 1 && sources[0].count == 2 ? [sources[0][1], sources[0][0]] : nil
    }
    /// The transpose.
    public func callAsFunction<Scalar: TensorScalar>(_ sources: [Variable<Scalar>]) -> Variable<Scalar> { sources[0].transposed }
}

/// A statement in a ``Graph`` block: a layer's parameter is not stored but computed from other
/// stored parameters on every forward pass, so gradients flow to those and a checkpoint holds
/// each stored parameter once.
///
/// ```swift
/// Tie("decoder.weight", to: "encoder.weight")               // one tensor in two layers
/// Tie("decoder.weight", toTransposeOf: "encoder.weight")    // W_dec = W_encᵀ
/// Tie("sfc.weight", from: ["kernel.w", "kernel.u", "kernel.v"], KernelWeight())
/// ```
///
/// Names are full parameter names (`LAYER.PARAM`). Sources must be stored parameters (of a
/// layer, or declared with a ``ParameterSpec`` statement), not tied ones; the result must have
/// the tied parameter's shape. Both are checked when the graph is built.
public struct Tie: Sendable {
    /// The tied parameter's full name.
    public var parameter: String
    /// The full names of the stored parameters it is computed from.
    public var sources: [String]
    /// The computation.
    public var function: any ParameterFunction

    /// `parameter` is computed by `function` from `sources`.
    public init(_ parameter: String, from sources: [String], _ function: some ParameterFunction) {
        self.parameter = parameter
        self.sources = sources
        self.function = function
    }
    /// `parameter` is the same tensor as `source`.
    public init(_ parameter: String, to source: String) { self.init(parameter, from: [source], SameParameter()) }
    /// `parameter` is the transpose of `source`.
    public init(_ parameter: String, toTransposeOf source: String) {
        self.init(parameter, from: [source], TransposedParameter())
    }

    /// Equal names and an equal function.
    func isEqual(to other: Tie) -> Bool {
        parameter == other.parameter && sources == other.sources && function.isEqual(to: other.function)
    }
}

extension ParameterFunction {
    /// Whether `other` is the same function with the same configuration.
    func isEqual(to other: any ParameterFunction) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}
