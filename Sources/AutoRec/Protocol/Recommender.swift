import TapeGrad
import TapeGradLayers

/// A trained AutoRec with everything prediction needs: the model, its parameters, the id maps,
/// the training ratings (which form the model's input rows) and the rating scale.
///
/// Predictions follow the paper's protocol: the input is always the TRAINING row of the
/// instance (test ratings never reach the model), outputs are clipped to the training rating
/// range, and a user or item without any training rating gets the default rating (the middle
/// of the scale: 3 on 1–5).
public struct Recommender: Sendable {
    /// The model.
    public let model: AutoRec
    /// The trained parameters of each ensemble member (one or more models of the same
    /// configuration trained from different initialisations or data); predictions are the
    /// mean of the members' raw outputs, then clipped.
    public let ensemble: [Parameters<Float>]
    /// The first member's parameters.
    public var parameters: Parameters<Float> { ensemble[0] }
    /// The training ratings, with the user and item id maps.
    public let training: RatingSet
    /// The input rows built from `training`.
    public let inputs: InstanceMatrix
    /// The clipping range.
    public let scale: RatingScale
    /// Further models whose predictions are blended in (a stack: the other kind, a denoising
    /// variant of this kind …), each with its weight; the main model keeps 1 − the sum. Empty:
    /// no blend.
    public let blend: [BlendComponent]
    /// Each user's training items (CSR by user), to exclude them from recommendations.
    private let userItems: CSRArrays

    /// Wraps a trained model (one or more parameter sets), optionally blended with further
    /// models trained on the same ratings. Each parameter set must fit its graph, and the
    /// blend weights must be non-negative and sum to at most 1 (checked).
    public init(model: AutoRec, ensemble: [Parameters<Float>], training: RatingSet, scale: RatingScale,
                blend: [BlendComponent] = []) throws(GraphError) {
        guard !ensemble.isEmpty else { throw GraphError("a recommender needs at least one set of parameters") }
        for parameters in ensemble { try model.graph.validate(parameters) }
        let inputSize = model.configuration.kind == .item ? training.userCount : training.itemCount
        guard inputSize == model.inputSize else {
            throw GraphError("the model takes \(model.inputSize) inputs but the ratings have \(inputSize) \(model.configuration.kind == .item ? "users" : "items")")
        }
        self.model = model
        self.ensemble = ensemble
        self.training = training
        self.inputs = InstanceMatrix(training, kind: model.configuration.kind, centering: model.configuration.centering)
        self.scale = scale
        self.userItems = training.compressedRows(by: .user)
        for component in blend {
            let size = component.model.configuration.kind == .item ? training.userCount : training.itemCount
            guard size == component.model.inputSize else {
                throw GraphError("the blended model takes \(component.model.inputSize) inputs but the ratings give \(size)")
            }
            guard component.weight >= 0 && component.weight <= 1, !component.ensemble.isEmpty else {
                throw GraphError("a blend needs a weight in [0, 1] and at least one set of parameters, got \(component.weight)")
            }
            for parameters in component.ensemble { try component.model.graph.validate(parameters) }
        }
        let total = blend.reduce(Float(0)) { $0 + $1.weight }
        guard total <= 1 + 1e-5 else { throw GraphError("the blend weights sum to \(total), more than 1") }
        self.blend = blend
        // Members that read the same rows as the main model share its input matrix.
        let main = (model.configuration.kind, model.configuration.centering), mainInputs = inputs
        self.blendInputs = blend.map { c in
            (c.model.configuration.kind, c.model.configuration.centering) == main ? mainInputs
                : InstanceMatrix(training, kind: c.model.configuration.kind, centering: c.model.configuration.centering)
        }
    }

    /// The blended models' input rows (one per component).
    private let blendInputs: [InstanceMatrix]

    /// The default rating for cold users and items.
    public var defaultRating: Float { WarmPairs.defaultRating(on: scale) }

    /// Predicted ratings for user–item index pairs (indices into `training`'s id maps),
    /// clipped, with the default for cold users and items. Cost O(pairs · hidden) plus one
    /// encoder pass over the instances that are queried.
    public func predict(users: [Int32], items: [Int32]) -> [Float] {
        predictAndCount(users: users, items: items).predictions
    }

    /// The predictions and the number of cold pairs: pairs whose user or item has no training
    /// rating or is not in the id maps at all (index -1), which get ``defaultRating``. This is
    /// the one definition of "cold" that training's report and `autorec evaluate` both count.
    /// With a blend, the models' unclipped predictions are mixed with the blend weights (the
    /// main model: 1 − their sum) and then clipped.
    public func predictAndCount(users: [Int32], items: [Int32]) -> (predictions: [Float], cold: Int) {
        let perUser = training.ratingsPerUser(), perItem = training.ratingsPerItem()
        let query = PairQuery(users: users, items: items, ratingsPerUser: perUser, ratingsPerItem: perItem, inputs: inputs)
        var members = [query.predictions(model: model, ensemble: ensemble, inputs: inputs)]
        var weights = [Float]()
        for (component, componentInputs) in zip(blend, blendInputs) where component.weight > 0 {
            let other = PairQuery(query.pairs, users: users, items: items, inputs: componentInputs)
            members.append(other.predictions(model: component.model, ensemble: component.ensemble, inputs: componentInputs))
            weights.append(component.weight)
        }
        let mixed = weights.isEmpty ? members[0] : WarmPredictions.blend(members, weights: weights)
        return (query.pairs.finish(mixed, scale: scale), query.pairs.coldCount)
    }

    /// RMSE and MAE on held-out ratings whose ids are in `training`'s maps.
    public func evaluate(_ test: RatingSet) -> RatingMetrics {
        let (predictions, cold) = predictAndCount(users: test.userIndices, items: test.itemIndices)
        return RatingMetrics(predictions: predictions, targets: test.values, coldCount: cold)
    }

    /// The predicted ratings of every item for a block of users, as a dense block
    /// users × items — one block at a time, so memory is O(block · items), never users × items.
    func scoreBlock(users: [Int]) -> [[Float]] {
        let itemCount = training.itemCount
        var us = [Int32](), its = [Int32]()
        us.reserveCapacity(users.count * itemCount)
        its.reserveCapacity(users.count * itemCount)
        for u in users {
            for i in 0..<itemCount { us.append(Int32(u)); its.append(Int32(i)) }
        }
        let flat = predict(users: us, items: its)
        return users.indices.map { Array(flat[$0 * itemCount..<($0 + 1) * itemCount]) }
    }

    /// The `count` best items the user has not rated in training, best first, with predicted
    /// ratings; ties broken by item index.
    public func recommend(user: Int, count: Int = 10) -> [(item: Int, rating: Float)] {
        let scores = scoreBlock(users: [user])[0]
        let seen = itemsRated(byUser: user)
        return topItems(scores, excluding: seen, count: count)
    }

    /// Precision, recall and NDCG at `cutoff` over users with a relevant held-out item (rating
    /// ≥ `threshold`), ranking the items each has not rated in training. `maxUsers` bounds the
    /// cost on large data (users are then sampled with `seed`, documented in the output).
    public func rankingMetrics(_ test: RatingSet, cutoff: Int = 10, threshold: Float = 4,
                               maxUsers: Int? = nil, seed: UInt64 = 1) -> RankingMetrics {
        var relevant = [Int: Set<Int>]()
        for k in 0..<test.count where test.values[k] >= threshold {
            relevant[Int(test.userIndices[k]), default: []].insert(Int(test.itemIndices[k]))
        }
        var users = relevant.keys.sorted()
        if let maxUsers, users.count > maxUsers {
            var g = SplitMix64(seed: seed)
            g.shuffle(&users)
            users = users.prefix(maxUsers).sorted()
        }
        var metrics = RankingMetrics(cutoff: cutoff)
        let block = max(1, 2_000_000 / max(training.itemCount, 1))
        for start in stride(from: 0, to: users.count, by: block) {
            let chunk = Array(users[start..<min(start + block, users.count)])
            let scores = scoreBlock(users: chunk)
            for (j, u) in chunk.enumerated() {
                let seen = itemsRated(byUser: u)
                let ranked = topItems(scores[j], excluding: seen, count: cutoff).map(\.item)
                metrics.add(ranked: ranked, relevant: relevant[u]!)
            }
        }
        return metrics
    }

    /// The items a user rated in training.
    func itemsRated(byUser user: Int) -> Set<Int> {
        Set(userItems.columnIndices[userItems.rowPointers[user]..<userItems.rowPointers[user + 1]].map(Int.init))
    }

    private func topItems(_ scores: [Float], excluding seen: Set<Int>, count: Int) -> [(item: Int, rating: Float)] {
        var best = [(item: Int, rating: Float)]()
        for (i, s) in scores.enumerated() where !seen.contains(i) {
            if best.count < count || s > best[best.count - 1].rating {
                let position = best.firstIndex { s > $0.rating } ?? best.count
                best.insert((i, s), at: position)
                if best.count > count { best.removeLast() }
            }
        }
        return best
    }
}

/// A further model of a blended recommender: its predictions count with `weight`, the main
/// model's with 1 − the sum of the components' weights (mixed before clipping).
public struct BlendComponent: Sendable {
    /// The model (the other kind, or a variant of the main one, trained on the same ratings).
    public let model: AutoRec
    /// Its parameter sets (their predictions are averaged first).
    public let ensemble: [Parameters<Float>]
    /// Its share of the prediction, in [0, 1], chosen on validation ratings by the fitter.
    public let weight: Float

    /// Creates a component.
    public init(model: AutoRec, ensemble: [Parameters<Float>], weight: Float) {
        self.model = model
        self.ensemble = ensemble
        self.weight = weight
    }
}
