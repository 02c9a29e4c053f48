import TapeGradLayers

/// Biased matrix factorisation (Koren, Bell, Volinsky 2009): r̂ = μ + pᵤ·qᵢ + bᵤ + bᵢ. The
/// harness centres the ratings on the training mean μ, so the graph predicts the rest.
///
/// The L2 penalty is the model's own output: the squared norms of the two factor rows each
/// rating looks up (classic SGD matrix factorisation), so a user's factors are held back in
/// proportion to the data pulling on them; the harness multiplies it by λ/2.
func matrixFactorization(users: Int, items: Int, factors: Int) throws -> Graph {
    try Graph {
        let user = Input("user", ids: users), item = Input("item", ids: items)
        let p = Embedding(count: users, dimension: factors, initializer: .normal(standardDeviation: 0.1), name: "userFactors")(user)
        let q = Embedding(count: items, dimension: factors, initializer: .normal(standardDeviation: 0.1), name: "itemFactors")(item)
        let userBias = Embedding(count: users, dimension: 1, initializer: .zeros, regularized: false, name: "userBias")(user)
        let itemBias = Embedding(count: items, dimension: 1, initializer: .zeros, regularized: false, name: "itemBias")(item)
        Output("rating", RowDot()(p, q) + userBias + itemBias)
        Output("penalty", RowDot()(p, p) + RowDot()(q, q))
    }
}
