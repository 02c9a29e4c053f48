// CDAE on MovieLens: see `cdae --help` and Docs/Models.md.
import Foundation
import AutoRec
import AutoRecCLI

let hidden = 500
var options = RatingRegressionOptions()
options.optimizer = .rprop
options.lambdas = [30, 100, 300]
options.maxEpochs = 300
options.patience = 25
let command = RatingModelCommand(
    name: "cdae",
    summary: "CDAE (Wu et al., WSDM 2016): U-AutoRec with a per-user embedding added into the hidden layer.",
    hyperparameters: ["hidden": Double(hidden)], options: options) { ratings in
    try GraphRatingModel(collaborativeDenoisingAutoencoder(users: ratings.userCount, items: ratings.itemCount, hidden: hidden), for: ratings, rows: .user)
}
exit(command.run(Array(CommandLine.arguments.dropFirst())))
