import Foundation
import Testing
@testable import AutoRecCLI

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
