import Foundation
import Testing
import TapeGrad
import TapeGradLayers
@testable import AutoRec
import TapeGradFormats

/// A small learnable data set and its split, shared by the protocol tests.
func smallSplit(seed: UInt64 = 3) -> RatingSplit {
    let all = SyntheticRatings.generate(users: 60, items: 80, ratings: 2400, seed: seed)
    return RatingSplit.random(all, testFraction: 0.1, seed: seed)
}

/// Fit options that keep the tests fast in debug builds.
func quickOptions(lambdas: [Double] = [3]) -> FitOptions {
    var o = FitOptions()
    o.maxEpochs = 40
    o.patience = 10
    o.lambdas = lambdas
    o.ensembleSize = 1
    // The blend (on by default) fits further models; the protocol tests check one model.
    o.blend = false
    return o
}

@Test("end to end on synthetic data: test RMSE clearly below the global-mean baseline")
func endToEndBeatsBaseline() throws {
    let split = smallSplit()
    let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [16]), options: quickOptions(lambdas: [1, 10]))
        .fit(split.train, scale: split.scale)
    let metrics = fit.recommender.evaluate(split.test)
    let mean = Float(split.train.mean)
    let baseline = RatingMetrics(predictions: Array(repeating: mean, count: split.test.count), targets: split.test.values)
    #expect(metrics.rmse < 0.95 * baseline.rmse, "AutoRec \(metrics.rmse) vs global mean \(baseline.rmse)")
    #expect(fit.trials.count == 2)
    #expect(fit.validationRMSE.isFinite)
    #expect(fit.history.count == fit.epochs)
}

@Test("U-AutoRec trains and predicts too")
func userBased() throws {
    let split = smallSplit()
    let fit = try AutoRecFitter(configuration: AutoRecConfiguration(kind: .user, hidden: [16]), options: quickOptions())
        .fit(split.train, scale: split.scale)
    #expect(fit.recommender.evaluate(split.test).rmse < 1.2)
}

@Test("test ratings never reach the model: predictions ignore the test values")
func noTestLeak() throws {
    let split = smallSplit()
    let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: quickOptions())
        .fit(split.train, scale: split.scale)
    let r = fit.recommender
    let a = r.predict(users: split.test.userIndices, items: split.test.itemIndices)
    // The same pairs with scrambled ratings: identical predictions.
    let scrambled = RatingSet(users: split.test.users, items: split.test.items, userIndices: split.test.userIndices,
                              itemIndices: split.test.itemIndices, values: split.test.values.map { 6 - $0 })
    let b = r.predict(users: scrambled.userIndices, items: scrambled.itemIndices)
    #expect(a == b)
    #expect(r.evaluate(scrambled).rmse != r.evaluate(split.test).rmse)
    // And the fitter never sees the test set: fitting the same training set gives the same
    // parameters whatever the test set is.
    let again = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: quickOptions())
        .fit(split.train, scale: split.scale)
    #expect(again.recommender.parameters == r.parameters)
}

@Test("predictions are clipped to the training scale; cold users and items get the midpoint")
func clippingAndDefault() throws {
    // Users 0, 1 and items 0, 1, 2 in training; user 2 and item 3 only in the maps (cold).
    let users = IdMap(rawIds: [10, 11, 12]), items = IdMap(rawIds: [20, 21, 22, 23])
    let training = RatingSet(users: users, items: items, userIndices: [0, 0, 1, 1], itemIndices: [0, 1, 1, 2],
                             values: [1, 2, 4, 5])
    let model = try AutoRec(configuration: AutoRecConfiguration(hidden: [2]), inputSize: 3)
    var p: Parameters<Float> = model.graph.initialParameters(seed: 1)
    p["decoder.bias"] = Tensor([100, -100, 3])    // user 0: +∞ → 5, user 1: −∞ → 1
    p["decoder.weight"] = .zeros([3, 2])
    let r = try Recommender(model: model, ensemble: [p], training: training, scale: RatingScale(minimum: 1, maximum: 5))
    let predictions = r.predict(users: [0, 1, 2, 0, -1], items: [2, 0, 0, 3, 0])
    #expect(predictions == [5, 1, 3, 3, 3])
}

@Test("ranking metrics on a hand-made case")
func rankingMetricsHandMade() {
    var m = RankingMetrics(cutoff: 2)
    m.add(ranked: [5, 7], relevant: [7, 9])      // one hit at position 2
    m.add(ranked: [1, 2], relevant: [1])          // one hit at position 1
    #expect(abs(m.precision - 0.5) < 1e-12)
    #expect(abs(m.recall - (0.5 + 1) / 2) < 1e-12)
    let ndcg1 = (1 / log2(3.0)) / (1 + 1 / log2(3.0))
    #expect(abs(m.ndcg - (ndcg1 + 1) / 2) < 1e-12)
    #expect(m.users == 2)
}

@Test("confidence interval of repeated runs")
func confidenceInterval() {
    let (mean, half) = meanAndConfidence95([0.88, 0.89, 0.90, 0.87, 0.91])
    #expect(abs(mean - 0.89) < 1e-12)
    // s = 0.015811, t(4) = 2.776 → 2.776 · 0.015811 / √5.
    #expect(abs(half - 2.776 * 0.0158113883 / 5.0.squareRoot()) < 1e-6)
}

@Test("a model file round-trips and reproduces predictions; corrupt files are rejected")
func modelFileRoundTrip() throws {
    let split = smallSplit()
    var options = quickOptions()
    options.ensembleSize = 2
    let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: options).fit(split.train, scale: split.scale)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("autorec-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("model.safetensors").path
    try ModelFile(recommender: fit.recommender, optimizerState: fit.optimizerState, info: ["split_seed": "3"]).write(to: path)
    let loaded = try ModelFile(contentsOf: path)
    let state = try #require(loaded.optimizerState)
    #expect(state.names == fit.optimizerState.names && state.tensors == fit.optimizerState.tensors)
    #expect(state.names.contains("encoder.weight/stepSize"))
    #expect(loaded.recommender.ensemble == fit.recommender.ensemble)
    #expect(loaded.recommender.ensemble.count == 2)
    #expect(loaded.info["split_seed"] == "3")
    #expect(loaded.recommender.evaluate(split.test) == fit.recommender.evaluate(split.test))

    // Truncated.
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let truncated = directory.appendingPathComponent("truncated.safetensors").path
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
    #expect(throws: CheckpointError.self) { try ModelFile(contentsOf: truncated) }
    // Not ours: a valid safetensors file without our metadata.
    let foreign = directory.appendingPathComponent("foreign.safetensors")
    var other = SafeTensors(metadata: ["format": "pt"])
    try other.add("weight", [Float](repeating: 1, count: 4), shape: [2, 2])
    try other.write(to: foreign)
    #expect { try ModelFile(contentsOf: foreign.path) } throws: { "\($0)".contains("not an autorec model file") }
    // A parameter of the wrong shape: rewrite the file with a smaller encoder.
    var wrong = try SafeTensors(contentsOf: URL(fileURLWithPath: path))
    let w = wrong.remove(named: "encoder.weight")!
    try wrong.add("encoder.weight", [Float](repeating: 0, count: 8), shape: [1, 8])
    _ = w
    let wrongPath = directory.appendingPathComponent("wrong.safetensors")
    try wrong.write(to: wrongPath)
    #expect { try ModelFile(contentsOf: wrongPath.path) } throws: {
        "\($0)".contains("'encoder.weight' has shape [1, 8] but the graph needs")
    }
}

@Test("a blended model of weight 0 is not saved (prediction skips it); a file with optimizer state still loads in evaluate")
func modelFileLeavesOutUnusedParts() throws {
    let split = smallSplit()
    var options = quickOptions()
    options.maxEpochs = 5
    let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: options).fit(split.train, scale: split.scale)
    let r = fit.recommender
    var user = AutoRecConfiguration(hidden: [8])
    user.kind = .user
    let userModel = try AutoRec(configuration: user, inputSize: split.train.itemCount)
    let unused = BlendComponent(model: userModel, ensemble: [userModel.graph.initialParameters(seed: 1)], weight: 0)
    let blended = try Recommender(model: r.model, ensemble: r.ensemble, training: r.training, scale: r.scale, blend: [unused])
    let dir = try TemporaryDirectory()
    let withUnused = dir.path + "/blend.safetensors", plain = dir.path + "/plain.safetensors"
    try ModelFile(recommender: blended, info: ["split_seed": "3"]).write(to: withUnused)
    try ModelFile(recommender: r, info: ["split_seed": "3"]).write(to: plain)
    let loaded = try ModelFile(contentsOf: withUnused)
    #expect(loaded.recommender.blend.isEmpty)
    #expect(loaded.recommender.evaluate(split.test) == blended.evaluate(split.test))
    #expect(try Data(contentsOf: URL(fileURLWithPath: withUnused)) == Data(contentsOf: URL(fileURLWithPath: plain)))
    // Files written before --save dropped the optimizer state (as the library still can) load
    // and evaluate as before.
    let old = dir.path + "/old.safetensors"
    try ModelFile(recommender: r, optimizerState: fit.optimizerState, info: ["split_seed": "3", "split": "random",
                                                                              "synthetic": "60x80x2400", "synthetic_seed": "3",
                                                                              "test_fraction": "0.1"]).write(to: old)
    let e = runAutoRec(["evaluate", "--load", old, "--synthetic", "60x80x2400"])
    #expect(e.status == 0, "stderr: \(e.err)")
    #expect(e.out.contains(String(format: "test RMSE: %.4f", r.evaluate(split.test).rmse)), "stdout: \(e.out)")
}
