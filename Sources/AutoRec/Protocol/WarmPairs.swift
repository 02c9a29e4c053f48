/// The evaluation protocol's treatment of user–item pairs to predict, in one place for every
/// model: a pair is *warm* when its user and its item both have training ratings, and only warm
/// pairs are asked of a model; a model's raw values are clipped to the rating scale, and a cold
/// pair gets the default rating (the scale's midpoint, 3 on 1–5).
///
/// AutoRec (``Recommender``, the fitter's validation) and the rating-regression models
/// (``RatingRegression``) both go through this type, so "cold", "default" and "clipped" mean
/// the same for every number the project reports.
public struct WarmPairs: Sendable {
    /// The number of pairs asked for.
    public let count: Int
    /// The caller's indices of the warm pairs, ascending ("warm order").
    public let indices: [Int]

    /// Sorts pairs of user and item indices into warm and cold, given each user's and each
    /// item's number of training ratings. Indices outside the counts (such as -1 for ids the
    /// model has never seen) count as cold.
    public init(users: [Int32], items: [Int32], ratingsPerUser perUser: [Int32], ratingsPerItem perItem: [Int32]) {
        precondition(users.count == items.count, "WarmPairs: \(users.count) users for \(items.count) items")
        count = users.count
        indices = (0..<users.count).filter { k in
            let (u, i) = (Int(users[k]), Int(items[k]))
            return u >= 0 && i >= 0 && u < perUser.count && i < perItem.count && perUser[u] > 0 && perItem[i] > 0
        }
    }

    /// The number of cold pairs (predicted with the default).
    public var coldCount: Int { count - indices.count }

    /// The default rating of a cold pair on `scale`.
    public static func defaultRating(on scale: RatingScale) -> Float { Float(scale.midpoint) }

    /// The reported predictions in the caller's order: the warm pairs' predictions clipped to
    /// `scale`, and the default rating for cold pairs.
    public func finish(_ predictions: WarmPredictions, scale: RatingScale) -> [Float] {
        precondition(predictions.count == indices.count, "WarmPairs.finish: \(predictions.count) values for \(indices.count) warm pairs")
        var result = [Float](repeating: WarmPairs.defaultRating(on: scale), count: count)
        let (low, high) = (Float(scale.minimum), Float(scale.maximum))
        for (k, v) in predictions.values.enumerated() { result[indices[k]] = min(max(v, low), high) }
        return result
    }
}
