import Foundation
import TapeGrad
import TapeGradLayers
import AutoRec

/// Biased matrix factorisation (interim: plain tape ops until the layer graph lands).
struct MatrixFactorization: RatingModel {
    let users: Int, items: Int, factors: Int
    let mean: Double
    var input: RatingModelInput { .pairs }
    var description: String { "biased MF, \(factors) factors" }

    init(_ ratings: RatingSet, factors: Int) {
        users = ratings.userCount
        items = ratings.itemCount
        self.factors = factors
        mean = ratings.mean
    }

    func initialParameters<Scalar: TensorScalar>(seed: UInt64) -> Parameters<Scalar> {
        var g = SplitMix64(seed: seed)
        let s = 0.1
        return Parameters([("user", .normal([users, factors], standardDeviation: Scalar(s), generator: &g)),
                           ("item", .normal([items, factors], standardDeviation: Scalar(s), generator: &g)),
                           ("userBias", .zeros([users])), ("itemBias", .zeros([items])),
                           ("global", Tensor([Scalar(mean)]))],
                          regularized: [true, true, false, false, false])
    }

    func predictions<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters p: [Variable<Scalar>],
                                           context: ForwardContext<Scalar>) -> Variable<Scalar> {
        let dot = (gather(p[0], at: batch.users) * gather(p[1], at: batch.items)).sum(alongAxis: 1)
        return dot + gather(p[2], at: batch.users) + gather(p[3], at: batch.items)
            + gather(p[4], at: [Int32](repeating: 0, count: batch.count))
    }
}

extension MatrixFactorization {
    func penalty<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, variables p: [Variable<Scalar>],
                                       of parameters: Parameters<Scalar>, share: Double,
                                       context: ForwardContext<Scalar>) -> Variable<Scalar>? {
        square(gather(p[0], at: batch.users)).sum() + square(gather(p[1], at: batch.items)).sum()
    }
}
