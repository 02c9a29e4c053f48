import Foundation
import TapeGrad
import TapeGradLayers
import AutoRec

/// CDAE (interim: plain tape ops until the layer graph lands).
struct CDAE: RatingModel {
    let users: Int, items: Int, hidden: Int
    let mean: Double
    var input: RatingModelInput { .rows(.user) }
    var description: String { "CDAE, \(hidden) hidden" }

    init(_ ratings: RatingSet, hidden: Int) {
        users = ratings.userCount
        items = ratings.itemCount
        self.hidden = hidden
        mean = ratings.mean
    }

    func initialParameters<Scalar: TensorScalar>(seed: UInt64) -> Parameters<Scalar> {
        var g = SplitMix64(seed: seed)
        return Parameters([("encoder.weight", Initializer.glorotUniform.make([items, hidden], generator: &g)),
                           ("encoder.bias", .zeros([hidden])),
                           ("user", Initializer.normal(standardDeviation: 0.01).make([users, hidden], generator: &g)),
                           ("decoder.weight", Initializer.transposed(.glorotUniform).make([items, hidden], generator: &g)),
                           ("decoder.bias", Tensor(repeating: Scalar(mean), shape: [items]))],
                          regularized: [true, false, true, true, false])
    }

    func predictions<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters p: [Variable<Scalar>],
                                           context: ForwardContext<Scalar>) -> Variable<Scalar> {
        let h = sigmoid(matmul(batch.rows!, p[0]) + p[1] + gather(p[2], at: batch.instances))
        return sampledMatmul(h, p[3], transposeB: true, at: batch.pattern!) + gather(p[4], at: batch.pattern!.columnIndices)
    }
}
