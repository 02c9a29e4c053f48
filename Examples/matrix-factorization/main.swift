// Biased matrix factorisation on MovieLens: see `matrix-factorization --help` and Docs/Models.md.
import Foundation
import AutoRec
import AutoRecCLI

let factors = 64
var options = RatingRegressionOptions()
options.centered = true
options.lambdas = [0.1, 0.2, 0.3]
options.learningRate = 0.002
options.batchSize = 256
options.maxEpochs = 60
options.patience = 4
let command = RatingModelCommand(
    name: "matrix-factorization",
    summary: "Biased matrix factorisation: r̂ = μ + pᵤ·qᵢ + bᵤ + bᵢ, L2 on the factor rows each rating looks up.",
    hyperparameters: ["factors": Double(factors)], options: options) { ratings in
    try GraphRatingModel(matrixFactorization(users: ratings.userCount, items: ratings.itemCount, factors: factors), for: ratings)
}
exit(command.run(Array(CommandLine.arguments.dropFirst())))
