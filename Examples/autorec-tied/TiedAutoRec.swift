import Foundation
import TapeGrad
import TapeGradLayers
import AutoRec

/// I-AutoRec with tied weights (interim: plain tape ops until the layer graph lands).
struct TiedAutoRec: RatingModel {
    let users: Int, hidden: Int
    let mean: Double
    let center = ProcessInfo.processInfo.environment["Z_CENTER"] != nil
    let untied = ProcessInfo.processInfo.environment["Z_UNTIED"] != nil
    var input: RatingModelInput { .rows(.item) }
    var description: String { "tied I-AutoRec, \(hidden) hidden" }

    init(_ ratings: RatingSet, hidden: Int) {
        users = ratings.userCount
        self.hidden = hidden
        mean = ratings.mean
    }

    func initialParameters<Scalar: TensorScalar>(seed: UInt64) -> Parameters<Scalar> {
        var g = SplitMix64(seed: seed)
        return Parameters([("encoder.weight", Initializer.glorotUniform.make([users, hidden], generator: &g)),
                           ("encoder.bias", .zeros([hidden])),
                           ("decoder.bias", Tensor(repeating: Scalar(untied ? 0 : mean), shape: [users])),
                           ("decoder.weight", Initializer.transposed(.glorotUniform).make([users, hidden], generator: &g))],
                          regularized: [true, false, false, true])
    }

    func predictions<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters p: [Variable<Scalar>],
                                           context: ForwardContext<Scalar>) -> Variable<Scalar> {
        let rows = center ? batch.rows!.replacingValues(batch.rows!.values.map { $0 - Scalar(mean) }) : batch.rows!
        let h = sigmoid(matmul(rows, p[0]) + p[1])
        return sampledMatmul(h, untied ? p[3] : p[0], transposeB: true, at: batch.pattern!) + gather(p[2], at: batch.pattern!.columnIndices)
    }
}
