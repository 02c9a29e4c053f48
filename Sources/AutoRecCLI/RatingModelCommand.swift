import Foundation
import TapeGrad
import TapeGradLayers
import AutoRec

/// The command line shared by the model-zoo programs (`matrix-factorization`, `neumf`, `cdae`,
/// `autorec-tied`): each declares its model and its defaults, this reads the data, fits with
/// ``RatingRegression`` and reports, with the same flags, messages and exit codes as `autorec`.
///
/// Exit status: 0 on success, 1 for a data error (missing or malformed file, divergence),
/// 2 for a usage error (unknown flag, bad value).
public struct RatingModelCommand: Sendable {
    /// The program's name, for messages (`matrix-factorization`).
    public var name: String
    /// One line on what the model is, for `--help`.
    public var summary: String
    /// The model's hyperparameters that are not chosen on validation (sizes …), for the
    /// report and the metrics file.
    public var hyperparameters: [String: Double]
    /// The training defaults (λ candidates, learning rate, batch size …); flags override them.
    public var options: RatingRegressionOptions
    /// Builds the model for a training set.
    public var model: RatingRegression.ModelFactory
    /// Where the default data is looked for (see ``DataDirectory``); settable for tests.
    var workingDirectory = FileManager.default.currentDirectoryPath
    var environment = ProcessInfo.processInfo.environment

    /// Creates a command.
    public init(name: String, summary: String, hyperparameters: [String: Double] = [:],
                options: RatingRegressionOptions, model: @escaping RatingRegression.ModelFactory) {
        self.name = name
        self.summary = summary
        self.hyperparameters = hyperparameters
        self.options = options
        self.model = model
    }

    static let valued: Set<String> = ["train", "test", "epochs", "seed", "metrics-json", "lambda", "optimizer", "learning-rate",
                                      "batch-size", "patience", "threads"]
    static let switches: Set<String> = ["no-refit", "quiet", "help"]

    /// Runs the program with `arguments` (without the program name); returns the exit status.
    public func run(_ arguments: [String], console: Console = .standard) -> Int32 {
        do {
            try withDenormalsFlushedToZero { try train(arguments, console: console) }
            return 0
        } catch let error as UsageError {
            console.err("\(name): \(error)\nTry '\(name) --help'.\n")
            return 2
        } catch {
            console.err("\(name): error: \(error)\n")
            return 1
        }
    }

    private func train(_ arguments: [String], console: Console) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let args = try Arguments(arguments, valued: Self.valued, switches: Self.switches)
        if args.has("help") { console.out(help); return }
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        var options = self.options
        if let e = try args.int("epochs", range: 1...100_000) { options.maxEpochs = e }
        if let p = try args.int("patience", range: 1...100_000) { options.patience = p }
        if let b = try args.int("batch-size", range: 1...10_000_000) { options.batchSize = b }
        options.seed = UInt64(try args.int("seed", range: 0...Int.max) ?? Int(options.seed))
        if let optimizer = try args.choice("optimizer", OptimizerChoice.self), optimizer != options.optimizer {
            options.optimizer = optimizer
            options.learningRate = nil  // the model's rate was for its own optimizer
        }
        options.learningRate = try args.double("learning-rate", range: 1e-12...1e3) ?? options.learningRate
        if let text = args.string("lambda") {
            let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard values.allSatisfy({ ($0 ?? -1) >= 0 && $0!.isFinite }) else {
                throw UsageError("--lambda: '\(text)' is not a number ≥ 0 or a comma-separated list of them")
            }
            options.lambdas = values.map { $0! }
        }
        if args.has("no-refit") { options.refit = false }
        let threads = try args.int("threads", range: 1...1024) ?? Parallelism.defaultThreads
        let quiet = args.has("quiet")

        let (trainPath, testPath) = try dataFiles(args)
        let split = try RatingSplit.files(train: trainPath, test: testPath)
        guard split.train.count > 0 else { throw FitError("\(trainPath): no training ratings") }
        if !quiet {
            console.out("\(try model(split.train))\n")
        }
        let progress = ProgressPrinter(console: console, quiet: quiet, prefix: "")
        let fit: RatingRegressionFit
        do {
            fit = try Parallelism.$threads.withValue(threads) {
                try RatingRegression(options: options, model: model).fit(split.train, scale: split.scale, progress: progress.report)
            }
            progress.finish()
        } catch {
            progress.finish()  // end the live line before the error is printed
            throw error
        }
        let evaluationStart = DispatchTime.now().uptimeNanoseconds
        let metrics = Parallelism.$threads.withValue(threads) { fit.predictor.evaluate(split.test) }
        let evaluationSeconds = Double(DispatchTime.now().uptimeNanoseconds - evaluationStart) / 1e9
        let totalSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        let f = { (x: Double) in String(format: "%.4f", x) }
        var lines = [
            "\(name): " + (hyperparameters.isEmpty ? "" : hyperparameters.sorted { $0.key < $1.key }
                .map { "\($0.key) \(compactNumber($0.value))" }.joined(separator: ", ") + ", ")
                + optimizerDescription(options),
            "data: \(trainPath) / \(testPath): \(split.train.count) training ratings (\(split.train.userCount) users × "
                + "\(split.train.itemCount) items), \(split.test.count) test ratings",
            "lambda: \(compactNumber(fit.lambda)) (validation RMSE \(f(fit.validationRMSE)); tried "
                + fit.trials.map { "\(compactNumber($0.lambda)) → \(f($0.validationRMSE)) at epoch \($0.bestEpoch)" }
                .joined(separator: ", ") + ")",
            "epochs: \(fit.epochs)\(options.refit ? " (then refit on all training ratings)" : "")",
            String(format: "test RMSE: %.4f   MAE: %.4f   (%d ratings, %d cold → default %@)", metrics.rmse, metrics.mae,
                   metrics.count, metrics.coldCount, compactNumber(split.scale.midpoint)),
            String(format: "time: %.1f s training, %.4f s per epoch, %.1f s in all", fit.trainSeconds, fit.secondsPerEpoch,
                   totalSeconds),
        ]
        if !quiet {
            for d in fit.trials.compactMap(\.divergence) { lines.append("note: \(d); λ = \(compactNumber(d.lambda)) was not chosen") }
        }
        console.out(lines.joined(separator: "\n") + "\n")

        if let path = args.string("metrics-json") {
            var json: [String: Any] = [
                "model": name, "test_rmse": metrics.rmse, "test_mae": metrics.mae, "validation_rmse": fit.validationRMSE,
                "lambda": fit.lambda, "epochs": fit.epochs, "stop_reason": fit.stopReason.rawValue,
                "train_file": trainPath, "test_file": testPath,
                "ratings": ["train": fit.searchRatings.train, "validation": fit.searchRatings.validation, "test": split.test.count],
                "cold_test_ratings": metrics.coldCount,
                "lambda_trials": fit.trials.map { ["lambda": $0.lambda, "validation_rmse": $0.validationRMSE, "best_epoch": $0.bestEpoch] },
                "train_seconds": fit.trainSeconds, "seconds_per_epoch": fit.secondsPerEpoch,
                "evaluation_seconds": evaluationSeconds, "total_seconds": totalSeconds, "threads": threads,
            ]
            var chosen: [String: Any] = [
                "optimizer": options.optimizer.rawValue, "learning_rate": options.learningRate.map { $0 as Any } ?? NSNull(),
                "batch_size": options.optimizer.isFullBatch ? NSNull() : options.batchSize as Any, "max_epochs": options.maxEpochs,
                "patience": options.patience, "validation_fraction": options.validationFraction, "seed": Int(options.seed),
                "refit": options.refit, "centered": options.centered, "lambda_candidates": options.lambdas,
            ]
            for (key, value) in hyperparameters { chosen[key] = value }
            json["hyperparameters"] = chosen
            json["history"] = fit.selectionHistory.map { h -> [String: Any] in
                ["epoch": h.epoch, "train_loss": h.trainLoss, "validation_rmse": h.validation.map { $0 as Any } ?? NSNull(),
                 "seconds": h.seconds]
            }
            json["final_history"] = fit.history.map { ["epoch": $0.epoch, "train_loss": $0.trainLoss, "seconds": $0.seconds] }
            try AutoRecCommand.writeJSON(json, to: path)
        }
    }

    /// `--train`/`--test`, or u1.base/u1.test of MovieLens 100K where ``DataDirectory`` finds it.
    private func dataFiles(_ args: Arguments) throws -> (String, String) {
        switch (args.string("train"), args.string("test")) {
        case let (train?, test?): return (train, test)
        case (nil, nil):
            guard let directory = DataDirectory.movieLens100K(base: workingDirectory, environment: environment) else {
                throw FitError("no data: give --train FILE --test FILE, or put MovieLens 100K at ../shared/data/ml-100k "
                               + "or in $TAPEGRAD_DATA (download it from https://grouplens.org/datasets/movielens/100k/; "
                               + "its licence forbids redistribution, so it is not included)")
            }
            let directoryURL = URL(fileURLWithPath: directory)
            return (directoryURL.appendingPathComponent("u1.base").path, directoryURL.appendingPathComponent("u1.test").path)
        default: throw UsageError("--train and --test go together")
        }
    }

    /// The `--help` text.
    public var help: String {
        let o = options
        return """
        usage: \(name) [--train FILE --test FILE] [--epochs N] [--lambda X[,X…]] [--optimizer NAME] [--learning-rate R]
               \(String(repeating: " ", count: name.count)) [--batch-size N] [--patience N] [--no-refit] [--seed N] [--threads N]
               \(String(repeating: " ", count: name.count)) [--metrics-json FILE] [--quiet]

        \(summary)
        λ and the number of epochs are chosen on \(compactNumber(o.validationFraction * 100))% of the training ratings held out
        for validation; test ratings are used for nothing but the final report (RMSE with predictions
        clipped to the training ratings' range, the range's midpoint for cold users and items).

          --train FILE --test FILE   a given split (default: u1.base / u1.test of MovieLens 100K in
                                     $TAPEGRAD_DATA or ../shared/data/ml-100k)
          --epochs N          most epochs per run (default \(o.maxEpochs)); early stopping on validation
          --patience N        epochs without a better validation RMSE before a run stops (default \(o.patience))
          --lambda X[,X…]     λ candidates of the weight penalty λ/2·P (default \(o.lambdas.map(compactNumber).joined(separator: ",")))
          --optimizer NAME    adam or sgd (mini-batch), rprop or lbfgs (full batch) (default \(o.optimizer.rawValue))
          --learning-rate R   the optimizer's learning rate (default \(o.learningRate.map(compactNumber) ?? "the optimizer's"))
          --batch-size N      ratings per mini-batch, or users/items for models of rating rows (default \(o.batchSize))
          --no-refit          keep the early-stopped model instead of retraining on all training ratings
          --seed N            seeds the validation split, the weights and the batch order (default \(o.seed))
          --threads N         kernel threads (default: TAPEGRAD_THREADS or the number of cores)
          --metrics-json FILE write test and validation RMSE, the choices and timings as JSON
          --quiet             no model summary, no progress

        """
    }

    /// `Adam (learning rate 0.002, batch 256)`, `Rprop (full batch)`.
    private func optimizerDescription(_ o: RatingRegressionOptions) -> String {
        let names: [OptimizerChoice: String] = [.adam: "Adam", .sgd: "SGD", .rprop: "Rprop", .lbfgs: "L-BFGS"]
        let rate = o.learningRate.map { "learning rate \(compactNumber($0)), " } ?? ""
        return names[o.optimizer]! + " (" + rate + (o.optimizer.isFullBatch ? "full batch" : "batch \(o.batchSize)") + ")"
    }
}
