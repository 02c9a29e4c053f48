// I-AutoRec with tied weights on MovieLens: see `autorec-tied --help` and Docs/Models.md.
import Foundation
import AutoRec
import AutoRecCLI

let env = ProcessInfo.processInfo.environment
let hidden = Int(env["Z_K"] ?? "500")!
var options = RatingRegressionOptions()
options.lambdas = (env["Z_L"] ?? "10,100").split(separator: ",").map { Double($0)! }
options.optimizer = OptimizerChoice(rawValue: env["Z_O"] ?? "rprop")!
options.learningRate = env["Z_LR"].map { Double($0)! }
options.batchSize = Int(env["Z_B"] ?? "32")!
options.maxEpochs = Int(env["Z_E"] ?? "300")!
options.patience = 25
let command = RatingModelCommand(
    name: "autorec-tied",
    summary: "I-AutoRec with the decoder tied to the encoder (W = Vᵀ).",
    hyperparameters: ["hidden": Double(hidden)], options: options) { TiedAutoRec($0, hidden: hidden) }
exit(command.run(Array(CommandLine.arguments.dropFirst())))
