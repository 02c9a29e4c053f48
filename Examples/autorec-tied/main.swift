// I-AutoRec with tied weights on MovieLens: see `autorec-tied --help` and Docs/Models.md.
import Foundation
import AutoRec
import AutoRecCLI

let hidden = 500
var options = RatingRegressionOptions()
options.optimizer = .rprop
options.centered = true
options.lambdas = [100, 300, 1000]
options.maxEpochs = 300
options.patience = 25
let command = RatingModelCommand(
    name: "autorec-tied",
    summary: "I-AutoRec with the decoder tied to the encoder (W = Vᵀ).",
    hyperparameters: ["hidden": Double(hidden)], options: options) { ratings in
    try GraphRatingModel(tiedAutoRec(users: ratings.userCount, hidden: hidden), for: ratings, rows: .item)
}
exit(command.run(Array(CommandLine.arguments.dropFirst())))
