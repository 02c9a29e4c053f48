import Foundation
import Testing
import AutoRec

@Suite("Splits")
struct SplitTests {
    static let data = SyntheticRatings.generate(users: 200, items: 150, ratings: 10_000, seed: 11)

    @Test("random split: exact size, disjoint, complete, same maps")
    func randomSplit() {
        let split = RatingSplit.random(Self.data, testFraction: 0.1, seed: 42)
        #expect(split.test.count == 1_000)
        #expect(split.train.count == 9_000)
        #expect(split.train.users == Self.data.users && split.test.items == Self.data.items)
        let trainPairs = Set((0..<split.train.count).map { [split.train.userIndices[$0], split.train.itemIndices[$0]] })
        let testPairs = Set((0..<split.test.count).map { [split.test.userIndices[$0], split.test.itemIndices[$0]] })
        #expect(trainPairs.isDisjoint(with: testPairs))
        #expect(trainPairs.count == 9_000 && testPairs.count == 1_000)
        #expect((triples(split.train) + triples(split.test)).sorted { $0.lexicographicallyPrecedes($1) } == triples(Self.data))
    }

    @Test("random split: deterministic for a seed, different for another")
    func determinism() {
        let a = RatingSplit.random(Self.data, seed: 7)
        let b = RatingSplit.random(Self.data, seed: 7)
        let c = RatingSplit.random(Self.data, seed: 8)
        #expect(a.test.userIndices == b.test.userIndices && a.test.itemIndices == b.test.itemIndices)
        #expect(a.train.values == b.train.values)
        #expect(a.test.itemIndices != c.test.itemIndices || a.test.userIndices != c.test.userIndices)
        #expect(RatingSplit.random(Self.data, testFraction: 0, seed: 1).test.isEmpty)
        #expect(RatingSplit.random(Self.data, testFraction: 1, seed: 1).train.isEmpty)
    }

    @Test("validation holdout: 10% of training only, the test set untouched")
    func validation() {
        let split = RatingSplit.random(Self.data, testFraction: 0.1, seed: 3)
        let inner = split.holdingOutValidation(seed: 3)
        #expect(inner.test.count == 900)
        #expect(inner.train.count == 8_100)
        let merged = (triples(inner.train) + triples(inner.test)).sorted { $0.lexicographicallyPrecedes($1) }
        #expect(merged == triples(split.train))
        let testSet = Set(triples(split.test))
        #expect(Set(triples(inner.test)).isDisjoint(with: testSet))
        #expect(Set(triples(inner.train)).isDisjoint(with: testSet))
        // Same seed as the outer split, yet not the same positions drawn.
        let again = split.holdingOutValidation(seed: 3)
        #expect(again.test.itemIndices == inner.test.itemIndices)
        #expect(inner.users == split.users)
    }

    @Test("cold users in a random split are marked")
    func coldInRandomSplit() throws {
        // User 9 has a single rating; with everything held out it must be cold.
        let set = try RatingsFile.parse(Array("1 1 4\n1 2 3\n2 1 5\n9 2 1\n".utf8), name: "tiny")
        let split = RatingSplit.random(set, testFraction: 1, seed: 0)
        #expect(split.isColdUser(set.users.index(of: 9)!))
        #expect(split.coldTestRatingCount == 4)
        let none = RatingSplit.random(set, testFraction: 0, seed: 0)
        #expect(!none.isColdUser(2) && none.coldTestRatingCount == 0)
    }

    @Test("two files: test ids mapped through training maps, unknown ids appended and cold")
    func files() throws {
        let dir = try TemporaryDirectory()
        let train = try dir.write("u1.base", "1\t10\t4\n2\t10\t3\n2\t20\t5\n3\t30\t2\n")
        let test = try dir.write("u1.test", "2\t30\t4\n7\t10\t1\n1\t99\t5\n5\t98\t2\n1\t20\t3\n")
        let split = try RatingSplit.files(train: train, test: test)
        #expect(split.users.rawIds == [1, 2, 3, 5, 7])
        #expect(split.items.rawIds == [10, 20, 30, 98, 99])
        #expect(split.train.count == 4 && split.test.count == 5)
        #expect(split.train.userCount == 5)
        #expect(!split.isColdUser(0) && split.isColdUser(3) && split.isColdUser(4))
        #expect(!split.isColdItem(2) && split.isColdItem(3) && split.isColdItem(4))
        let cold = (0..<split.test.count).map { split.isColdTestRating($0) }
        #expect(cold == [false, true, true, true, false])
        #expect(split.coldTestRatingCount == 3)
        #expect(Set(triples(split.train)).isDisjoint(with: Set(triples(split.test))))
        #expect(split.scale == RatingScale(minimum: 2, maximum: 5))
    }

    @Test("two-file errors name the offending file")
    func fileErrors() throws {
        let dir = try TemporaryDirectory()
        let train = try dir.write("a.base", "1 2 3\n")
        let test = try dir.write("a.test", "1 2 3\n1 2\n")
        do {
            _ = try RatingSplit.files(train: train, test: test)
            Issue.record("no error")
        } catch let error as DataFileError {
            #expect(error.file == test && error.line == 2 && error.kind == .missingFields)
        }
    }

    @Test("ML-100K u1.base / u1.test: 80000 / 20000",
          .enabled(if: MovieLens100K.isAvailable, "ML-100K not found at ../shared/data/ml-100k or $TAPEGRAD_DATA; MovieLens may not be redistributed"))
    func movieLensU1() throws {
        let split = try RatingSplit.files(train: MovieLens100K.file("u1.base"), test: MovieLens100K.file("u1.test"))
        #expect(split.train.count == 80_000)
        #expect(split.test.count == 20_000)
        #expect(split.users.count <= 943 && split.items.count <= 1682)
        #expect(Set(triples(split.train)).isDisjoint(with: Set(triples(split.test))))
        let whole = try RatingsFile.read(MovieLens100K.file("u.data"))
        let random = RatingSplit.random(whole, seed: 1)
        #expect(random.test.count == 10_000 && random.train.count == 90_000)
        #expect(random.holdingOutValidation(seed: 1).test.count == 9_000)
    }
}
