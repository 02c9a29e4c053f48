import TapeGradLayers

/// NeuMF (He et al., WWW 2017) for rating regression: a GMF branch (the elementwise product of
/// a user and an item embedding) and an MLP branch (a ReLU tower over the concatenation of two
/// other embeddings), merged by concatenation into a last linear layer. The harness centres the
/// ratings on the training mean.
func neuMF(users: Int, items: Int, gmf: Int, mlp: Int, tower sizes: [Int]) throws -> Graph {
    let embedding = Initializer.normal(standardDeviation: 0.01)
    let tower = try Graph(name: "tower") {
        Input("x", features: 2 * mlp)
        for (i, size) in sizes.enumerated() {
            Dense(inputSize: i == 0 ? 2 * mlp : sizes[i - 1], outputSize: size, activation: .relu, weightInitializer: .heUniform)
        }
    }
    return try Graph {
        let user = Input("user", ids: users), item = Input("item", ids: items)
        let generalized = Embedding(count: users, dimension: gmf, initializer: embedding, name: "gmfUser")(user)
            * Embedding(count: items, dimension: gmf, initializer: embedding, name: "gmfItem")(item)
        let perceptron = tower(Concatenate()(Embedding(count: users, dimension: mlp, initializer: embedding, name: "mlpUser")(user),
                                             Embedding(count: items, dimension: mlp, initializer: embedding, name: "mlpItem")(item)))
        Dense(inputSize: gmf + sizes[sizes.count - 1], outputSize: 1, name: "prediction")(Concatenate()(generalized, perceptron))
    }
}
