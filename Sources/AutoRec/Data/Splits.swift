import TapeGrad

/// A training set and a held-out set over the same id maps.
///
/// Both sets index users and items through the same ``IdMap``s, so index `u` is the same person in
/// both and a model trained on ``train`` can be evaluated on ``test`` directly. Held-out ratings
/// never appear in ``train``.
///
/// Cold users and items: a user (item) is *cold* when it has no rating in ``train``. This happens
/// for ids that only occur in a given test file (they are appended to the id maps after all
/// training ids) and, in random splits, for users whose every rating was drawn into the test set.
/// They are kept, because AutoRec's protocol predicts the default rating for them (and their
/// test ratings count in the RMSE); ``isColdUser(_:)``, ``isColdItem(_:)`` and
/// ``isColdTestRating(_:)`` mark them. Because the maps include them, ``RatingSet/userCount`` of
/// ``train`` may count users without any training rating.
///
/// Every random decision comes from ``SplitMix64`` seeded by the caller's seed (mixed with a
/// constant per kind of split, so a split and its validation holdout made with the same seed are
/// still independent); the same seed and data always give the same split.
public struct RatingSplit: Sendable {
    /// The ratings a model may learn from.
    public let train: RatingSet
    /// The held-out ratings (a test set, or a validation set for ``holdingOutValidation(fraction:seed:)``).
    public let test: RatingSet
    private let userTrainCounts: [Int32]
    private let itemTrainCounts: [Int32]

    /// Pairs two sets that share id maps (checked) and computes the cold marks.
    public init(train: RatingSet, test: RatingSet) {
        precondition(train.users == test.users && train.items == test.items,
                     "RatingSplit: train and test must share the same id maps")
        self.train = train
        self.test = test
        userTrainCounts = train.ratingsPerUser()
        itemTrainCounts = train.ratingsPerItem()
    }

    /// The shared user map.
    public var users: IdMap { train.users }
    /// The shared item map.
    public var items: IdMap { train.items }

    /// The range predictions are clipped to: the training ratings' range (the test set's only if
    /// training is empty), so no information flows from held-out values into the model.
    public var scale: RatingScale {
        train.scale ?? test.scale ?? RatingScale(minimum: 1, maximum: 5)
    }

    /// Whether user index `u` has no training rating (the protocol predicts the default for it).
    public func isColdUser(_ u: Int) -> Bool { userTrainCounts[u] == 0 }

    /// Whether item index `i` has no training rating.
    public func isColdItem(_ i: Int) -> Bool { itemTrainCounts[i] == 0 }

    /// Whether the `k`-th held-out rating involves a cold user or a cold item.
    public func isColdTestRating(_ k: Int) -> Bool {
        isColdUser(Int(test.userIndices[k])) || isColdItem(Int(test.itemIndices[k]))
    }

    /// How many held-out ratings involve a cold user or item.
    public var coldTestRatingCount: Int {
        test.userIndices.indices.reduce(0) { $0 + (isColdTestRating($1) ? 1 : 0) }
    }

    /// The number of training ratings of each user (0 marks a cold user).
    public var trainRatingsPerUser: [Int32] { userTrainCounts }

    /// The number of training ratings of each item (0 marks a cold item).
    public var trainRatingsPerItem: [Int32] { itemTrainCounts }

    // MARK: Making splits

    /// A split given as two files, like ML-100K's `u1.base` / `u1.test`.
    ///
    /// The id maps are the training file's ids in ascending order, followed by ids that occur only
    /// in the test file (ascending); those are cold. Each file drops its own duplicate pairs (last
    /// wins, see ``RatingsFile``); a pair present in both files stays in both, as given.
    /// - Throws: ``DataFileError`` from either file.
    public static func files(train trainPath: String, test testPath: String) throws -> RatingSplit {
        let trainParsed = try RatingsFile.parseFile(trainPath)
        let testParsed = try RatingsFile.parseFile(testPath)
        let (trainUsers, trainUserRemap) = sortedIdMap(trainParsed.userIds)
        let (trainItems, trainItemRemap) = sortedIdMap(trainParsed.itemIds)
        let (users, testUserRemap) = extend(trainUsers, with: testParsed.userIds)
        let (items, testItemRemap) = extend(trainItems, with: testParsed.itemIds)
        let train = trainParsed.finish(userMap: users, userRemap: trainUserRemap, itemMap: items, itemRemap: trainItemRemap)
        let test = testParsed.finish(userMap: users, userRemap: testUserRemap, itemMap: items, itemRemap: testItemRemap)
        return RatingSplit(train: train, test: test)
    }

    /// `map` with the unknown ids among `ids` appended (sorted), and the table from positions in
    /// `ids` to indices of the extended map.
    private static func extend(_ map: IdMap, with ids: [Int64]) -> (IdMap, [Int32]) {
        let unknown = Set(ids.filter { map.index(of: $0) == nil }).sorted()
        let full = unknown.isEmpty ? map : IdMap(rawIds: map.rawIds + unknown)
        let remap = ids.map { Int32(full.index(of: $0)!) }
        return (full, remap)
    }

    /// A random split of one set: exactly `round(testFraction × count)` ratings, drawn uniformly
    /// without replacement, go to the test set; both parts keep the input's order and id maps.
    ///
    /// As in the paper (random 90/10), the split is not stratified: a user can lose all ratings to
    /// the test set and then be cold.
    public static func random(_ set: RatingSet, testFraction: Double = 0.1, seed: UInt64) -> RatingSplit {
        precondition(testFraction >= 0 && testFraction <= 1, "RatingSplit.random: testFraction \(testFraction) not in 0...1")
        let (rest, heldOut) = select(set, fraction: testFraction, rng: derivedGenerator(seed, tag: 0x7E57_5E1E))
        return RatingSplit(train: rest, test: heldOut)
    }

    /// Reads `path` (see ``RatingsFile/read(_:)``) and splits it with ``random(_:testFraction:seed:)``.
    public static func random(file path: String, testFraction: Double = 0.1, seed: UInt64) throws -> RatingSplit {
        random(try RatingsFile.read(path), testFraction: testFraction, seed: seed)
    }

    /// Holds out `fraction` (default 10%, as in the paper's choice of lambda) of the *training*
    /// ratings for validation: the result's ``train`` is the rest of this training set and its
    /// ``test`` is the validation set. This split's test set is not touched, so model selection
    /// never sees test ratings.
    public func holdingOutValidation(fraction: Double = 0.1, seed: UInt64) -> RatingSplit {
        precondition(fraction >= 0 && fraction <= 1, "holdingOutValidation: fraction \(fraction) not in 0...1")
        let (rest, validation) = RatingSplit.select(train, fraction: fraction,
                                                    rng: derivedGenerator(seed, tag: 0x0A11_DA7E))
        return RatingSplit(train: rest, test: validation)
    }

    /// How many of `count` ratings a random split holds out: `fraction × count`, rounded to the
    /// nearest whole number (the count ``random(_:testFraction:seed:)`` draws).
    public static func heldOutCount(of count: Int, fraction: Double) -> Int {
        Int((fraction * Double(count)).rounded())
    }

    /// The fewest ratings a random split with `fraction` (in (0, 1)) turns into at least one
    /// held-out rating and at least `minimumKept` kept ones. Both parts grow with the count, so
    /// every larger count works too.
    public static func minimumCount(fraction: Double, keeping minimumKept: Int = 1) -> Int {
        precondition(fraction > 0 && fraction < 1, "RatingSplit.minimumCount: fraction \(fraction) not in (0, 1)")
        var n = max(minimumKept, 1)
        while heldOutCount(of: n, fraction: fraction) < 1 || n - heldOutCount(of: n, fraction: fraction) < minimumKept { n += 1 }
        return n
    }

    /// Why a random split of `count` ratings with `fraction` would leave a part empty (or the
    /// kept part below `minimumKept`), in words naming the parts: `"a 10% split of 2 ratings
    /// holds out 0: no test ratings"`; nil when it would not.
    public static func emptyPart(count: Int, fraction: Double, heldOut: String, kept: String, minimumKept: Int = 1) -> String? {
        let out = heldOutCount(of: count, fraction: fraction)
        let share = "a \(compactNumber(fraction * 100))% split of \(count) rating\(count == 1 ? "" : "s")"
        if out < 1 { return "\(share) holds out 0: no \(heldOut) ratings" }
        if count - out < minimumKept {
            return "\(share) holds out \(out) and keeps \(count - out)" + (count - out == 0 ? ": no \(kept) ratings" : ", too few \(kept) ratings")
        }
        return nil
    }

    /// Selection sampling (Knuth's Algorithm S): one pass, exact count, order preserved, no
    /// index arrays (the parts are written directly).
    private static func select(_ set: RatingSet, fraction: Double, rng: SplitMix64) -> (RatingSet, RatingSet) {
        var rng = rng
        let n = set.count
        let total = heldOutCount(of: n, fraction: fraction)
        var needed = total
        var keepU: [Int32] = [], keepI: [Int32] = [], keepV: [Float] = []
        var outU: [Int32] = [], outI: [Int32] = [], outV: [Float] = []
        keepU.reserveCapacity(n - total); keepI.reserveCapacity(n - total); keepV.reserveCapacity(n - total)
        outU.reserveCapacity(total); outI.reserveCapacity(total); outV.reserveCapacity(total)
        set.userIndices.withUnsafeBufferPointer { us in
        set.itemIndices.withUnsafeBufferPointer { its in
        set.values.withUnsafeBufferPointer { vs in
            for k in 0..<n {
                if needed > 0 && rng.nextInt(below: n - k) < needed {
                    outU.append(us[k]); outI.append(its[k]); outV.append(vs[k])
                    needed -= 1
                } else {
                    keepU.append(us[k]); keepI.append(its[k]); keepV.append(vs[k])
                }
            }
        }}}
        return (RatingSet(unchecked: set.users, items: set.items, userIndices: keepU, itemIndices: keepI,
                          values: keepV, duplicatesRemoved: 0),
                RatingSet(unchecked: set.users, items: set.items, userIndices: outU, itemIndices: outI,
                          values: outV, duplicatesRemoved: 0))
    }
}

/// A generator for one purpose: the user's seed mixed with a purpose tag and scrambled once, so
/// streams for different purposes do not overlap even when the user passes the same seed.
func derivedGenerator(_ seed: UInt64, tag: UInt64) -> SplitMix64 {
    var g = SplitMix64(seed: seed ^ (tag &* 0x9E37_79B9_7F4A_7C15))
    return SplitMix64(seed: g.next())
}
