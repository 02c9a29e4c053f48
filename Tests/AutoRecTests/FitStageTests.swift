import Testing
import TapeGrad
import TapeGradLayers
@testable import AutoRec

// The stages of AutoRecFitter, each on its own: the validation split, the prediction type's
// order, the λ search and the λ average.

@Test("ValidationSplit: the split RatingSplit.random makes with the fit's fraction and seed, warm pairs from its training share")
func validationSplitIsTheSeededHoldout() throws {
    let training = smallSplit().train
    var options = quickOptions()
    options.seed = 7
    let validation = try ValidationSplit(training, options: options, scale: RatingScale(minimum: 1, maximum: 5))
    let expected = RatingSplit.random(training, testFraction: options.validationFraction, seed: 7)
    #expect(validation.ratings.train.userIndices == expected.train.userIndices)
    #expect(validation.ratings.train.itemIndices == expected.train.itemIndices)
    #expect(validation.ratings.test.values == expected.test.values)
    #expect(validation.ratings.test.count == RatingSplit.heldOutCount(of: training.count, fraction: 0.1))
    let warm = WarmPairs(users: expected.test.userIndices, items: expected.test.itemIndices,
                         ratingsPerUser: expected.train.ratingsPerUser(), ratingsPerItem: expected.train.ratingsPerItem())
    #expect(validation.pairs.indices == warm.indices)
    // Made again from the same ratings and seed: the same split (the blend members rely on it).
    let again = try ValidationSplit(training, options: options, scale: validation.scale)
    #expect(again.ratings.test.userIndices == validation.ratings.test.userIndices)

    let few = RatingSet(unchecked: training.users, items: training.items, userIndices: [0, 1], itemIndices: [0, 1],
                        values: [3, 4], duplicatesRemoved: 0)
    #expect(throws: FitError.self) { try ValidationSplit(few, options: options, scale: validation.scale) }
}

@Test("WarmPredictions: in warm order whatever the model's kind; mean and blend are elementwise")
func warmPredictionOrder() throws {
    let training = smallSplit().train
    // Pairs in a scrambled order, with a cold one (-1) in the middle.
    let users: [Int32] = [5, 0, -1, 17, 3, 5], items: [Int32] = [2, 40, 1, 9, 0, 3]
    let perUser = training.ratingsPerUser(), perItem = training.ratingsPerItem()
    for kind in AutoRecKind.allCases {
        let inputs = InstanceMatrix(training, kind: kind, centering: .instance)
        let model = try AutoRec(configuration: AutoRecConfiguration(kind: kind, hidden: [4]), inputSize: inputs.matrix.columns)
        let parameters: Parameters<Float> = model.graph.initialParameters(seed: 1)
        let query = PairQuery(users: users, items: items, ratingsPerUser: perUser, ratingsPerItem: perItem, inputs: inputs)
        let all = query.predictions(model: model, ensemble: [parameters], inputs: inputs)
        #expect(query.pairs.indices == [0, 1, 3, 4, 5])
        #expect(all.count == 5)
        // Each warm pair asked alone gives the value at its place in warm order.
        for (k, pair) in query.pairs.indices.enumerated() {
            let single = PairQuery(users: [users[pair]], items: [items[pair]], ratingsPerUser: perUser, ratingsPerItem: perItem,
                                   inputs: inputs).predictions(model: model, ensemble: [parameters], inputs: inputs)
            #expect(single.values == [all.values[k]], "\(kind) pair \(pair)")
        }
    }
    let a = WarmPredictions([1, 2, 3]), b = WarmPredictions([3, 4, 8])
    #expect(WarmPredictions.mean([a, b]) == WarmPredictions([2, 3, 5.5]))
    #expect(WarmPredictions.blend([a, b], weights: [0.25]) == WarmPredictions([1.5, 2.5, 4.25]))
    #expect(WarmPredictions.blend([a, b], weights: [0]) == a)
}

@Test("λ search: fixed candidates in order, the best by validation RMSE, each trial's predictions score its RMSE")
func lambdaSearchStage() throws {
    let training = smallSplit().train
    var options = quickOptions()
    options.maxEpochs = 15
    let configuration = AutoRecConfiguration(hidden: [6])
    let validation = try ValidationSplit(training, options: options, scale: RatingScale(minimum: 1, maximum: 5))
    let query = validation.query(kind: configuration.kind, centering: configuration.centering)
    let run = TrainingRun(configuration: configuration, options: options)
    let search = try LambdaSearch(run: run, plan: .fixed([30, 0.3]))(query) { _ in true }
    #expect(search.trials.map(\.lambda) == [30, 0.3])
    #expect(search.runs == 2)
    #expect(search.best.validationRMSE == search.trials.map(\.validationRMSE).min())
    #expect(search.chosen.result.bestValidation == search.best.validationRMSE, "the chosen run is the best trial's")
    for (trial, predictions) in zip(search.trials, search.predictions) {
        #expect(predictions.count == validation.pairs.indices.count)
        #expect(abs(validation.rmse(predictions) - trial.validationRMSE) < 1e-12, "λ \(trial.lambda)")
    }

    // Automatic: the start, then the bisection around the best (×/÷ 10^½, 10^¼, 10^⅛).
    let automatic = try LambdaSearch(run: run, plan: .automatic(start: [3]))(query) { _ in true }
    #expect(automatic.trials.first?.lambda == 3)
    #expect(automatic.trials.count == automatic.runs && (3...7).contains(automatic.runs))
    #expect(Set(automatic.trials.map(\.lambda)).count == automatic.trials.count, "no λ is tried twice")
    let f = AutoRecFitter.refinementFactors[0]
    #expect(automatic.trials.count >= 3 && abs(automatic.trials[1].lambda - 3 / f) < 1e-12 && abs(automatic.trials[2].lambda - 3 * f) < 1e-12)

    // The λ average on this search: n = 1 is the best trial alone; its predictions are the mean
    // of the chosen trials'.
    let average = LambdaAverage(limit: 2, chooses: true)(search, validation: validation)
    #expect(average.validationRMSE.count == 2)
    #expect(abs(average.validationRMSE[0] - search.best.validationRMSE) < 1e-12)
    #expect(average.trials.count == average.validationRMSE.indices.min { average.validationRMSE[$0] < average.validationRMSE[$1] }! + 1)
    #expect(average.trials[0].lambda == search.best.lambda)
    let single = LambdaAverage(limit: 2, chooses: false)(search, validation: validation)
    #expect(single.trials.map(\.lambda) == [search.best.lambda])
    #expect(single.predictions == search.predictions[search.trials.firstIndex { $0.lambda == search.best.lambda }!])
}
