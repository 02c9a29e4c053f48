// Biased matrix factorisation on MovieLens: see `matrix-factorization --help` and Docs/Models.md.
import Foundation
import AutoRec
import AutoRecCLI

let env = ProcessInfo.processInfo.environment
let factors = Int(env["MF_K"] ?? "64")!
var options = RatingRegressionOptions()
options.lambdas = (env["MF_L"] ?? "0.1,0.2,0.3").split(separator: ",").map { Double($0)! }
options.learningRate = Double(env["MF_LR"] ?? "0.002")!
options.batchSize = Int(env["MF_B"] ?? "256")!
options.maxEpochs = 60
options.patience = 4
let command = RatingModelCommand(
    name: "matrix-factorization",
    summary: "Biased matrix factorisation: r̂ = pᵤ·qᵢ + bᵤ + bᵢ + μ (user and item embeddings, row-wise dot, biases, L2).",
    hyperparameters: ["factors": Double(factors)], options: options) { MatrixFactorization($0, factors: factors) }
exit(command.run(Array(CommandLine.arguments.dropFirst())))
