import Foundation
import TapeGrad
import AutoRec

// The `train` command: settings, data, fits, reports.
extension AutoRecCommand {
    static let trainValued: Set<String> = ["ratings", "train", "test", "synthetic", "model", "hidden", "lambda", "optimizer",
                                           "epochs", "patience", "learning-rate", "ensemble", "lambda-average", "blend", "blend-dropout", "dropout", "input-dropout", "centering", "precision", "seed", "threads", "repeat", "test-fraction",
                                           "save", "metrics-json", "plot", "titles"]
    static let trainSwitches: Set<String> = ["quiet", "help", "no-refit"]

    /// The built-in data set when no data flag is given: the size of MovieLens 100K.
    public static let defaultSynthetic = "943x1682x100000"

    /// `help` is what `--help` prints: with `autorec --help` (no command named) the list of
    /// commands comes first.
    ///
    /// The steps: parse the settings, load the data, fit and evaluate each split, report, save.
    static func train(_ arguments: [String], console: Console, help: String = trainHelp) throws {
        let args = try Arguments(arguments, valued: trainValued, switches: trainSwitches)
        if args.has("help") { console.out(help); return }
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        let settings = try TrainSettings(args)
        let data = try TrainData(args, settings: settings, console: console)
        let reports = try fitAndEvaluate(data, settings: settings, console: console)
        console.out(summary(reports, configuration: settings.configuration, options: settings.options, data: data.description))
        try save(reports, settings: settings, data: data, console: console)
        if let titles = data.titles, !settings.quiet { printTopFive(reports[0].fit.recommender, titles: titles, console: console) }
    }

    /// What `train`'s flags ask for, checked.
    struct TrainSettings {
        var configuration = AutoRecConfiguration()
        var options = FitOptions()
        var seed: UInt64
        var repeats: Int
        var testFraction: Double
        var threads: Int
        var quiet: Bool
        var savePath: String?
        var metricsPath: String?
        var plotPath: String?

        init(_ args: Arguments) throws {
            configuration.kind = try args.choice("model", AutoRecKind.self) ?? .item
            if let hidden = args.string("hidden") {
                let sizes = hidden.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 && $0! <= 100_000 }) else {
                    throw UsageError("--hidden: '\(hidden)' is not a size or a comma-separated list of sizes (e.g. 500 or 500,250,500)")
                }
                configuration.hidden = sizes.map { $0! }
            }
            configuration.hiddenDropout = try args.double("dropout", range: 0...0.95) ?? 0
            configuration.inputDropout = try args.double("input-dropout", range: 0...0.95) ?? configuration.inputDropout
            configuration.centering = try args.choice("centering", InputCentering.self) ?? configuration.centering
            configuration.precision = try args.choice("precision", Precision.self) ?? configuration.precision
            options.optimizer = try args.choice("optimizer", OptimizerChoice.self) ?? .rprop
            if let e = try args.int("epochs", range: 1...100_000) { options.maxEpochs = e }
            if let p = try args.int("patience", range: 1...100_000) { options.patience = p }
            if let e = try args.int("ensemble", range: 1...100) { options.ensembleSize = e }
            if let n = try args.int("lambda-average", range: 1...100) { options.lambdaAverage = n }
            switch args.string("blend") {
            case nil: break
            case "on": options.blend = true
            case "off": options.blend = false
            case let text?: throw UsageError("--blend: '\(text)' is not 'on' or 'off'")
            }
            if let p = try args.double("blend-dropout", range: 0...0.95) {
                guard options.blend || p == 0 else { throw UsageError("--blend-dropout needs the blend (--blend on, the default)") }
                options.denoisingMember = p
            }
            options.learningRate = try args.double("learning-rate", range: 1e-12...1e6)
            if args.has("no-refit") { options.refit = false }
            seed = UInt64(try args.int("seed", range: 0...Int.max) ?? 1)
            options.seed = seed
            switch args.string("lambda") {
            case nil, "auto": options.lambdas = nil
            case let text?:
                guard let l = Double(text), l.isFinite, l >= 0 else { throw UsageError("--lambda: '\(text)' is not 'auto' or a number ≥ 0") }
                options.lambdas = [l]
            }
            repeats = try args.int("repeat", range: 1...1000) ?? 1
            testFraction = try args.double("test-fraction", range: 0.001...0.9) ?? 0.1
            threads = try args.int("threads", range: 1...1024) ?? Parallelism.defaultThreads
            quiet = args.has("quiet")
            savePath = try args.outputPath("save")
            metricsPath = try args.outputPath("metrics-json")
            plotPath = try args.outputPath("plot", extensions: ["svg"])
        }
    }

    /// The ratings `train` works on: a given split or the random splits of one data set, with
    /// the titles to name recommendations by.
    struct TrainData {
        /// The data in a summary line: the files, or the synthetic shape and seed.
        var description: String
        /// Where the data came from, saved in the model file.
        var info: [String: String] = [:]
        /// The split of run `r` (0-based).
        var split: (Int) throws -> RatingSplit
        /// Movie titles by item id (`--titles`).
        var titles: [Int64: String]?

        init(_ args: Arguments, settings: TrainSettings, console: Console) throws {
            let sources = ["ratings", "train", "synthetic"].filter { args.string($0) != nil }
            guard sources.count <= 1 else { throw UsageError("give only one of --ratings, --train/--test and --synthetic") }
            if (args.string("train") == nil) != (args.string("test") == nil) { throw UsageError("--train and --test go together") }
            if args.string("train") != nil, settings.repeats > 1 { throw UsageError("--repeat needs a random split (--ratings or --synthetic), not --train/--test") }
            if args.string("train") != nil, args.string("test-fraction") != nil { throw UsageError("--test-fraction applies to --ratings and --synthetic only") }
            titles = try args.string("titles").map { try MovieTitles.read($0) }

            if let trainPath = args.string("train"), let testPath = args.string("test") {
                let split = try RatingSplit.files(train: trainPath, test: testPath)
                self.split = { _ in split }
                description = "\(trainPath) / \(testPath)"
                info = ["split": "files", "train_file": trainPath, "test_file": testPath]
                return
            }
            let (seed, quiet, testFraction) = (settings.seed, settings.quiet, settings.testFraction)
            let all: RatingSet
            if let path = args.string("ratings") {
                all = try RatingsFile.read(path)
                if all.duplicatesRemoved > 0 && !quiet {
                    console.err("note: \(path): \(all.duplicatesRemoved) duplicate (user, item) line\(all.duplicatesRemoved == 1 ? "" : "s"); "
                                + "the last rating of each pair was kept\n")
                }
                description = path
                info = ["split": "random", "ratings_file": path]
            } else {
                let shape = try SyntheticShape(parsing: args.string("synthetic") ?? defaultSynthetic)
                if !quiet { console.err("generating synthetic ratings \(shape) (seed \(seed))…\n") }
                all = SyntheticRatings.generate(shape, seed: seed)
                description = "synthetic \(shape) (seed \(seed))"
                info = ["split": "random", "synthetic": shape.description, "synthetic_seed": String(seed)]
            }
            try requireTestAndTraining(all.count, testFraction: testFraction, options: settings.options, data: description)
            info["test_fraction"] = String(testFraction)
            split = { run in RatingSplit.random(all, testFraction: testFraction, seed: seed &+ UInt64(run)) }
            info["split_seed"] = String(seed)
        }
    }

    /// Fits each split (seed + r for run r) and evaluates it on its test ratings.
    static func fitAndEvaluate(_ data: TrainData, settings: TrainSettings, console: Console) throws -> [RunReport] {
        let (repeats, quiet, seed) = (settings.repeats, settings.quiet, settings.seed)
        var reports = [RunReport]()
        try Parallelism.$threads.withValue(settings.threads) {
            for run in 0..<repeats {
                let split = try data.split(run)
                var runOptions = settings.options
                runOptions.seed = seed &+ UInt64(run)
                let progress = ProgressPrinter(console: console, quiet: quiet, prefix: repeats > 1 ? "split \(run + 1)/\(repeats) " : "")
                let fit: FitResult
                do {
                    fit = try AutoRecFitter(configuration: settings.configuration, options: runOptions)
                        .fit(split.train, scale: split.scale, progress: progress.report)
                    progress.finish()
                } catch {
                    progress.finish()  // end the live line before the error is printed
                    throw error
                }
                if !quiet {
                    for d in fit.trials.compactMap(\.divergence) {
                        console.err("note: \(d); λ = \(formatLambda(d.lambda)) was not chosen\n")
                    }
                }
                let metrics = fit.recommender.evaluate(split.test)
                let ranking = fit.recommender.rankingMetrics(split.test, maxUsers: 2000, seed: seed)
                reports.append(RunReport(fit: fit, metrics: metrics, ranking: ranking, split: split))
                if repeats > 1 && !quiet {
                    console.err(String(format: "split %d/%d: test RMSE %.4f (λ %@, %d epochs)\n", run + 1, repeats, metrics.rmse,
                                       formatLambda(fit.lambda), fit.epochs))
                }
            }
        }
        return reports
    }

    /// Writes what the flags ask for: the metrics JSON, the chart, the model file (of the first
    /// split).
    static func save(_ reports: [RunReport], settings: TrainSettings, data: TrainData, console: Console) throws {
        let first = reports[0]
        if let path = settings.metricsPath {
            try writeJSON(metricsJSON(reports), to: path)
        }
        if let path = settings.plotPath {
            try writeText(plot(first.fit, configuration: settings.configuration,
                               note: settings.repeats > 1 ? ", split 1 of \(settings.repeats)" : ""), to: path)
        }
        if let path = settings.savePath {
            // Only what prediction needs: the optimizer state (as large as a network) is left out.
            try ModelFile(recommender: first.fit.recommender, info: data.info).write(to: path)
            if !settings.quiet { console.err("saved model to \(path)\n") }
        }
    }

    /// The first user's top 5 by title, as a taste of the model.
    static func printTopFive(_ r: Recommender, titles: [Int64: String], console: Console) {
        guard r.training.userCount > 0 else { return }
        let user = 0
        let recs = r.recommend(user: user, count: 5)
        console.out("top 5 for user \(r.training.users.rawId(at: user)): " +
                    recs.map { titles[r.training.items.rawId(at: $0.item)] ?? String(r.training.items.rawId(at: $0.item)) }.joined(separator: "; ") + "\n")
    }

    /// Refuses a data set too small to split into test ratings and enough training ratings for
    /// the fit (see ``FitOptions/minimumTrainingRatings``), saying which part would be empty.
    static func requireTestAndTraining(_ count: Int, testFraction: Double, options: FitOptions, data: String) throws {
        let minimumTraining = options.minimumTrainingRatings
        guard let problem = RatingSplit.emptyPart(count: count, fraction: testFraction, heldOut: "test", kept: "training",
                                                  minimumKept: minimumTraining) else { return }
        throw FitError("\(data): too few ratings to train and test: \(problem) (--test-fraction \(compactNumber(testFraction))); "
                       + "at least \(RatingSplit.minimumCount(fraction: testFraction, keeping: minimumTraining)) ratings are needed")
    }
}
