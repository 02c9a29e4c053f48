import TapeGrad

/// A lookup table: row `id` of a count × dimension weight for each id of the batch (user and
/// item factors; with dimension 1, per-user or per-item biases).
///
/// The lookup is the row gather op, whose pullback scatter-adds the batch's row gradients into
/// the looked-up rows: O(batch × dimension) work. The gradient itself is a dense table-sized
/// tensor (zero outside the looked-up rows), and the optimizers update every row, so a step
/// costs O(count × dimension) in the optimizer; see Docs/Layers.md.
public struct Embedding: Layer {
    /// The number of rows (ids lie in 0..<count).
    public var count: Int
    /// The row length.
    public var dimension: Int
    /// How the table is initialised.
    public var initializer: Initializer
    /// Whether the weight penalty applies to the table.
    public var regularized: Bool
    /// The name prefixing `weight`.
    public var name: String?

    /// Creates a table; rows start uniform in ±0.05 (as in Keras) unless told otherwise.
    public init(count: Int, dimension: Int, initializer: Initializer = .uniform(lower: -0.05, upper: 0.05),
                regularized: Bool = true, name: String? = nil) {
        precondition(count > 0 && dimension > 0, "Embedding: count and dimension must be positive, got \(count) × \(dimension)")
        self.count = count
        self.dimension = dimension
        self.initializer = initializer
        self.regularized = regularized
        self.name = name
    }

    /// `Embedding`.
    public var kind: String { "Embedding" }

    /// A dense batch × dimension, from ids in 0..<count.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape {
        let input = try singleInput(inputs, accepting: [.ids])
        guard input.features <= count else {
            throw GraphError("has \(count) rows but receives \(input)")
        }
        return .dense(dimension)
    }

    /// `weight`, count × dimension.
    public func parameters(for inputs: [NodeShape]) -> [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [count, dimension], initializer: initializer, regularized: regularized)]
    }

    /// The rows of the table at the ids.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        guard case .ids(let ids) = inputs[0] else { preconditionFailure("Embedding: needs ids, got \(inputs[0])") }
        return .dense(gather(parameters[0], at: ids))
    }
}
