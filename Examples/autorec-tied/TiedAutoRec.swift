import TapeGradLayers

/// I-AutoRec (Sedhain et al., WWW 2015) with the decoder weight tied to the encoder's:
/// h(r) = W · sigmoid(V r + μ) + b with W = Vᵀ. The `.outputsByInputs` decoder stores W as
/// users × hidden, the encoder's own layout, so the tie is the same tensor, not a transpose,
/// and the decoder keeps its fused square loss.
func tiedAutoRec(users: Int, hidden: Int) throws -> Graph {
    try Graph {
        Input("ratings", sparse: users)
        Dense(inputSize: users, outputSize: hidden, activation: .sigmoid, name: "encoder")
        Dense(inputSize: hidden, outputSize: users, weightLayout: .outputsByInputs, name: "decoder")
        Tie("decoder.weight", to: "encoder.weight")
    }
}
