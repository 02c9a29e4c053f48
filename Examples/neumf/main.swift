// NeuMF for rating regression on MovieLens: see `neumf --help` and Docs/Models.md.
import Foundation
import AutoRec
import AutoRecCLI

let env = ProcessInfo.processInfo.environment
let gmf = Int(env["Z_G"] ?? "32")!, mlp = Int(env["Z_M"] ?? "32")!
let layers = (env["Z_H"] ?? "64,32,16").split(separator: ",").map { Int($0)! }
var options = RatingRegressionOptions()
options.lambdas = (env["Z_L"] ?? "1,10,100").split(separator: ",").map { Double($0)! }
options.learningRate = Double(env["Z_LR"] ?? "0.001")!
options.batchSize = Int(env["Z_B"] ?? "256")!
options.maxEpochs = 60
options.patience = 4
let command = RatingModelCommand(
    name: "neumf",
    summary: "NeuMF (He et al., WWW 2017) for rating regression: a GMF branch and an MLP branch over concatenated embeddings, merged.",
    hyperparameters: ["gmf": Double(gmf), "mlp": Double(mlp)], options: options) { NeuMF($0, gmf: gmf, mlp: mlp, layers: layers) }
exit(command.run(Array(CommandLine.arguments.dropFirst())))
