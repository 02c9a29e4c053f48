// NeuMF for rating regression on MovieLens: see `neumf --help` and Docs/Models.md.
import Foundation
import AutoRec
import AutoRecCLI

let (gmf, mlp, tower) = (32, 32, [64, 32, 16])
var options = RatingRegressionOptions()
options.centered = true
options.lambdas = [0.1, 0.3, 1]
options.learningRate = 0.001
options.batchSize = 256
options.maxEpochs = 60
options.patience = 4
let command = RatingModelCommand(
    name: "neumf",
    summary: "NeuMF (He et al., WWW 2017) for rating regression: a GMF branch and an MLP branch over concatenated embeddings, merged.",
    hyperparameters: ["gmf": Double(gmf), "mlp": Double(mlp)], options: options) { ratings in
    try GraphRatingModel(neuMF(users: ratings.userCount, items: ratings.itemCount, gmf: gmf, mlp: mlp, tower: tower), for: ratings)
}
exit(command.run(Array(CommandLine.arguments.dropFirst())))
