import Foundation

/// Rating-prediction error on held-out ratings.
public struct RatingMetrics: Sendable, Codable, Equatable {
    /// Root mean squared error.
    public var rmse: Double
    /// Mean absolute error.
    public var mae: Double
    /// The number of ratings scored.
    public var count: Int
    /// How many of them involved a user or item with no training rating (predicted with the
    /// default rating).
    public var coldCount: Int

    /// Computes the metrics of predictions against targets.
    public init(predictions: [Float], targets: [Float], coldCount: Int = 0) {
        precondition(predictions.count == targets.count, "RatingMetrics: \(predictions.count) predictions for \(targets.count) targets")
        var squared = 0.0, absolute = 0.0
        for (p, t) in zip(predictions, targets) {
            let e = Double(p) - Double(t)
            squared += e * e
            absolute += abs(e)
        }
        let n = Double(max(predictions.count, 1))
        rmse = (squared / n).squareRoot()
        mae = absolute / n
        count = predictions.count
        self.coldCount = coldCount
    }
}

/// Top-N ranking quality: for each user with at least one relevant held-out item, the items
/// the user has not rated in training are ranked by predicted rating; relevant means a
/// held-out rating ≥ the threshold.
public struct RankingMetrics: Sendable, Codable, Equatable {
    /// The cut-off N.
    public var cutoff: Int
    /// Mean over users of |relevant ∩ top N| / N.
    public var precision: Double
    /// Mean over users of |relevant ∩ top N| / |relevant|.
    public var recall: Double
    /// Mean over users of DCG@N / ideal DCG@N with binary gains.
    public var ndcg: Double
    /// The number of users averaged over.
    public var users: Int

    /// Accumulates per-user results; see ``add(ranked:relevant:)``.
    public init(cutoff: Int) {
        self.cutoff = cutoff
        precision = 0; recall = 0; ndcg = 0; users = 0
    }

    /// Adds one user: `ranked` are the user's top items (best first, at most `cutoff`),
    /// `relevant` the user's relevant held-out items (non-empty).
    public mutating func add(ranked: [Int], relevant: Set<Int>) {
        guard !relevant.isEmpty else { return }
        var hits = 0, dcg = 0.0
        for (position, item) in ranked.prefix(cutoff).enumerated() where relevant.contains(item) {
            hits += 1
            dcg += 1 / log2(Double(position) + 2)
        }
        let ideal = (0..<min(relevant.count, cutoff)).reduce(0.0) { $0 + 1 / log2(Double($1) + 2) }
        let n = Double(users)
        precision = (precision * n + Double(hits) / Double(cutoff)) / (n + 1)
        recall = (recall * n + Double(hits) / Double(relevant.count)) / (n + 1)
        ndcg = (ndcg * n + dcg / ideal) / (n + 1)
        users += 1
    }
}

/// The mean and the half-width of a 95% confidence interval (Student's t) of repeated runs.
public func meanAndConfidence95(_ values: [Double]) -> (mean: Double, halfWidth: Double) {
    let n = values.count
    guard n > 0 else { return (.nan, .nan) }
    let mean = values.reduce(0, +) / Double(n)
    guard n > 1 else { return (mean, 0) }
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
    // Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom, then the normal's.
    let t: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                       2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                       2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
    let q = n - 1 <= t.count ? t[n - 2] : 1.960
    return (mean, q * (variance / Double(n)).squareRoot())
}

/// The median of a list (NaN when empty).
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
