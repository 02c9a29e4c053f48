import TapeGrad

/// The inputs' shape when there are at least two dense inputs of one shape (for the
/// elementwise merges).
private func sameDenseShapes(_ inputs: [NodeShape]) throws(GraphError) -> NodeShape {
    guard inputs.count >= 2 else { throw GraphError("merges at least 2 inputs, got \(inputs.count)") }
    for shape in inputs where shape != inputs[0] || shape.kind != .dense {
        throw GraphError("needs dense inputs of one shape, got \(inputs.map(\.description).joined(separator: " and "))")
    }
    return inputs[0]
}

/// The sum of two or more nodes of one shape (a skip connection, the biases of matrix
/// factorisation). Also written `a + b` on nodes.
public struct Add: Layer {
    /// The name (merges have no parameters, so it only labels the node).
    public var name: String?
    /// Creates the merge.
    public init(name: String? = nil) { self.name = name }
    /// `Add`.
    public var kind: String { "Add" }
    /// Elementwise: at a pattern, the sum of the inputs there.
    public var isElementwise: Bool { true }
    /// The inputs' common shape.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape { try sameDenseShapes(inputs) }
    /// x₁ + x₂ + ….
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        .dense(inputs.dropFirst().reduce(inputs[0].denseValue(for: kind)) { $0 + $1.denseValue(for: kind) })
    }
}

/// The elementwise product of two or more nodes of one shape (the GMF branch of NeuMF). Also
/// written `a * b` on nodes.
public struct Multiply: Layer {
    /// The name (it only labels the node).
    public var name: String?
    /// Creates the merge.
    public init(name: String? = nil) { self.name = name }
    /// `Multiply`.
    public var kind: String { "Multiply" }
    /// Elementwise: at a pattern, the product of the inputs there.
    public var isElementwise: Bool { true }
    /// The inputs' common shape.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape { try sameDenseShapes(inputs) }
    /// x₁ ⊙ x₂ ⊙ ….
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        .dense(inputs.dropFirst().reduce(inputs[0].denseValue(for: kind)) { $0 * $1.denseValue(for: kind) })
    }
}

/// The row-wise dot product of two nodes of one shape: yᵢ = Σⱼ aᵢⱼ bᵢⱼ, a batch × 1 matrix
/// (the score of matrix factorisation, pᵤ · qᵢ).
public struct RowDot: Layer {
    /// The name (it only labels the node).
    public var name: String?
    /// Creates the merge.
    public init(name: String? = nil) { self.name = name }
    /// `RowDot`.
    public var kind: String { "RowDot" }
    /// One feature per row.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape {
        guard inputs.count == 2 else { throw GraphError("takes 2 inputs, got \(inputs.count)") }
        _ = try sameDenseShapes(inputs)
        return .dense(1)
    }
    /// (a ⊙ b) summed along each row.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        let product = inputs[0].denseValue(for: kind) * inputs[1].denseValue(for: kind)
        return .dense(product.sum(alongAxis: 1).reshaped([product.shape[0], 1]))
    }
}

/// Dense inputs side by side: features of the first input, then of the second, … (NeuMF's
/// concatenated embeddings).
public struct Concatenate: Layer {
    /// The name (it only labels the node).
    public var name: String?
    /// Creates the merge.
    public init(name: String? = nil) { self.name = name }
    /// `Concatenate`.
    public var kind: String { "Concatenate" }
    /// The sum of the inputs' features.
    public func outputShape(for inputs: [NodeShape]) throws(GraphError) -> NodeShape {
        guard inputs.count >= 2 else { throw GraphError("merges at least 2 inputs, got \(inputs.count)") }
        for shape in inputs where shape.kind != .dense {
            throw GraphError("needs dense inputs, got \(inputs.map(\.description).joined(separator: " and "))")
        }
        return .dense(inputs.reduce(0) { $0 + $1.features })
    }
    /// [x₁, x₂, …] along the feature axis.
    public func forward<Scalar: TensorScalar>(_ inputs: [LayerValue<Scalar>], parameters: [Variable<Scalar>],
                                              context: ForwardContext<Scalar>) -> LayerValue<Scalar> {
        .dense(concatenate(inputs.map { $0.denseValue(for: kind) }, alongAxis: 1))
    }
}
