// CDAE on MovieLens: see `cdae --help` and Docs/Models.md.
import Foundation
import AutoRec
import AutoRecCLI

let (hidden, corruption) = (500, 0.0)
var options = RatingRegressionOptions()
options.optimizer = .rprop
options.centered = true
options.lambdas = [30, 100, 300]
options.maxEpochs = 300
options.patience = 25
let command = RatingModelCommand(
    name: "cdae",
    summary: "CDAE (Wu et al., WSDM 2016): U-AutoRec with a per-user embedding added into the hidden layer, input corrupted by dropout.",
    hyperparameters: ["hidden": Double(hidden), "corruption": corruption], options: options) { ratings in
    try GraphRatingModel(collaborativeDenoisingAutoencoder(users: ratings.userCount, items: ratings.itemCount, hidden: hidden,
                                                           corruption: corruption), for: ratings, rows: .user)
}
exit(command.run(Array(CommandLine.arguments.dropFirst())))
