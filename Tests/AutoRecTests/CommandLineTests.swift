import Foundation
import Testing
@testable import AutoRecCLI
import TapeGradLayers
import AutoRec
import TapeGradFormats

/// Runs the program in-process and returns (status, stdout, stderr).
func runAutoRec(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
    let capture = CapturedConsole()
    let status = AutoRecCommand.run(arguments, console: capture.console)
    return (status, capture.out, capture.err)
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("autorec-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let quick = ["--synthetic", "60x80x2400", "--hidden", "8", "--epochs", "15", "--lambda", "3", "--ensemble", "1", "--quiet"]

@Test("usage errors: one line naming the problem, exit status 2", arguments: [
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["--hidden", "abc"], "--hidden: 'abc' is not a size"),
    (["--model", "movie"], "--model: 'movie' is not one of item, user"),
    (["--epochs", "0"], "--epochs: '0' is not a whole number"),
    (["--lambda", "-1"], "--lambda: '-1' is not 'auto' or a number"),
    (["--train", "a.txt"], "--train and --test go together"),
    (["--ratings", "a", "--synthetic", "5x5x5"], "give only one of"),
    (["--synthetic", "5x5"], "--synthetic: invalid shape '5x5'"),
    (["--epochs"], "--epochs needs a value"),
    (["evaluate"], "evaluate needs --load FILE"),
    (["recommend", "--load", "m"], "recommend needs --user ID"),
    (["recommend", "--load", "m", "--user", "x"], "--user: 'x' is not an integer id"),
])
func usageErrors(arguments: [String], message: String) {
    let (status, out, err) = runAutoRec(arguments)
    #expect(status == 2)
    #expect(err.contains(message), "stderr was: \(err)")
    #expect(out.isEmpty)
}

@Test("data errors name the file (and line) and exit with status 1")
func dataErrors() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("missing.data").path
    var r = runAutoRec(["--ratings", missing, "--quiet"])
    #expect(r.status == 1)
    #expect(r.err.contains("missing.data"))

    let bad = dir.appendingPathComponent("bad.data")
    try "1\t2\t5\t0\n1\t3\tfive\t0\n".write(to: bad, atomically: true, encoding: .utf8)
    r = runAutoRec(["--ratings", bad.path, "--quiet"])
    #expect(r.status == 1)
    #expect(r.err.contains("bad.data:2"), "stderr was: \(r.err)")

    r = runAutoRec(["evaluate", "--load", bad.path, "--test", bad.path])
    #expect(r.status == 1)
    #expect(r.err.contains("bad.data"))
}

@Test("train, save, evaluate and recommend: evaluate reproduces the printed test RMSE; metrics JSON and plot are written")
func trainSaveEvaluateRecommend() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = dir.appendingPathComponent("m.safetensors").path
    let json = dir.appendingPathComponent("m.json").path
    let svg = dir.appendingPathComponent("m.svg").path
    let train = runAutoRec(quick + ["--save", model, "--metrics-json", json, "--plot", svg])
    #expect(train.status == 0, "stderr: \(train.err)")
    let rmseLine = try #require(train.out.split(separator: "\n").first { $0.hasPrefix("test RMSE:") })

    let metrics = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
    for key in ["test_rmse", "test_mae", "validation_rmse", "lambda", "epochs", "seconds_per_epoch", "train_seconds", "ratings", "history"] {
        #expect(metrics[key] != nil, "missing key \(key)")
    }
    let ratings = try #require(metrics["ratings"] as? [String: Int])
    #expect(ratings["test"] == 240 && ratings["train"] == 1944 && ratings["validation"] == 216)
    let history = try #require(metrics["history"] as? [[String: Any]])
    #expect(!history.isEmpty && history[0]["epoch"] as? Int == 1 && history[0]["validation_rmse"] is Double)
    let testRMSE = try #require(metrics["test_rmse"] as? Double)
    #expect(rmseLine.contains(String(format: "%.4f", testRMSE)))

    let svgText = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(svgText.hasPrefix("<svg") || svgText.hasPrefix("<?xml"))
    #expect(svgText.contains("validation RMSE") && svgText.contains("training loss") && svgText.contains("<polyline"))

    // evaluate regenerates the same synthetic data and split from the model's metadata.
    let predictions = dir.appendingPathComponent("p.csv").path
    let evaluation = runAutoRec(["evaluate", "--load", model, "--synthetic", "60x80x2400", "--predictions", predictions])
    #expect(evaluation.status == 0, "stderr: \(evaluation.err)")
    #expect(evaluation.out.contains(String(format: "test RMSE: %.4f", testRMSE)), "evaluate printed: \(evaluation.out)")
    // The predictions file: a header and one line per test rating, whose RMSE is the printed one.
    let lines = try String(contentsOfFile: predictions, encoding: .utf8).split(separator: "\n")
    #expect(lines.first == "user,item,rating,prediction" && lines.count == 241)
    let errors = lines.dropFirst().map { line -> Double in
        let f = line.split(separator: ",").map { Double($0)! }
        return (f[2] - f[3]) * (f[2] - f[3])
    }
    #expect(abs((errors.reduce(0, +) / Double(errors.count)).squareRoot() - testRMSE) < 1e-5)

    let recommend = runAutoRec(["recommend", "--load", model, "--user", "1", "--top", "5"])  // synthetic ids start at 1
    #expect(recommend.status == 0, "stderr: \(recommend.err)")
    #expect(recommend.out.split(separator: "\n").count == 6)
    let unknown = runAutoRec(["recommend", "--load", model, "--user", "99999"])
    #expect(unknown.status == 1 && unknown.err.contains("user 99999 is not in the model"))
}

@Test("--repeat aggregates runs: mean, 95% CI and one entry per split")
func repeatAggregation() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let json = dir.appendingPathComponent("r.json").path
    let r = runAutoRec(quick + ["--repeat", "2", "--metrics-json", json])
    #expect(r.status == 0, "stderr: \(r.err)")
    #expect(r.out.contains("95% CI over 2 splits"))
    let metrics = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
    let runs = try #require(metrics["runs"] as? [[String: Any]])
    #expect(runs.count == 2)
    let values = runs.compactMap { $0["test_rmse"] as? Double }
    let mean = try #require(metrics["test_rmse_mean"] as? Double)
    #expect(abs(mean - values.reduce(0, +) / 2) < 1e-12)
    #expect((metrics["test_rmse_ci95"] as? Double).map { $0 >= 0 } == true)
}

@Test("--help prints usage for each command and exits 0")
func help() {
    for args in [["--help"], ["train", "--help"], ["evaluate", "--help"], ["recommend", "--help"], ["help"]] {
        let r = runAutoRec(args)
        #expect(r.status == 0)
        #expect(r.out.contains("usage"))
    }
}

/// Runs the program in-process with a console that says standard error is (or is not) a
/// terminal and writes progress lines `progressInterval` seconds apart.
func runAutoRec(_ arguments: [String], errIsTerminal: Bool, progressInterval: Double) -> (status: Int32, out: String, err: String) {
    let capture = CapturedConsole()
    var console = capture.console
    console.errIsTerminal = errIsTerminal
    console.progressInterval = progressInterval
    let status = AutoRecCommand.run(arguments, console: console)
    return (status, capture.out, capture.err)
}

@Test("an unknown word where a command stands: 'did you mean', exit 2; --help lists the commands")
func unknownCommand() {
    var r = runAutoRec(["recomend", "--load", "m", "--user", "1"])
    #expect(r.status == 2 && r.out.isEmpty)
    #expect(r.err == "autorec: unknown command 'recomend'; did you mean recommend?\nTry 'autorec --help'.\n", "stderr: \(r.err)")
    r = runAutoRec(["evalute", "--load", "m"])
    #expect(r.status == 2 && r.err.hasPrefix("autorec: unknown command 'evalute'; did you mean evaluate?"), "stderr: \(r.err)")
    r = runAutoRec(["frobnicate"])
    #expect(r.status == 2 && r.err.hasPrefix("autorec: unknown command 'frobnicate'\n"), "stderr: \(r.err)")
    // Options still work without a command (train is the default), and their typos get hints.
    r = runAutoRec(["--epoch", "3"])
    #expect(r.status == 2 && r.err.contains("unknown option '--epoch'; did you mean --epochs?"), "stderr: \(r.err)")
    for help in [["--help"], ["help"]] {
        r = runAutoRec(help)
        #expect(r.status == 0)
        for command in ["train", "evaluate", "recommend", "help"] {
            #expect(r.out.contains("autorec \(command)"), "\(help) lists \(command): \(r.out)")
        }
        #expect(r.out.contains("--ratings FILE"), "the default command's options follow")
    }
    r = runAutoRec(["train", "--help"])
    #expect(r.status == 0 && !r.out.contains("autorec recommend") && r.out.contains("--ratings FILE"))
}

@Test("output paths are checked before any work: the flag and the path named, exit 1")
func outputPathsCheckedFirst() throws {
    let dir = try TemporaryDirectory()
    let file = try dir.write("plain.txt", "x")
    let missing = dir.path + "/no/such/dir"
    for flag in ["--save", "--metrics-json", "--plot"] {
        let name = flag == "--plot" ? "out.svg" : "out"
        let cases: [(String, String)] = [
            ("\(missing)/\(name)", "the directory '\(missing)' does not exist"),
            (dir.path, "it is a directory; give a file name"),
            ("\(file)/\(name)", "'\(file)' is not a directory"),
        ]
        for (path, problem) in cases where !(flag == "--plot" && path == dir.path) {
            // Without --quiet: a check after the work would show progress and a summary first.
            let r = runAutoRec(Array(quick.dropLast()) + [flag, path])
            #expect(r.status == 1 && r.out.isEmpty, "\(flag) \(path): \(r.out)")
            #expect(r.err == "autorec: error: \(flag): cannot write '\(path)': \(problem)\n", "stderr: \(r.err)")
        }
    }
    // evaluate checks its outputs before it loads the model.
    for flag in ["--metrics-json", "--predictions"] {
        let r = runAutoRec(["evaluate", "--load", dir.path + "/missing.safetensors", "--synthetic", "10x10x50", flag, missing + "/p.csv"])
        #expect(r.status == 1)
        #expect(r.err == "autorec: error: \(flag): cannot write '\(missing)/p.csv': the directory '\(missing)' does not exist\n",
                "stderr: \(r.err)")
    }
    #expect(!FileManager.default.fileExists(atPath: missing))
}

@Test("--plot refuses names that do not end in .svg, before training (exit 2)")
func plotExtension() throws {
    let dir = try TemporaryDirectory()
    for name in ["chart.png", "chart", "chart.svg.pdf"] {
        let r = runAutoRec(quick + ["--plot", dir.path + "/" + name])
        #expect(r.status == 2 && r.out.isEmpty)
        #expect(r.err.hasPrefix("autorec: --plot: '\(dir.path)/\(name)' does not end in .svg (only SVG is written)"), "stderr: \(r.err)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    #expect(runAutoRec(quick + ["--blend", "off", "--plot", dir.path + "/Chart.SVG"]).status == 0)
}

@Test("the chart: one panel per fitted model, log-scaled loss, the kept epoch marked, compact tick labels")
func trainingChart() throws {
    let dir = try TemporaryDirectory()
    let svg = dir.path + "/c.svg", json = dir.path + "/c.json"
    let r = runAutoRec(["--synthetic", "120x100x4000", "--hidden", "8", "--epochs", "12", "--ensemble", "1", "--quiet",
                        "--plot", svg, "--metrics-json", json])
    #expect(r.status == 0, "stderr: \(r.err)")
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    let metrics = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
    let blend = try #require(metrics["blend"] as? [String: Any])
    let members = try #require(blend["members"] as? [[String: Any]])
    // The main model and each blend member, each named in its panel's title.
    #expect(text.components(separatedBy: "<g class=\"panel-").count - 1 == 1 + members.count)
    #expect(text.contains("I-AutoRec (main model, weight"))
    for m in members { #expect(text.contains("\(m["name"] as! String) (blend weight"), "\(m["name"]!)") }
    // Every λ of the main model's λ average has its validation curve.
    for lambda in try #require(metrics["averaged_lambdas"] as? [Double]) {
        #expect(text.contains("validation RMSE, λ \(AutoRecCommand.formatLambda(lambda)) (right)"), "λ \(lambda)")
    }
    let trials = try #require(metrics["lambda_trials"] as? [[String: Any]])
    let best = try #require(trials.min { ($0["validation_rmse"] as! Double) < ($1["validation_rmse"] as! Double) })
    #expect(text.contains("kept: epoch \(best["best_epoch"] as! Int) (λ \(AutoRecCommand.formatLambda(best["lambda"] as! Double)))"))
    #expect(text.contains("training loss (log scale)"))
    // Loss ticks are compact (12k, not 12000).
    let leftTicks = text.components(separatedBy: "<g class=\"y-ticks-left\"")[1].components(separatedBy: "</g>")[0]
    #expect(leftTicks.contains("k</text>") && !leftTicks.contains("000</text>"), "\(leftTicks)")
}

@Test("progress on a log: a line per run's end (and every interval), never per epoch; per epoch on a terminal")
func progressLines() throws {
    let args = ["--synthetic", "60x80x2400", "--hidden", "8", "--epochs", "6", "--ensemble", "1", "--blend", "off"]
    func progress(_ err: String) -> [Substring] { err.split(separator: "\n").filter { $0.hasPrefix("[") } }
    func run(_ line: Substring) -> Substring { line.prefix { $0 != "]" } }
    // Interval 0: every epoch is a line (and the runs' end lines repeat none of them).
    let every = runAutoRec(args, errIsTerminal: false, progressInterval: 0)
    #expect(every.status == 0, "stderr: \(every.err)")
    let epochs = progress(every.err)
    let runs = epochs.map(run).reduce(into: [Substring]()) { if $0.last != $1 { $0.append($1) } }
    #expect(runs.count >= 4 && epochs.count > 2 * runs.count, "\(epochs.count) lines, \(runs.count) runs")
    // A long interval: the first epoch's line, then exactly one line per run, its last epoch.
    let quiet = runAutoRec(args, errIsTerminal: false, progressInterval: 3600)
    let lines = progress(quiet.err)
    #expect(Array(lines.dropFirst().map(run)) == runs, "\(lines)")
    func untimed(_ line: Substring) -> [String] { line.components(separatedBy: "  ").dropLast(2) }  // seconds and ETA vary
    #expect(lines.map(untimed) == ([epochs[0]] + runs.map { r in epochs.last { run($0) == r }! }).map(untimed))
    func results(_ out: String) -> [Substring] { out.split(separator: "\n").filter { !$0.hasPrefix("time:") } }
    #expect(results(quiet.out) == results(every.out) && !quiet.out.isEmpty)
    // A terminal: one live line redrawn per epoch, no line ends until training is over.
    let live = runAutoRec(args, errIsTerminal: true, progressInterval: 3600)
    #expect(live.err.components(separatedBy: "\r\u{1B}[2K").count - 1 == epochs.count)
}

@Test("--save keeps what prediction needs: no optimizer state; --help says what the file holds")
func savedModelContents() throws {
    let dir = try TemporaryDirectory()
    let model = dir.path + "/m.safetensors"
    #expect(runAutoRec(quick + ["--save", model]).status == 0)
    let file = try SafeTensors(contentsOf: URL(fileURLWithPath: model))
    #expect(!file.names.contains { $0.hasPrefix("optimizer/") }, "\(file.names)")
    #expect(try ModelFile(contentsOf: model).optimizerState == nil)
    #expect(runAutoRec(["train", "--help"]).out.contains("every network prediction averages"))
}
