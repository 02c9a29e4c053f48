import Foundation
import TapeGrad
import TapeGradLayers
import AutoRec

/// NeuMF for rating regression (interim: plain tape ops until the layer graph lands).
struct NeuMF: RatingModel {
    let users: Int, items: Int, gmf: Int, mlp: Int, layers: [Int]
    let mean: Double
    var input: RatingModelInput { .pairs }
    var description: String { "NeuMF, GMF \(gmf), MLP \(2 * mlp)→\(layers)" }

    init(_ ratings: RatingSet, gmf: Int, mlp: Int, layers: [Int]) {
        users = ratings.userCount
        items = ratings.itemCount
        self.gmf = gmf
        self.mlp = mlp
        self.layers = layers
        mean = ratings.mean
    }

    func initialParameters<Scalar: TensorScalar>(seed: UInt64) -> Parameters<Scalar> {
        var g = SplitMix64(seed: seed)
        let e = Initializer.normal(standardDeviation: 0.01)
        var pairs: [(String, Tensor<Scalar>)] = [
            ("gmf.user", e.make([users, gmf], generator: &g)), ("gmf.item", e.make([items, gmf], generator: &g)),
            ("mlp.user", e.make([users, mlp], generator: &g)), ("mlp.item", e.make([items, mlp], generator: &g)),
        ]
        var flags = [true, true, true, true]
        var size = 2 * mlp
        for (i, l) in layers.enumerated() {
            pairs += [("mlp\(i).weight", Initializer.heUniform.make([size, l], generator: &g)), ("mlp\(i).bias", .zeros([l]))]
            flags += [true, false]
            size = l
        }
        pairs += [("out.weight", Initializer.glorotUniform.make([gmf + size, 1], generator: &g)), ("out.bias", Tensor([Scalar(mean)]))]
        flags += [true, false]
        return Parameters(pairs, regularized: flags)
    }

    func predictions<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters p: [Variable<Scalar>],
                                           context: ForwardContext<Scalar>) -> Variable<Scalar> {
        let g = gather(p[0], at: batch.users) * gather(p[1], at: batch.items)
        var m = concatenate([gather(p[2], at: batch.users), gather(p[3], at: batch.items)], alongAxis: 1)
        for i in layers.indices { m = relu(matmul(m, p[4 + 2 * i]) + p[5 + 2 * i]) }
        let o = 4 + 2 * layers.count
        return (matmul(concatenate([g, m], alongAxis: 1), p[o]) + p[o + 1]).reshaped([batch.count])
    }
}
