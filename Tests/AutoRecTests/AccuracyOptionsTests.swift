import Foundation
import Testing
import TapeGrad
import TapeGradLayers
@testable import AutoRec
import TapeGradFormats

// The accuracy options of the fitter and the model: the λ average, the I+U blend, input
// centering and input dropout. Each is chosen on validation ratings or is a switch; these tests
// check that the choice is what validation says, that it can only match or beat the baseline it
// starts from on validation, and that model files reproduce it.

@Test("λ average: the number of models is the validation minimum; one refit per averaged λ; n = 1 is the best λ alone")
func lambdaAverageChosenOnValidation() throws {
    let split = smallSplit()
    var options = quickOptions(lambdas: [0.3, 3, 30])
    options.lambdaAverage = 3
    let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: options).fit(split.train, scale: split.scale)
    #expect(fit.averageValidationRMSE.count == 3)
    let n = fit.averagedLambdas.count
    #expect(fit.averageValidationRMSE[n - 1] == fit.averageValidationRMSE.min())
    // The average of one model is the best λ's own validation RMSE, so the average never loses there.
    #expect(abs(fit.averageValidationRMSE[0] - fit.validationRMSE) < 1e-9)
    #expect(fit.averagedLambdas[0] == fit.lambda)
    #expect(fit.recommender.ensemble.count == n)
    let order = fit.trials.sorted { $0.validationRMSE < $1.validationRMSE }.map(\.lambda)
    #expect(fit.averagedLambdas == Array(order.prefix(n)))

    options.lambdaAverage = 1
    let single = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: options).fit(split.train, scale: split.scale)
    #expect(single.averagedLambdas == [single.lambda] && single.recommender.ensemble.count == 1)
}

@Test("blend weight grid: every vector over the simplex in steps of 0.05, all zeros first")
func blendWeightGrid() {
    let one = AutoRecFitter.blendWeightVectors(members: 1)
    #expect(one.map { $0[0] } == AutoRecFitter.blendWeights)
    let two = AutoRecFitter.blendWeightVectors(members: 2)
    #expect(two.count == 231, "C(22, 2) vectors of two weights in steps of 1/20 summing to at most 1")
    #expect(two.first == [0, 0])
    #expect(two.allSatisfy { (w: [Double]) -> Bool in w.allSatisfy { $0 >= 0 } && w.reduce(0, +) <= 1 + 1e-12 })
    let steps: [[Int]] = two.map { (w: [Double]) -> [Int] in w.map { Int(($0 * 20).rounded()) } }
    #expect(Set(steps).count == 231)
    for member: [Double] in [[0.3, 0.35], [1, 0], [0, 1]] { #expect(two.contains(member), "\(member)") }
    #expect(!two.contains([0.6, 0.45]))
}

@Test("stack blend: U-AutoRec and a denoising I-AutoRec, weights chosen on validation (all zero included); mixes before clipping")
func blendChosenOnValidation() throws {
    let split = smallSplit()
    var options = quickOptions()
    options.blend = true
    options.denoisingMember = 0.1
    #expect(FitOptions().blend && FitOptions().denoisingMember == 0.25, "the defaults: I+U and a denoising member")
    let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: options).fit(split.train, scale: split.scale)
    let blend = try #require(fit.blend)
    #expect(blend.members.count == 2)
    #expect(blend.trials.map(\.weights) == AutoRecFitter.blendWeightVectors(members: 2))
    let alone = blend.aloneValidationRMSE
    #expect(abs(alone - fit.averageValidationRMSE.min()!) < 1e-6, "all weights 0 is the item model's own validation RMSE")
    #expect(blend.validationRMSE == blend.trials.map(\.validationRMSE).min())
    #expect(blend.validationRMSE <= alone)
    let (user, denoising) = (blend.members[0].fit.recommender.model.configuration, blend.members[1].fit.recommender.model.configuration)
    #expect(user.kind == .user && user.inputDropout == 0)
    #expect(denoising.kind == .item && denoising.inputDropout == 0.1)
    #expect(blend.members[1].fit.trials.map(\.lambda) == fit.averagedLambdas, "the denoising member takes the main model's λ average")
    #expect(fit.recommender.blend.map(\.weight) == blend.weights.map { Float($0) })
    // The stored blend predicts exactly what validation chose: its validation RMSE matches.
    let validation = try ValidationSplit(split.train, options: options, scale: split.scale)
    let chosen = WarmPredictions.blend([fit.validationPredictions] + blend.members.map(\.fit.validationPredictions),
                                       weights: blend.weights.map { Float($0) })
    #expect(abs(validation.rmse(chosen) - blend.validationRMSE) < 1e-12)

    // Without the denoising member: the I+U blend, one weight.
    options.denoisingMember = 0
    let pair = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: options).fit(split.train, scale: split.scale)
    #expect(pair.blend?.members.count == 1 && pair.blend?.trials.count == AutoRecFitter.blendWeights.count)
    options.blend = false
    #expect(try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: options).fit(split.train, scale: split.scale).blend == nil)

    // On a scale too wide to clip, weights (0.25, 0.15) predict 0.6·item + 0.25·user + 0.15·denoising exactly.
    let wide = RatingScale(minimum: -100, maximum: 100)
    let models = [fit.recommender] + blend.members.map(\.fit.recommender)
    let alones = try models.map { try Recommender(model: $0.model, ensemble: $0.ensemble, training: split.train, scale: wide) }
    let mixed = try Recommender(model: models[0].model, ensemble: models[0].ensemble, training: split.train, scale: wide,
                                blend: [BlendComponent(model: models[1].model, ensemble: models[1].ensemble, weight: 0.25),
                                        BlendComponent(model: models[2].model, ensemble: models[2].ensemble, weight: 0.15)])
    let p = alones.map { $0.predict(users: split.test.userIndices, items: split.test.itemIndices) }
    let pm = mixed.predict(users: split.test.userIndices, items: split.test.itemIndices)
    for k in pm.indices { #expect(abs(pm[k] - (0.6 * p[0][k] + 0.25 * p[1][k] + 0.15 * p[2][k])) < 1e-4) }
    #expect(p[0] != p[1] && p[0] != p[2])
    #expect(throws: GraphError.self) {
        _ = try Recommender(model: models[0].model, ensemble: models[0].ensemble, training: split.train, scale: wide,
                            blend: [BlendComponent(model: models[1].model, ensemble: models[1].ensemble, weight: 0.6),
                                    BlendComponent(model: models[2].model, ensemble: models[2].ensemble, weight: 0.5)])
    }
}

@Test("the blend's other kind searches λ from the main model's λ: the same bisection without the coarse grid")
func blendOtherKindLambdaSearch() throws {
    let split = smallSplit()
    var options = quickOptions()
    options.lambdas = nil
    options.maxEpochs = 4
    options.patience = 2
    options.blend = true
    let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [8]), options: options).fit(split.train, scale: split.scale)
    #expect(fit.trials.count > 7, "the main model's automatic search starts from the coarse grid")
    let user = try #require(fit.blend?.members.first?.fit)
    #expect(user.trials.first?.lambda == fit.lambda)
    #expect(user.trials.count <= 1 + 2 * AutoRecFitter.refinementFactors.count)
    // At most 10^±⅞ around the main λ: the decades 1 and 1000 are never both tried.
    let gridTried = AutoRecFitter.coarseGrid.filter { g in user.trials.contains { abs($0.lambda / g - 1) < 1e-9 } }
    #expect(gridTried.count < 3)
    #expect(user.trials.allSatisfy { abs(log10($0.lambda / fit.lambda)) < 0.876 })
}

@Test("a stacked, λ-averaged model file round-trips and reproduces the test metrics")
func blendModelFileRoundTrip() throws {
    let split = smallSplit()
    var options = quickOptions(lambdas: [1, 3, 10])
    options.blend = true
    options.denoisingMember = 0.1
    options.lambdaAverage = 3
    var configuration = AutoRecConfiguration(hidden: [8])
    configuration.centering = .global
    let fit = try AutoRecFitter(configuration: configuration, options: options).fit(split.train, scale: split.scale)
    // Force non-trivial weights so every blend part of the file matters.
    let r = fit.recommender, members = try #require(fit.blend).members.map(\.fit.recommender)
    #expect(members.count == 2)
    let model = try Recommender(model: r.model, ensemble: r.ensemble, training: split.train, scale: split.scale,
                                blend: [BlendComponent(model: members[0].model, ensemble: members[0].ensemble + members[0].ensemble, weight: 0.35),
                                        BlendComponent(model: members[1].model, ensemble: members[1].ensemble, weight: 0.2)])
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("autorec-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("blend.safetensors").path
    try ModelFile(recommender: model, info: ["split_seed": "3"]).write(to: path)
    let loaded = try ModelFile(contentsOf: path).recommender
    #expect(loaded.model.configuration == model.model.configuration)
    #expect(loaded.model.configuration.centering == .global)
    #expect(loaded.ensemble == model.ensemble)
    #expect(loaded.blend.count == 2)
    for (a, b) in zip(loaded.blend, model.blend) {
        #expect(a.weight == b.weight && a.ensemble == b.ensemble && a.model.configuration == b.model.configuration)
    }
    #expect(loaded.blend[1].model.configuration.inputDropout == 0.1 && loaded.blend[0].ensemble.count == 2)
    #expect(loaded.evaluate(split.test) == model.evaluate(split.test))
    let withoutThird = try Recommender(model: r.model, ensemble: r.ensemble, training: split.train, scale: split.scale,
                                       blend: [model.blend[0]])
    #expect(loaded.evaluate(split.test) != withoutThird.evaluate(split.test), "the third member changes the predictions")

    // A corrupt blend weight is rejected with a message; so is a member's tensors without its metadata.
    var file = try SafeTensors(contentsOf: URL(fileURLWithPath: path))
    file.metadata["blend_weight_1"] = "1.5"
    let bad = directory.appendingPathComponent("bad.safetensors")
    try file.write(to: bad)
    #expect { try ModelFile(contentsOf: bad.path) } throws: { "\($0)".contains("blend configuration or weight_1") }
    file.metadata["blend_weight_1"] = nil
    file.metadata["blend_configuration_1"] = nil
    try file.write(to: bad)
    #expect { try ModelFile(contentsOf: bad.path) } throws: { "\($0)".contains("blend/member/1/") }
}

@Test("centering: the baseline is subtracted from inputs and targets and added back to the outputs")
func centeringOffsets() throws {
    let users = IdMap(rawIds: [10, 11, 12]), items = IdMap(rawIds: [20, 21])
    // Item 0: ratings 1 and 5 (mean 3); item 1: one rating 4. Global mean 10/3.
    let training = RatingSet(users: users, items: items, userIndices: [0, 1, 2], itemIndices: [0, 0, 1], values: [1, 5, 4])
    let mean = Float(10.0 / 3.0)
    let none = InstanceMatrix(training, kind: .item)
    #expect(none.matrix.values == [1, 5, 4] && none.offsets == [0, 0])
    let global = InstanceMatrix(training, kind: .item, centering: .global)
    #expect(global.offsets == [mean, mean])
    let centred: [Float] = [1.0, 5.0, 4.0].map { (r: Double) -> Float in Float(r - 10.0 / 3.0) }
    #expect(global.matrix.values == centred)
    let instance = InstanceMatrix(training, kind: .item, centering: .instance)
    let s = InstanceMatrix.shrinkage
    let expected = [Float((6 + s * 10 / 3) / (2 + s)), Float((4 + s * 10 / 3) / (1 + s))]
    for r in 0..<2 { #expect(abs(instance.offsets[r] - expected[r]) < 1e-6) }

    // A network that outputs 0 everywhere predicts the baseline.
    var configuration = AutoRecConfiguration(hidden: [2])
    configuration.centering = .instance
    let model = try AutoRec(configuration: configuration, inputSize: 3)
    var p: Parameters<Float> = model.graph.initialParameters(seed: 1)
    p["decoder.weight"] = .zeros([3, 2])
    p["decoder.bias"] = .zeros([3])
    let r = try Recommender(model: model, ensemble: [p], training: training, scale: RatingScale(minimum: 1, maximum: 5))
    let predictions = r.predict(users: [2, 0], items: [0, 1])
    #expect(abs(predictions[0] - expected[0]) < 1e-6 && abs(predictions[1] - expected[1]) < 1e-6)
}

@Test("input dropout: a Dropout layer on the sparse input, active in training only; fits and beats the global mean")
func inputDropout() throws {
    var configuration = AutoRecConfiguration(hidden: [16])
    configuration.inputDropout = 0.25
    let model = try AutoRec(configuration: configuration, inputSize: 60)
    #expect(model.graph.layers.first?.kind == "Dropout(0.25)")
    let plain = try AutoRec(configuration: AutoRecConfiguration(hidden: [16]), inputSize: 60)
    #expect(model.graph.parameterCount == plain.graph.parameterCount)
    #expect(throws: GraphError.self) {
        var bad = configuration
        bad.inputDropout = 1
        _ = try AutoRec(configuration: bad, inputSize: 60)
    }

    let split = smallSplit()
    let fit = try AutoRecFitter(configuration: configuration, options: quickOptions(lambdas: [1, 10])).fit(split.train, scale: split.scale)
    // Training draws masks, prediction does not: predicting twice gives the same values.
    let a = fit.recommender.predict(users: split.test.userIndices, items: split.test.itemIndices)
    #expect(a == fit.recommender.predict(users: split.test.userIndices, items: split.test.itemIndices))
    let baseline = RatingMetrics(predictions: Array(repeating: Float(split.train.mean), count: split.test.count), targets: split.test.values)
    #expect(fit.recommender.evaluate(split.test).rmse < 0.95 * baseline.rmse)
}

@Test("configurations saved before centering and input dropout existed decode as the paper's model")
func oldConfigurationDecodes() throws {
    let json = #"{"kind":"item","hidden":[500],"hiddenActivation":"sigmoid","outputActivation":"identity","lambda":100}"#
    let configuration = try JSONDecoder().decode(AutoRecConfiguration.self, from: Data(json.utf8))
    #expect(configuration.centering == .none && configuration.inputDropout == 0 && configuration.hiddenDropout == 0)
}
