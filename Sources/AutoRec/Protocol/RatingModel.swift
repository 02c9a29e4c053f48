import TapeGrad
import TapeGradLayers

/// What a rating model reads besides the user–item pair it predicts.
public enum RatingModelInput: Sendable, Equatable {
    /// Only the pair's user and item indices (matrix factorisation, NeuMF). Training batches
    /// are shuffled ratings.
    case pairs
    /// Also the training ratings of the pair's instance as a sparse row: the user's ratings of
    /// all items (`.user`: U-AutoRec, CDAE) or the item's ratings by all users (`.item`:
    /// I-AutoRec). Training batches are shuffled instances with all their ratings as targets;
    /// predictions read the training rows, never held-out ratings.
    case rows(RatingAxis)
}

/// A batch of user–item queries for a ``RatingModel``, with their targets when training.
///
/// With ``RatingModelInput/rows(_:)`` input the queries are grouped by instance: ``rows``
/// holds the instances' training ratings and ``pattern`` the queries over the same rows and
/// columns, and query p is the pattern's p-th stored entry. So `users`, `items`, `targets`
/// and a model's predictions share one order whatever the input.
public struct RatingBatch<Scalar: TensorScalar>: Sendable {
    /// The user index of each query.
    public let users: [Int32]
    /// The item index of each query.
    public let items: [Int32]
    /// The rating of each query in training; zeros when predicting.
    public let targets: [Scalar]
    /// `.rows` input: the instance (user or item index) of each row of ``rows``; empty for
    /// `.pairs`.
    public let instances: [Int32]
    /// `.rows` input: instances × inputs, each instance's training ratings; nil for `.pairs`.
    public let rows: SparseMatrix<Scalar>?
    /// `.rows` input: the queries as a pattern over instances × inputs, in query order, with
    /// the targets as values (the entries a sampled output layer and its loss are evaluated at);
    /// nil for `.pairs`.
    public let pattern: SparseMatrix<Scalar>?

    /// A batch of pairs.
    public init(users: [Int32], items: [Int32], targets: [Scalar]) {
        precondition(users.count == items.count && items.count == targets.count,
                     "RatingBatch: \(users.count) users, \(items.count) items, \(targets.count) targets")
        self.users = users
        self.items = items
        self.targets = targets
        instances = []
        rows = nil
        pattern = nil
    }

    /// A batch of instance rows and the queries `pattern` asks of them (its values are the
    /// targets). `axis` says whether instances are users or items.
    public init(instances: [Int32], rows: SparseMatrix<Scalar>, pattern: SparseMatrix<Scalar>, axis: RatingAxis) {
        precondition(rows.rows == instances.count && pattern.rows == instances.count && pattern.columns == rows.columns,
                     "RatingBatch: \(instances.count) instances, rows \(rows.rows)×\(rows.columns), pattern \(pattern.rows)×\(pattern.columns)")
        var owners = [Int32]()
        owners.reserveCapacity(pattern.nonzeroCount)
        for r in 0..<pattern.rows {
            for _ in pattern.rowPointers[r]..<pattern.rowPointers[r + 1] { owners.append(instances[r]) }
        }
        users = axis == .user ? owners : pattern.columnIndices
        items = axis == .user ? pattern.columnIndices : owners
        targets = pattern.values
        self.instances = instances
        self.rows = rows
        self.pattern = pattern
    }

    /// The number of queries.
    public var count: Int { targets.count }
}

/// A model of explicit ratings, trained and evaluated by ``RatingRegression``: it maps a
/// batch of user–item queries (and, with `.rows` input, the instances' training ratings) to
/// one predicted rating per query, on a tape.
///
/// The model holds no tensors: its parameters are a ``Parameters`` value (as for a layer
/// graph), so the harness can keep the best epoch's, average or save them.
public protocol RatingModel: Sendable, CustomStringConvertible {
    /// What each query carries.
    var input: RatingModelInput { get }

    /// Fresh parameters, drawn with a seeded generator.
    func initialParameters<Scalar: TensorScalar>(seed: UInt64) -> Parameters<Scalar>

    /// One predicted (unclipped) rating per query of `batch`, in its order: a vector of
    /// `batch.count` values. `parameters` are variables of the parameters in declaration order.
    func predictions<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters: [Variable<Scalar>],
                                           context: ForwardContext<Scalar>) -> Variable<Scalar>

    /// Σ (prediction − target)² over the batch's queries. The default composes
    /// ``predictions(_:parameters:context:)`` with the square loss; a model whose output layer
    /// and loss have a fused form provides it here.
    func squaredError<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters: [Variable<Scalar>],
                                            context: ForwardContext<Scalar>) -> Variable<Scalar>

    /// The weight penalty P of a batch in the objective Σ (prediction − target)² + λ/2 · P, or
    /// nil for none. `share` is the batch's part of the training ratings. The default is
    /// `share` · Σ‖W‖² over the parameters flagged as regularised (weights, not biases): the
    /// full-data penalty shared out over an epoch's batches. Embedding models may instead
    /// penalise the rows the batch looks up, once per rating (classic SGD matrix
    /// factorisation): a user's row is then held back in proportion to the data pulling on it.
    func penalty<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, variables: [Variable<Scalar>],
                                       of parameters: Parameters<Scalar>, share: Double,
                                       context: ForwardContext<Scalar>) -> Variable<Scalar>?
}

extension RatingModel {
    /// Σ (prediction − target)², composed from ``predictions(_:parameters:context:)``.
    public func squaredError<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters: [Variable<Scalar>],
                                                   context: ForwardContext<Scalar>) -> Variable<Scalar> {
        square(predictions(batch, parameters: parameters, context: context) - Tensor(batch.targets)).sum()
    }

    /// The default penalty, ``sharedWeightPenalty(_:of:share:)``.
    public func penalty<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, variables: [Variable<Scalar>],
                                              of parameters: Parameters<Scalar>, share: Double,
                                              context: ForwardContext<Scalar>) -> Variable<Scalar>? {
        sharedWeightPenalty(variables, of: parameters, share: share)
    }

    /// The training objective of a batch: Σ (prediction − target)² + λ/2 · P with the model's
    /// ``penalty(_:variables:of:share:context:)`` P, where `share` is the batch's part of the
    /// training ratings, so that with the default penalty an epoch's objective sums to the
    /// full-data one: Σ over all ratings of the squared error + λ/2 · Σ‖W‖².
    /// `variables` are the variables of `parameters` (whose flags say what is regularised).
    public func objective<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, variables: [Variable<Scalar>],
                                                of parameters: Parameters<Scalar>, lambda: Double, share: Double,
                                                context: ForwardContext<Scalar>) -> Variable<Scalar> {
        let error = squaredError(batch, parameters: variables, context: context)
        guard lambda > 0, let penalty = penalty(batch, variables: variables, of: parameters, share: share, context: context) else {
            return error
        }
        return error + penalty * Scalar(lambda / 2)
    }

    /// ``objective(_:variables:of:lambda:share:context:)`` and its gradient, from one forward
    /// and one backward pass; `seed` draws any training noise (dropout) of this step.
    public func objective<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters: Parameters<Scalar>,
                                                lambda: Double, share: Double,
                                                seed: UInt64 = 0) -> (loss: Scalar, gradient: Parameters<Scalar>) {
        valueAndGradient(at: parameters) { tape, variables in
            let context = ForwardContext(tape: tape, isTraining: true, generator: SplitMix64(seed: seed))
            return objective(batch, variables: variables, of: parameters, lambda: lambda, share: share, context: context)
        }
    }

    /// Raw predictions of a batch, nothing recorded (inference).
    public func predict<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters: Parameters<Scalar>) -> [Scalar] {
        let tape = Tape<Scalar>(recording: false)
        let variables = parameters.tensors.map { tape.variable($0) }
        let values = predictions(batch, parameters: variables, context: ForwardContext(tape: tape, isTraining: false)).value
        precondition(values.count == batch.count, "\(Self.self).predictions: \(values.count) values for \(batch.count) queries")
        return values.scalars
    }
}

/// `share` · Σ‖W‖² over the regularised parameters (weights and embeddings, not biases): the
/// full-data weight penalty shared out over an epoch's batches, the default of
/// ``RatingModel/penalty(_:variables:of:share:context:)``.
public func sharedWeightPenalty<Scalar: TensorScalar>(_ variables: [Variable<Scalar>], of parameters: Parameters<Scalar>,
                                                      share: Double) -> Variable<Scalar>? {
    weightPenalty(variables, of: parameters).map { $0 * Scalar(share) }
}
