import TapeGradLayers

/// CDAE (Wu, DuBois, Zheng, Ester, WSDM 2016) for rating regression: U-AutoRec, whose input is
/// a user's rating row, corrupted in training by dropping observed ratings with probability
/// `corruption`, with a per-user embedding added into the hidden layer, trained on the observed
/// entries. The decoder is evaluated only at the queried entries (and fuses itself with the
/// square loss in training).
func collaborativeDenoisingAutoencoder(users: Int, items: Int, hidden: Int, corruption: Double) throws -> Graph {
    try Graph {
        let ratings = Input("ratings", sparse: items), user = Input("user", ids: users)
        let corrupted = corruption > 0 ? Dropout(rate: corruption)(ratings) : ratings
        let encoded = Dense(inputSize: items, outputSize: hidden, name: "encoder")(corrupted)
        let userNode = Embedding(count: users, dimension: hidden, initializer: .normal(standardDeviation: 0.01), name: "userNode")(user)
        let code = Sigmoid()(encoded + userNode)
        Dense(inputSize: hidden, outputSize: items, weightLayout: .outputsByInputs, name: "decoder")(code)
    }
}
