/// Unclipped predicted ratings of the warm pairs of a query (``WarmPairs``), one per warm pair,
/// in *warm order*: the caller's order of the pairs restricted to the warm ones
/// (``WarmPairs/indices``).
///
/// This is the one order predictions travel in between the protocol's stages. Models that see
/// the rating matrix from different sides (item- and user-based) evaluate the pairs in
/// different internal orders, but agree on this one, so λ averages, ensembles and blends are
/// formed here pair by pair; ``WarmPairs/finish(_:scale:)`` then clips once and puts the
/// predictions in the caller's order with the default for cold pairs.
public struct WarmPredictions: Sendable, Equatable {
    /// One raw value per warm pair, in warm order.
    public var values: [Float]

    /// Wraps values already in warm order.
    public init(_ values: [Float]) { self.values = values }

    /// The number of warm pairs.
    public var count: Int { values.count }

    /// The elementwise mean: the members summed in order, then divided by their number (the λ
    /// average of the fitter).
    public static func mean(_ members: some Collection<WarmPredictions>) -> WarmPredictions {
        precondition(!members.isEmpty, "WarmPredictions.mean: no members")
        var result = members.first!.values
        for member in members.dropFirst() {
            precondition(member.count == result.count, "WarmPredictions.mean: \(result.count) and \(member.count) values")
            for p in result.indices { result[p] += member.values[p] }
        }
        for p in result.indices { result[p] /= Float(members.count) }
        return WarmPredictions(result)
    }

    /// (1 − Σ weights)·members[0] + Σ weights[j]·members[j + 1] elementwise: a blend in which
    /// the main model (the first member) keeps what the others do not take.
    public static func blend(_ members: [WarmPredictions], weights: [Float]) -> WarmPredictions {
        precondition(members.count == weights.count + 1, "WarmPredictions.blend: \(members.count) members, \(weights.count) weights")
        let first = 1 - weights.reduce(0, +)
        var result = members[0].values.map { first * $0 }
        for (member, w) in zip(members.dropFirst(), weights) {
            precondition(member.count == result.count, "WarmPredictions.blend: \(result.count) and \(member.count) values")
            for p in result.indices { result[p] += w * member.values[p] }
        }
        return WarmPredictions(result)
    }
}
