import TapeGrad
import TapeGradLayers

/// A layer graph as a ``RatingModel``: the harness feeds the graph's inputs by name from each
/// batch, so a model is only its declaration.
///
/// The inputs a graph may declare:
/// - `Input("user", ids: users)` and `Input("item", ids: items)`: the queries' users and items
///   (`.pairs` input), or the instance of each row (`.rows` input: the user of a user row, the
///   item of an item row);
/// - `Input("ratings", sparse: n)`: the instances' training ratings (`.rows` input only; n is
///   the number of items for user rows, of users for item rows).
///
/// The first output is the prediction: batch × 1 for pairs, batch × n for rows, where only the
/// queried entries are evaluated (``GraphEvaluation/output(_:at:)``) and the training loss is
/// ``GraphEvaluation/squaredError(_:at:)`` (the output layer may fuse itself with it). An output
/// named `penalty` of shape batch × 1, if declared, is the model's weight penalty per query
/// (summed over the batch; see ``RatingModel/penalty(_:variables:of:share:context:)``), for
/// example `RowDot()(p, p) + RowDot()(q, q)` for the embeddings a rating looks up.
public struct GraphRatingModel: RatingModel {
    /// The graph.
    public let graph: Graph
    /// What each query carries (`.rows` when the graph reads `ratings`).
    public let input: RatingModelInput

    /// Wraps a graph for a training set, checking the graph's inputs and outputs against the
    /// data: names, kinds and sizes. `axis` says whose rows a `ratings` input holds.
    public init(_ graph: Graph, for ratings: RatingSet, rows axis: RatingAxis = .user) throws(GraphError) {
        let readsRows = graph.inputs.contains { $0.name == "ratings" }
        input = readsRows ? .rows(axis) : .pairs
        let expected: [String: NodeShape] = [
            "user": .ids(ratings.userCount), "item": .ids(ratings.itemCount),
            "ratings": .sparse(axis == .user ? ratings.itemCount : ratings.userCount),
        ]
        for endpoint in graph.inputs {
            guard let shape = expected[endpoint.name] else {
                throw GraphError("input '\(endpoint.name)': a rating model's inputs are 'user' and 'item' (ids) and 'ratings' (sparse rows)")
            }
            guard endpoint.shape == shape else {
                throw GraphError("input '\(endpoint.name)' is \(endpoint.shape) but the ratings need \(shape)")
            }
        }
        if readsRows, graph.inputs.contains(where: { $0.name == (axis == .user ? "item" : "user") }) {
            throw GraphError("a graph of \(axis) rows can read the row's \(axis) id, not the \(axis == .user ? "item" : "user") id")
        }
        let width = readsRows ? expected["ratings"]!.features : 1
        guard let output = graph.outputs.first, output.shape == .dense(width) else {
            throw GraphError("the prediction (first output) must be \(NodeShape.dense(width)), got \(graph.outputs.first.map { "\($0.shape)" } ?? "none")")
        }
        if let penalty = graph.outputs.first(where: { $0.name == "penalty" }), penalty.shape != .dense(1) {
            throw GraphError("output 'penalty' must be \(NodeShape.dense(1)), got \(penalty.shape)")
        }
        self.graph = graph
    }

    /// `print(graph)`.
    public var description: String { graph.description }

    /// The graph's initial parameters.
    public func initialParameters<Scalar: TensorScalar>(seed: UInt64) -> Parameters<Scalar> {
        graph.initialParameters(seed: seed)
    }

    /// The graph on a batch (its data was checked against the graph when the model was built,
    /// so a failure here is a bug in the harness).
    private func evaluation<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters: [Variable<Scalar>],
                                                  context: ForwardContext<Scalar>) -> GraphEvaluation<Scalar> {
        var inputs = [String: LayerValue<Scalar>]()
        switch input {
        case .pairs:
            inputs = ["user": .ids(batch.users), "item": .ids(batch.items)]
        case .rows(let axis):
            inputs = ["ratings": .sparse(batch.rows!), axis == .user ? "user" : "item": .ids(batch.instances)]
        }
        inputs = inputs.filter { name, _ in graph.inputs.contains { $0.name == name } }
        do {
            return try graph.evaluation(inputs, parameters: parameters, context: context)
        } catch {
            preconditionFailure("GraphRatingModel: \(error)")
        }
    }

    /// The first output at the queries: one value per query.
    public func predictions<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters: [Variable<Scalar>],
                                                  context: ForwardContext<Scalar>) -> Variable<Scalar> {
        let run = evaluation(batch, parameters: parameters, context: context)
        do {
            switch input {
            case .pairs: return try run.output().reshaped([batch.count])
            case .rows: return try run.output(at: batch.pattern!)
            }
        } catch {
            preconditionFailure("GraphRatingModel: \(error)")
        }
    }

    /// The square loss at the queries; rows models ask the graph for it at the pattern, so the
    /// output layer may fuse itself with the loss.
    public func squaredError<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters: [Variable<Scalar>],
                                                   context: ForwardContext<Scalar>) -> Variable<Scalar> {
        guard case .rows = input else {
            return square(predictions(batch, parameters: parameters, context: context) - Tensor(batch.targets)).sum()
        }
        do {
            return try evaluation(batch, parameters: parameters, context: context).squaredError(at: batch.pattern!)
        } catch {
            preconditionFailure("GraphRatingModel: \(error)")
        }
    }

    /// The sum of the `penalty` output over the batch when the graph declares one, else the
    /// default (`share` · Σ‖W‖² over the regularised parameters).
    public func penalty<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, variables: [Variable<Scalar>],
                                              of parameters: Parameters<Scalar>, share: Double,
                                              context: ForwardContext<Scalar>) -> Variable<Scalar>? {
        guard graph.outputs.contains(where: { $0.name == "penalty" }) else {
            return sharedWeightPenalty(variables, of: parameters, share: share)
        }
        do {
            return try evaluation(batch, parameters: variables, context: context).output("penalty").sum()
        } catch {
            preconditionFailure("GraphRatingModel: \(error)")
        }
    }
}
