import Foundation
import TapeGrad
import TapeGradLayers
import AutoRec

/// The `autorec` program: train, evaluate and recommend with AutoRec.
///
/// Exit status: 0 on success, 1 for a data error (unreadable or malformed file, corrupt model
/// file, divergence), 2 for a usage error (unknown flag, bad value). Errors are one line on
/// standard error naming the problem (and the file and line for data errors).
public enum AutoRecCommand {
    /// Runs the program with `arguments` (without the program name) and returns the exit status.
    public static func run(_ arguments: [String], console: Console = .standard) -> Int32 {
        // A first word that is not an option must be a command; `train` is the default command.
        if let first = arguments.first, !first.hasPrefix("-"), !commands.contains(first) {
            let suggestion = closestWord(to: first, among: commands).map { "; did you mean \($0)?" } ?? ""
            console.err("autorec: unknown command '\(first)'\(suggestion)\nTry 'autorec --help'.\n")
            return 2
        }
        let explicit = arguments.first.map(commands.contains) ?? false
        let command = explicit ? arguments[0] : "train"
        let rest = explicit ? Array(arguments.dropFirst()) : arguments
        do {
            // Subnormal floats are flushed to zero for the whole command (see
            // TapeGrad's Denormals.swift): prediction and training alike avoid their slow path.
            try withDenormalsFlushedToZero {
                switch command {
                case "evaluate": try evaluate(rest, console: console)
                case "recommend": try recommend(rest, console: console)
                case "help": console.out(mainHelp + "\n" + trainHelp)
                default: try train(rest, console: console, help: explicit ? trainHelp : mainHelp + "\n" + trainHelp)
                }
            }
            return 0
        } catch let error as UsageError {
            console.err("autorec: \(error)\nTry 'autorec \(command == "help" ? "" : command + " ")--help'.\n")
            return 2
        } catch let error as SyntheticShapeError {
            console.err("autorec: --synthetic: \(error)\n")
            return 2
        } catch {
            console.err("autorec: error: \(error)\n")
            return 1
        }
    }

    /// The commands; the first argument names one, or is an option of `train`.
    static let commands = ["train", "evaluate", "recommend", "help"]

    // MARK: - evaluate

    static func evaluate(_ arguments: [String], console: Console) throws {
        let args = try Arguments(arguments, valued: ["load", "test", "ratings", "synthetic", "test-fraction", "seed", "threads", "metrics-json",
                                                     "predictions"],
                                 switches: ["help"])
        if args.has("help") { console.out(evaluateHelp); return }
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        guard let path = args.string("load") else { throw UsageError("evaluate needs --load FILE") }
        let sources = ["test", "ratings", "synthetic"].filter { args.string($0) != nil }
        guard sources.count == 1 else { throw UsageError("evaluate needs exactly one of --test, --ratings and --synthetic") }
        let threads = try args.int("threads", range: 1...1024) ?? Parallelism.defaultThreads
        let metricsPath = try args.outputPath("metrics-json")
        let predictionsPath = try args.outputPath("predictions")
        let file = try ModelFile(contentsOf: path)
        let r = file.recommender
        let test: RatingSet
        if let testPath = args.string("test") {
            test = try RatingsFile.read(testPath)
        } else {
            let fraction = try args.double("test-fraction", range: 0.001...0.9) ?? file.info["test_fraction"].flatMap(Double.init) ?? 0.1
            let seed = UInt64(try args.int("seed", range: 0...Int.max) ?? file.info["split_seed"].flatMap(Int.init) ?? 1)
            let all: RatingSet
            if let ratings = args.string("ratings") {
                all = try RatingsFile.read(ratings)
            } else {
                let shape = try SyntheticShape(parsing: args.string("synthetic")!)
                all = SyntheticRatings.generate(shape, seed: UInt64(file.info["synthetic_seed"].flatMap(Int.init) ?? Int(seed)))
            }
            if let problem = RatingSplit.emptyPart(count: all.count, fraction: fraction, heldOut: "test", kept: "training") {
                throw FitError("\(args.string("ratings") ?? "synthetic " + args.string("synthetic")!): \(problem)")
            }
            test = RatingSplit.random(all, testFraction: fraction, seed: seed).test
        }
        // Map the test file's ids onto the model's; unknown ids are -1, cold like ids without
        // training ratings.
        let users = test.userIndices.map { r.training.users.index(of: test.users.rawId(at: Int($0))).map(Int32.init) ?? -1 }
        let items = test.itemIndices.map { r.training.items.index(of: test.items.rawId(at: Int($0))).map(Int32.init) ?? -1 }
        let (predictions, cold) = Parallelism.$threads.withValue(threads) { r.predictAndCount(users: users, items: items) }
        let metrics = RatingMetrics(predictions: predictions, targets: test.values, coldCount: cold)
        console.out(testLine(metrics, defaultRating: r.defaultRating) + "\n")
        if let out = metricsPath {
            try writeJSON(["test_rmse": metrics.rmse, "test_mae": metrics.mae, "ratings": ["test": metrics.count],
                           "cold_test_ratings": cold], to: out)
        }
        if let out = predictionsPath {
            // One line per test rating, raw ids: for error analysis or blending with other models.
            var text = "user,item,rating,prediction\n"
            for k in 0..<test.count {
                text += "\(test.users.rawId(at: Int(test.userIndices[k]))),\(test.items.rawId(at: Int(test.itemIndices[k]))),"
                    + "\(test.values[k]),\(predictions[k])\n"
            }
            try writeText(text, to: out)
        }
    }

    // MARK: - recommend

    static func recommend(_ arguments: [String], console: Console) throws {
        let args = try Arguments(arguments, valued: ["load", "user", "top", "titles", "threads"], switches: ["help"])
        if args.has("help") { console.out(recommendHelp); return }
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        guard let path = args.string("load") else { throw UsageError("recommend needs --load FILE") }
        guard let userText = args.string("user") else { throw UsageError("recommend needs --user ID") }
        guard let userId = Int64(userText) else { throw UsageError("--user: '\(userText)' is not an integer id") }
        let top = try args.int("top", range: 1...100_000) ?? 10
        let threads = try args.int("threads", range: 1...1024) ?? Parallelism.defaultThreads
        let file = try ModelFile(contentsOf: path)
        let titles = try args.string("titles").map { try MovieTitles.read($0) }
        let r = file.recommender
        guard let user = r.training.users.index(of: userId) else {
            throw FitError("user \(userId) is not in the model's training data (\(r.training.userCount) users)")
        }
        let recs = Parallelism.$threads.withValue(threads) { r.recommend(user: user, count: top) }
        console.out("top \(recs.count) unseen items for user \(userId):\n")
        for (rank, rec) in recs.enumerated() {
            let id = r.training.items.rawId(at: rec.item)
            let title = titles?[id].map { "  \($0)" } ?? ""
            console.out(String(format: "%3d. item %-8lld %.2f", rank + 1, id, rec.rating) + title + "\n")
        }
    }

    // MARK: - files

    static func writeJSON(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try writeData(data + Data("\n".utf8), to: path)
    }

    static func writeText(_ text: String, to path: String) throws {
        try writeData(Data(text.utf8), to: path)
    }

    static func writeData(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FitError("cannot write \(path): \((error as NSError).localizedDescription)")
        }
    }
}
