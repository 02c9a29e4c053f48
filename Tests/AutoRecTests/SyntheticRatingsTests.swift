import Foundation
import Testing
import AutoRec
import TapeGrad

@Suite("Synthetic ratings")
struct SyntheticRatingsTests {
    @Test("deterministic for a seed, different across seeds")
    func determinism() {
        let a = SyntheticRatings.generate(users: 300, items: 200, ratings: 5_000, seed: 5)
        let b = SyntheticRatings.generate(users: 300, items: 200, ratings: 5_000, seed: 5)
        let c = SyntheticRatings.generate(users: 300, items: 200, ratings: 5_000, seed: 6)
        #expect(a.userIndices == b.userIndices && a.itemIndices == b.itemIndices && a.values == b.values)
        #expect(a.itemIndices != c.itemIndices)
    }

    @Test("shape, exact count, integer scale 1...5, no duplicate pairs", arguments: [
        (943, 1682, 100_000), (50, 40, 1_999), (10, 1000, 9_990), (1000, 10, 500), (3, 4, 12),
    ])
    func shape(users: Int, items: Int, ratings: Int) {
        let set = SyntheticRatings.generate(users: users, items: items, ratings: ratings, seed: 1)
        #expect(set.count == ratings)
        #expect(set.userCount == users && set.itemCount == items)
        #expect(set.users.rawId(at: 0) == 1 && set.items.rawId(at: items - 1) == Int64(items))
        #expect(set.values.allSatisfy { $0 >= 1 && $0 <= 5 && $0 == $0.rounded() })
        let pairs = Set((0..<set.count).map { Int(set.userIndices[$0]) * items + Int(set.itemIndices[$0]) })
        #expect(pairs.count == set.count)
        if ratings >= users {
            #expect(set.ratingsPerUser().allSatisfy { $0 >= 1 })
        }
    }

    @Test("count clamps to users × items")
    func clamp() {
        let set = SyntheticRatings.generate(users: 5, items: 4, ratings: 1_000, seed: 2)
        #expect(set.count == 20)
        #expect(set.ratingsPerUser() == [4, 4, 4, 4, 4])
    }

    @Test("MovieLens-like: mean about 3.5, every rating used, skewed popularity")
    func realism() {
        let set = SyntheticRatings.generate(users: 943, items: 1682, ratings: 100_000, seed: 9)
        #expect(set.mean > 3.3 && set.mean < 3.8)
        var histogram = [Int](repeating: 0, count: 6)
        for v in set.values { histogram[Int(v)] += 1 }
        for r in 1...5 { #expect(histogram[r] > set.count / 50) }
        #expect(histogram[4] > histogram[2])
        let perItem = set.ratingsPerItem().sorted(by: >)
        let top10 = perItem.prefix(perItem.count / 10).reduce(0) { $0 + Int($1) }
        #expect(Double(top10) / Double(set.count) > 0.3)
        #expect(set.scale == RatingScale(minimum: 1, maximum: 5))
    }

    @Test("learnable: the true low-rank model and a fitted factorisation beat the global mean")
    func learnable() {
        let (set, model) = SyntheticRatings.generateWithModel(users: 943, items: 1682, ratings: 100_000, seed: 4)
        let mean = set.mean
        var meanError = 0.0, oracleError = 0.0
        for k in 0..<set.count {
            let truth = Double(set.values[k])
            let oracle = Double(model.noiselessRating(user: Int(set.userIndices[k]), item: Int(set.itemIndices[k])))
            meanError += (truth - mean) * (truth - mean)
            oracleError += (truth - oracle) * (truth - oracle)
        }
        let meanRMSE = (meanError / Double(set.count)).squareRoot()
        let oracleRMSE = (oracleError / Double(set.count)).squareRoot()
        #expect(oracleRMSE < 0.8 * meanRMSE, "oracle \(oracleRMSE) vs mean \(meanRMSE)")

        // A small biased matrix factorisation trained by SGD on 90% predicts the other 10%
        // (a denser shape than ML-100K so the test stays fast in debug builds).
        let small = SyntheticRatings.generate(users: 300, items: 200, ratings: 15_000, seed: 4)
        let split = RatingSplit.random(small, testFraction: 0.1, seed: 4)
        let rank = 4
        var rng = SplitMix64(seed: 1)
        var p = (0..<(small.userCount * rank)).map { _ in 0.1 * (rng.nextUnit() - 0.5) }
        var q = (0..<(small.itemCount * rank)).map { _ in 0.1 * (rng.nextUnit() - 0.5) }
        var bu = [Double](repeating: 0, count: small.userCount), bi = [Double](repeating: 0, count: small.itemCount)
        let mu = split.train.mean
        let train = split.train
        p.withUnsafeMutableBufferPointer { p in
        q.withUnsafeMutableBufferPointer { q in
        bu.withUnsafeMutableBufferPointer { bu in
        bi.withUnsafeMutableBufferPointer { bi in
            func predict(_ u: Int, _ i: Int) -> Double {
                var s = mu + bu[u] + bi[i]
                for f in 0..<rank { s += p[u * rank + f] * q[i * rank + f] }
                return s
            }
            for _ in 0..<20 {
                for k in 0..<train.count {
                    let u = Int(train.userIndices[k]), i = Int(train.itemIndices[k])
                    let e = Double(train.values[k]) - predict(u, i)
                    bu[u] += 0.02 * (e - 0.05 * bu[u])
                    bi[i] += 0.02 * (e - 0.05 * bi[i])
                    for f in 0..<rank {
                        let pu = p[u * rank + f], qi = q[i * rank + f]
                        p[u * rank + f] += 0.02 * (e * qi - 0.05 * pu)
                        q[i * rank + f] += 0.02 * (e * pu - 0.05 * qi)
                    }
                }
            }
            var fitError = 0.0, baseError = 0.0
            for k in 0..<split.test.count {
                let truth = Double(split.test.values[k])
                let guess = split.scale.clamp(predict(Int(split.test.userIndices[k]), Int(split.test.itemIndices[k])))
                fitError += (truth - guess) * (truth - guess)
                baseError += (truth - mu) * (truth - mu)
            }
            let fitRMSE = (fitError / Double(split.test.count)).squareRoot()
            let baseRMSE = (baseError / Double(split.test.count)).squareRoot()
            #expect(fitRMSE < baseRMSE - 0.1, "fitted \(fitRMSE) vs global mean \(baseRMSE)")
        }}}}
    }

    @Test("model is rebuilt exactly from its seed")
    func modelRebuild() {
        let (_, model) = SyntheticRatings.generateWithModel(users: 20, items: 30, ratings: 100, seed: 77)
        let again = SyntheticRatings.Model(users: 20, items: 30, seed: 77)
        #expect(model.userFactors == again.userFactors && model.itemBias == again.itemBias)
        #expect(model.rating(forScore: -10) == 1 && model.rating(forScore: 10) == 5)
    }

    @Test("shape flag parsing", arguments: [
        ("943x1682x100000", SyntheticShape(users: 943, items: 1682, ratings: 100_000)),
        ("480189X17770x100M", SyntheticShape(users: 480_189, items: 17_770, ratings: 100_000_000)),
        ("6_040x3_706x1_000_209", SyntheticShape(users: 6040, items: 3706, ratings: 1_000_209)),
        ("10kx1kx5M", SyntheticShape(users: 10_000, items: 1_000, ratings: 5_000_000)),
    ])
    func shapeParsing(text: String, shape: SyntheticShape) throws {
        #expect(try SyntheticShape(parsing: text) == shape)
        #expect(try SyntheticShape(parsing: shape.description) == shape)
    }

    @Test("shape flag errors say what is wrong", arguments: [
        ("943x1682", "invalid shape '943x1682': found 2 parts instead of 3; expected USERSxITEMSxRATINGS, e.g. 943x1682x100000"),
        ("943x1682x", "invalid shape '943x1682x': ratings is empty; expected USERSxITEMSxRATINGS, e.g. 943x1682x100000"),
        ("943xabcx10", "invalid shape '943xabcx10': items 'abc' is not a positive integer; expected USERSxITEMSxRATINGS, e.g. 943x1682x100000"),
        ("0x5x5", "invalid shape '0x5x5': users must be positive, got 0; expected USERSxITEMSxRATINGS, e.g. 943x1682x100000"),
        ("-3x5x5", "invalid shape '-3x5x5': users '-3' is not a positive integer; expected USERSxITEMSxRATINGS, e.g. 943x1682x100000"),
        ("99999999999x5x5", "invalid shape '99999999999x5x5': users '99999999999' is too large; expected USERSxITEMSxRATINGS, e.g. 943x1682x100000"),
    ])
    func shapeErrors(text: String, message: String) {
        do {
            _ = try SyntheticShape(parsing: text)
            Issue.record("no error for \(text)")
        } catch let error as SyntheticShapeError {
            #expect(error.description == message)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

