import TapeGrad

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The size of a synthetic data set, as given on a command line: `USERSxITEMSxRATINGS`.
///
/// Lets benchmarks and examples run at any MovieLens or Netflix shape without the (not
/// redistributable) data, e.g. `943x1682x100000` (ML-100K) or `480189x17770x100M` (Netflix).
public struct SyntheticShape: Sendable, Equatable, CustomStringConvertible {
    /// The number of users (rows of the user × item matrix).
    public var users: Int
    /// The number of items.
    public var items: Int
    /// The number of ratings requested (the generator clamps it to `users × items`).
    public var ratings: Int

    /// A shape; all three numbers must be positive.
    public init(users: Int, items: Int, ratings: Int) {
        precondition(users > 0 && items > 0 && ratings > 0, "SyntheticShape: sizes must be positive")
        self.users = users
        self.items = items
        self.ratings = ratings
    }

    /// Parses `USERSxITEMSxRATINGS`: three positive integers separated by `x` (or `X`), each
    /// optionally with `_` digit groups and a `k` (×1000) or `M` (×1,000,000) suffix. The
    /// ratings must fit in users × items (one rating per pair).
    ///
    /// - Throws: ``SyntheticShapeError`` quoting the text and saying what is wrong.
    public init(parsing text: String) throws {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "x" || $0 == "X" })
        func fail(_ why: String) -> SyntheticShapeError {
            SyntheticShapeError(text: text, message: "\(why); expected USERSxITEMSxRATINGS, e.g. 943x1682x100000")
        }
        guard parts.count == 3 else {
            throw fail("found \(parts.count) part\(parts.count == 1 ? "" : "s") instead of 3")
        }
        let names = ["users", "items", "ratings"]
        var values: [Int] = []
        for (part, name) in zip(parts, names) {
            var digits = part.filter { $0 != "_" }
            var multiplier = 1
            if let last = digits.last, last == "k" || last == "K" || last == "M" {
                multiplier = last == "M" ? 1_000_000 : 1_000
                digits.removeLast()
            }
            guard !digits.isEmpty else { throw fail("\(name) is empty") }
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw fail("\(name) '\(part)' is not a positive integer")
            }
            guard let v = Int(digits), case let (product, overflow) = v.multipliedReportingOverflow(by: multiplier),
                  !overflow, product <= Int(Int32.max) || name == "ratings" else {
                throw fail("\(name) '\(part)' is too large")
            }
            guard product > 0 else { throw fail("\(name) must be positive, got \(part)") }
            values.append(product)
        }
        // Each (user, item) pair holds at most one rating; the generator would silently make fewer.
        let (pairs, overflow) = values[0].multipliedReportingOverflow(by: values[1])
        guard overflow || values[2] <= pairs else {
            throw fail("\(values[2]) ratings do not fit in \(values[0]) users × \(values[1]) items = \(pairs) pairs "
                       + "(at most one rating per user and item)")
        }
        self.init(users: values[0], items: values[1], ratings: values[2])
    }

    /// `USERSxITEMSxRATINGS`, the form ``init(parsing:)`` reads.
    public var description: String { "\(users)x\(items)x\(ratings)" }
}

/// A malformed `USERSxITEMSxRATINGS` value.
public struct SyntheticShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was parsed.
    public let text: String
    /// What is wrong with it.
    public let message: String
    /// `invalid shape 'text': message`.
    public var description: String { "invalid shape '\(text)': \(message)" }
}

/// MovieLens-like synthetic ratings, for benchmarks at any scale and for tests that must not
/// depend on the MovieLens files.
///
/// The model (see ``Model``): a latent score
/// `s(u, i) = b_u + b_i + p_u · q_i + ε` with user and item biases, rank-10 factors and noise,
/// cut into the integer ratings 1...5 at fixed thresholds chosen so the rating histogram resembles
/// MovieLens (about 6% / 11% / 27% / 34% / 22%, mean ≈ 3.5). Who rates what is skewed like real
/// data: user activity and item popularity are lognormal, popular items are somewhat better liked
/// (their bias grows with popularity), and every user with any share gets at least one rating.
/// Pairs are distinct and the count is exact. The structure is learnable: predicting from the true
/// scores clearly beats the global mean.
///
/// Cost: O(ratings + users·rank + items·rank) time; beyond the output arrays (12 bytes per rating)
/// only O(users + items) memory. Deterministic for a seed (all draws from ``SplitMix64``).
public enum SyntheticRatings {
    /// The hidden parameters behind a synthetic data set, rebuilt exactly from
    /// `(users, items, seed)`, so tests can compare a learner with the truth.
    public struct Model: Sendable {
        /// The number of users.
        public let users: Int
        /// The number of items.
        public let items: Int
        /// The dimension of the latent factors.
        public let rank: Int
        /// Per-user offsets of the score (some users rate everything higher).
        public let userBias: [Float]
        /// Per-item offsets of the score (some items are better).
        public let itemBias: [Float]
        /// User factors, `users × rank`, row-major.
        public let userFactors: [Float]
        /// Item factors, `items × rank`, row-major.
        public let itemFactors: [Float]
        /// Relative chance that a user's next rating is of item `i` (lognormal, σ = 1.3).
        public let itemPopularity: [Double]
        /// Relative number of ratings of each user (lognormal, σ = 0.9).
        public let userActivity: [Double]
        /// Standard deviation of the per-rating noise ε.
        public let noiseStandardDeviation: Double
        /// Score thresholds: a score below `cutpoints[0]` is rated 1, below `cutpoints[1]` 2, ...,
        /// at or above `cutpoints[3]` 5.
        public let cutpoints: [Double]

        /// Draws the model for a shape and seed (the same draws ``SyntheticRatings/generate(users:items:ratings:seed:)`` uses).
        public init(users: Int, items: Int, seed: UInt64) {
            precondition(users > 0 && items > 0, "SyntheticRatings.Model: sizes must be positive")
            precondition(users <= Int(Int32.max) && items <= Int(Int32.max), "SyntheticRatings.Model: too many users or items")
            self.users = users
            self.items = items
            let rank = 10
            self.rank = rank
            // Interaction p·q has standard deviation 0.6: each factor entry has variance sqrt(0.36 / rank).
            let factorScale = (0.36 / Double(rank)).squareRoot().squareRoot()
            var rng = derivedGenerator(seed, tag: 0x5EED_0001)
            userBias = (0..<users).map { _ in Float(0.45 * rng.nextNormal()) }
            userActivity = (0..<users).map { _ in exp(0.9 * rng.nextNormal()) }
            userFactors = (0..<(users * rank)).map { _ in Float(factorScale * rng.nextNormal()) }
            let popularityZ = (0..<items).map { _ in rng.nextNormal() }
            itemPopularity = popularityZ.map { exp(1.3 * $0) }
            itemBias = popularityZ.map { z in Float(0.4 * rng.nextNormal() + 0.2 * z) }
            itemFactors = (0..<(items * rank)).map { _ in Float(factorScale * rng.nextNormal()) }
            noiseStandardDeviation = 0.6
            cutpoints = [-1.42, -0.76, 0.1, 1.05]
        }

        /// The noise-free score `b_u + b_i + p_u · q_i` of user index `user` for item index `item`.
        @inline(__always)
        public func score(user: Int, item: Int) -> Double {
            var dot: Float = 0
            let pu = user * rank, qi = item * rank
            for k in 0..<rank { dot += userFactors[pu + k] * itemFactors[qi + k] }
            return Double(userBias[user] + itemBias[item] + dot)
        }

        /// The integer rating 1...5 of a score.
        @inline(__always)
        public func rating(forScore s: Double) -> Int {
            var r = 1
            for c in cutpoints where s >= c { r += 1 }
            return r
        }

        /// The rating the user would give without noise: the oracle prediction a model that
        /// knows the low-rank structure can make.
        public func noiselessRating(user: Int, item: Int) -> Int { rating(forScore: score(user: user, item: item)) }
    }

    /// Generates `ratings` distinct (user, item) ratings (clamped to `users × items`) with raw ids
    /// `1...users` and `1...items` (dense indices `0..<users`, `0..<items`; users or items that drew
    /// no rating still exist in the maps). Ratings of one user are contiguous.
    public static func generate(users: Int, items: Int, ratings: Int, seed: UInt64) -> RatingSet {
        generateWithModel(users: users, items: items, ratings: ratings, seed: seed).ratings
    }

    /// ``generate(users:items:ratings:seed:)`` for a parsed ``SyntheticShape``.
    public static func generate(_ shape: SyntheticShape, seed: UInt64) -> RatingSet {
        generate(users: shape.users, items: shape.items, ratings: shape.ratings, seed: seed)
    }

    /// The generated ratings together with the model that produced them.
    public static func generateWithModel(users: Int, items: Int, ratings: Int, seed: UInt64) -> (ratings: RatingSet, model: Model) {
        precondition(ratings >= 0, "SyntheticRatings.generate: negative rating count \(ratings)")
        let model = Model(users: users, items: items, seed: seed)
        let (full, overflow) = users.multipliedReportingOverflow(by: items)
        let total = overflow ? ratings : min(ratings, full)
        let counts = userCounts(activity: model.userActivity, items: items, total: total)

        var rng = derivedGenerator(seed, tag: 0x5EED_0002)
        let alias = AliasTable(weights: model.itemPopularity)
        // Mass of the n most popular items: decides when rejection sampling gets too slow.
        let popularSorted = model.itemPopularity.sorted(by: >)
        let popularityTotal = popularSorted.reduce(0, +)
        var topMass = [Double](repeating: 0, count: items + 1)
        for k in 0..<items { topMass[k + 1] = topMass[k] + popularSorted[k] / popularityTotal }

        var stamp = [Int32](repeating: -1, count: items)
        var heavyKeys = [Double](), heavyOrder = [Int32]()
        var written = 0
        let rank = model.rank
        let noiseScale = Float(model.noiseStandardDeviation * 3.0.squareRoot() / 65536)
        let c0 = Float(model.cutpoints[0]), c1 = Float(model.cutpoints[1])
        let c2 = Float(model.cutpoints[2]), c3 = Float(model.cutpoints[3])

        var itemOut: [Int32] = []
        var valueOut: [Float] = []
        let userOut = [Int32](unsafeUninitializedCapacity: total) { ub, uc in
        itemOut = [Int32](unsafeUninitializedCapacity: total) { ib, ic in
        valueOut = [Float](unsafeUninitializedCapacity: total) { vb, vc in
        model.userFactors.withUnsafeBufferPointer { pf in
        model.itemFactors.withUnsafeBufferPointer { qf in
        model.itemBias.withUnsafeBufferPointer { ibias in
        stamp.withUnsafeMutableBufferPointer { stamp in
            @inline(__always) func emit(_ u: Int, _ i: Int, _ base: Float) {
                var dot: Float = 0
                let p = u * rank, q = i * rank
                for k in 0..<rank { dot += pf[p + k] * qf[q + k] }
                // Irwin–Hall noise: four 16-bit uniforms, centred and scaled to unit variance.
                let x = rng.next()
                let sum = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) + (x >> 48)
                let noise = (Float(sum) - 131_070) * noiseScale
                let s = base + ibias[i] + dot + noise
                let r: Float = s < c1 ? (s < c0 ? 1 : 2) : (s < c2 ? 3 : (s < c3 ? 4 : 5))
                ub[written] = Int32(truncatingIfNeeded: u)
                ib[written] = Int32(truncatingIfNeeded: i)
                vb[written] = r
                written += 1
            }
            for u in 0..<users {
                let n = counts[u]
                if n == 0 { continue }
                let base = model.userBias[u]
                if n == items {
                    for i in 0..<items { emit(u, i, base) }
                } else if topMass[n] <= 0.8 {
                    // Successive sampling by rejection: each draw is accepted with probability
                    // at least 0.2, because the items already taken hold at most 80% of the mass.
                    let mark = Int32(truncatingIfNeeded: u)
                    var got = 0
                    while got < n {
                        let i = alias.draw(rng.next())
                        if stamp[i] == mark { continue }
                        stamp[i] = mark
                        emit(u, i, base)
                        got += 1
                    }
                } else {
                    // Heavy user: the same successive-sampling distribution via exponential keys
                    // (Efraimidis–Spirakis): the n smallest E_i / w_i, O(items) per user.
                    if heavyKeys.isEmpty {
                        heavyKeys = [Double](repeating: 0, count: items)
                        heavyOrder = [Int32](repeating: 0, count: items)
                    }
                    for i in 0..<items {
                        var unit = rng.nextUnit()
                        while unit <= 0 { unit = rng.nextUnit() }
                        heavyKeys[i] = -log(unit) / model.itemPopularity[i]
                        heavyOrder[i] = Int32(i)
                    }
                    selectSmallest(&heavyOrder, keys: heavyKeys, count: n)
                    for k in 0..<n { emit(u, Int(heavyOrder[k]), base) }
                }
            }
        }}}}
            vc = written
        }
            ic = written
        }
            uc = written
        }
        precondition(written == total, "SyntheticRatings: generated \(written) of \(total) ratings")
        let set = RatingSet(unchecked: IdMap(consecutiveFrom: 1, count: users), items: IdMap(consecutiveFrom: 1, count: items),
                            userIndices: userOut, itemIndices: itemOut, values: valueOut, duplicatesRemoved: 0)
        return (set, model)
    }

    /// Ratings per user summing exactly to `total`, proportional to `activity`, at most `items`
    /// each and at least one each when `total ≥ users`: water-filling for the cap, then
    /// largest-remainder rounding.
    static func userCounts(activity: [Double], items: Int, total: Int) -> [Int] {
        let users = activity.count
        let base = total >= users ? 1 : 0
        let rest = total - base * users
        let cap = items - base
        var counts = [Int](repeating: base, count: users)
        guard rest > 0 else { return counts }
        if rest >= users * cap { return [Int](repeating: items, count: users) }

        func filled(_ s: Double) -> Double {
            var sum = 0.0
            for w in activity { sum += min(Double(cap), s * w) }
            return sum
        }
        var lo = 0.0
        var hi = Double(rest) / activity.reduce(0, +)
        while filled(hi) < Double(rest) { hi *= 2 }
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if filled(mid) <= Double(rest) { lo = mid } else { hi = mid }
        }
        var assigned = 0
        var fraction = [Double](repeating: 0, count: users)
        for u in 0..<users {
            let x = min(Double(cap), lo * activity[u])
            let whole = Int(x)
            counts[u] += whole
            assigned += whole
            fraction[u] = x - Double(whole)
        }
        var remainder = rest - assigned
        let order = (0..<users).sorted { fraction[$0] > fraction[$1] || (fraction[$0] == fraction[$1] && $0 < $1) }
        while remainder > 0 {
            for u in order where remainder > 0 && counts[u] < items {
                counts[u] += 1
                remainder -= 1
            }
        }
        return counts
    }
}

/// Walker/Vose alias table: O(1) weighted draws from one 64-bit random number.
struct AliasTable: Sendable {
    /// Acceptance threshold of each column, scaled to 2^32.
    private let threshold: [UInt64]
    private let alias: [Int32]

    init(weights: [Double]) {
        let n = weights.count
        let total = weights.reduce(0, +)
        var scaled = weights.map { $0 * Double(n) / total }
        var threshold = [UInt64](repeating: 1 << 32, count: n)
        var alias = [Int32](repeating: 0, count: n)
        var small: [Int] = [], large: [Int] = []
        for i in 0..<n { if scaled[i] < 1 { small.append(i) } else { large.append(i) } }
        while let s = small.popLast() {
            guard let l = large.last else { break }
            threshold[s] = UInt64(scaled[s] * 4_294_967_296.0)
            alias[s] = Int32(l)
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 {
                large.removeLast()
                small.append(l)
            }
        }
        // Leftovers (rounding) keep threshold 2^32: always their own column.
        for i in 0..<n where threshold[i] == 1 << 32 { alias[i] = Int32(i) }
        self.threshold = threshold
        self.alias = alias
    }

    /// A weighted index: high 32 bits choose the column, low 32 bits the coin.
    @inline(__always)
    func draw(_ bits: UInt64) -> Int {
        let column = Int(((bits >> 32) &* UInt64(threshold.count)) >> 32)
        return (bits & 0xFFFF_FFFF) < threshold[column] ? column : Int(alias[column])
    }
}

/// Reorders `order` so its first `count` entries are the indices with the smallest `keys`
/// (quickselect with median-of-three pivots; deterministic).
func selectSmallest(_ order: inout [Int32], keys: [Double], count: Int) {
    guard count > 0 && count < order.count else { return }
    let target = count - 1
    var lo = 0, hi = order.count - 1
    while lo < hi {
        let mid = (lo + hi) / 2
        let a = keys[Int(order[lo])], b = keys[Int(order[mid])], c = keys[Int(order[hi])]
        let pivot = max(min(a, b), min(max(a, b), c))
        var i = lo, j = hi
        while i <= j {
            while keys[Int(order[i])] < pivot { i += 1 }
            while keys[Int(order[j])] > pivot { j -= 1 }
            if i <= j {
                order.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        if target <= j { hi = j } else if target >= i { lo = i } else { return }
    }
}
