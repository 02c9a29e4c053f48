import Foundation
import Testing
import TapeGrad
import TapeGradLayers
import TapeGradCheck
@testable import AutoRec
@testable import AutoRecCLI

// The rating-regression harness with models written directly on the tape (the model zoo's
// layer graphs are tested in ModelZooTests). Small synthetic data: every test runs in a second.

/// Biased matrix factorisation on plain tape ops: r̂ = pᵤ·qᵢ + bᵤ + bᵢ + μ.
struct TapeMatrixFactorization: RatingModel {
    let users: Int, items: Int, factors: Int
    let mean: Double
    var input: RatingModelInput { .pairs }
    var description: String { "tape MF, \(factors) factors" }

    init(_ ratings: RatingSet, factors: Int = 4) {
        users = ratings.userCount
        items = ratings.itemCount
        self.factors = factors
        mean = ratings.mean
    }

    func initialParameters<Scalar: TensorScalar>(seed: UInt64) -> Parameters<Scalar> {
        var g = SplitMix64(seed: seed)
        return Parameters([("user", .normal([users, factors], standardDeviation: 0.1, generator: &g)),
                           ("item", .normal([items, factors], standardDeviation: 0.1, generator: &g)),
                           ("userBias", .zeros([users])), ("itemBias", .zeros([items])),
                           ("global", Tensor([Scalar(mean)]))],
                          regularized: [true, true, false, false, false])
    }

    func predictions<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters p: [Variable<Scalar>],
                                           context: ForwardContext<Scalar>) -> Variable<Scalar> {
        let dot = (gather(p[0], at: batch.users) * gather(p[1], at: batch.items)).sum(alongAxis: 1)
        return dot + gather(p[2], at: batch.users) + gather(p[3], at: batch.items)
            + gather(p[4], at: [Int32](repeating: 0, count: batch.count))
    }
}

/// A small AutoRec on plain tape ops: h = sigmoid(r·V + μ), r̂ = h·Wᵀ + b at the queried entries.
struct TapeAutoRec: RatingModel {
    let axis: RatingAxis
    let inputs: Int, hidden: Int
    var input: RatingModelInput { .rows(axis) }
    var description: String { "tape AutoRec, \(hidden) hidden" }

    init(_ ratings: RatingSet, axis: RatingAxis, hidden: Int = 6) {
        self.axis = axis
        inputs = axis == .user ? ratings.itemCount : ratings.userCount
        self.hidden = hidden
    }

    func initialParameters<Scalar: TensorScalar>(seed: UInt64) -> Parameters<Scalar> {
        var g = SplitMix64(seed: seed)
        return Parameters([("V", Initializer.glorotUniform.make([inputs, hidden], generator: &g)), ("mu", .zeros([hidden])),
                           ("W", Initializer.glorotUniform.make([inputs, hidden], generator: &g)), ("b", Tensor(repeating: 3, shape: [inputs]))],
                          regularized: [true, false, true, false])
    }

    func predictions<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters p: [Variable<Scalar>],
                                           context: ForwardContext<Scalar>) -> Variable<Scalar> {
        let h = sigmoid(matmul(batch.rows!, p[0]) + p[1])
        return sampledMatmul(h, p[2], transposeB: true, at: batch.pattern!) + gather(p[3], at: batch.pattern!.columnIndices)
    }
}

/// Predicts 1000·user + item from the query itself: shows where each prediction lands.
struct ProbeModel: RatingModel {
    let input: RatingModelInput
    var description: String { "probe" }
    func initialParameters<Scalar: TensorScalar>(seed: UInt64) -> Parameters<Scalar> { Parameters() }
    func predictions<Scalar: TensorScalar>(_ batch: RatingBatch<Scalar>, parameters: [Variable<Scalar>],
                                           context: ForwardContext<Scalar>) -> Variable<Scalar> {
        context.tape.variable(Tensor(zip(batch.users, batch.items).map { Scalar(1000 * Int($0) + Int($1)) }))
    }
}

/// Synthetic ratings split 80/20, the same every time.
let regressionSplit = RatingSplit.random(SyntheticRatings.generate(users: 40, items: 50, ratings: 1200, seed: 7),
                                         testFraction: 0.2, seed: 3)

/// (user, item, rating) of every query of a list of batches, sorted.
func batchTriples<Scalar>(_ batches: [RatingBatch<Scalar>]) -> [[Double]] {
    batches.flatMap { b in (0..<b.count).map { [Double(b.users[$0]), Double(b.items[$0]), Double(b.targets[$0])] } }
        .sorted { $0.lexicographicallyPrecedes($1) }
}

/// (user, item, rating) of every rating of a set, sorted.
func setTriples(_ set: RatingSet) -> [[Double]] {
    (0..<set.count).map { [Double(set.userIndices[$0]), Double(set.itemIndices[$0]), Double(set.values[$0])] }
        .sorted { $0.lexicographicallyPrecedes($1) }
}

@Test("an epoch's batches hold every training rating once, in a seeded order",
      arguments: [RatingModelInput.pairs, .rows(.user), .rows(.item)])
func epochBatchesCoverTheRatings(input: RatingModelInput) {
    let data = RatingBatches<Double>(regressionSplit.train, input: input)
    let batches = data.training(size: 7, seed: 1, epoch: 1)
    #expect(batchTriples(batches) == setTriples(regressionSplit.train))
    #expect(batches.allSatisfy { $0.count > 0 })
    let again = data.training(size: 7, seed: 1, epoch: 1), next = data.training(size: 7, seed: 1, epoch: 2)
    #expect(again.map(\.users) == batches.map(\.users))
    #expect(next.map(\.users) != batches.map(\.users))
    if case .rows(let axis) = input {
        for b in batches {
            // A row batch's input rows are the instances' training ratings, and its queries are them.
            #expect(b.rows!.rowPointers == b.pattern!.rowPointers && b.rows!.values == b.targets)
            let owners = axis == .user ? b.users : b.items
            #expect(Set(owners).isSubset(of: Set(b.instances)))
        }
    }
}

@Test("predictions come back in the caller's order, cold pairs get the default, values are clipped",
      arguments: [RatingModelInput.pairs, .rows(.user), .rows(.item)])
func predictionsInCallerOrder(input: RatingModelInput) {
    let train = regressionSplit.train
    let predictor = RatingPredictor(model: ProbeModel(input: input), parameters: Parameters(),
                                    training: RatingBatches(train, input: input), scale: RatingScale(minimum: 0, maximum: 1e9))
    let test = regressionSplit.test
    let (predictions, pairs) = predictor.predict(users: test.userIndices, items: test.itemIndices)
    let warm = WarmPairs(users: test.userIndices, items: test.itemIndices,
                         ratingsPerUser: train.ratingsPerUser(), ratingsPerItem: train.ratingsPerItem())
    #expect(pairs.indices == warm.indices)
    for k in 0..<test.count {
        let expected = warm.indices.contains(k) ? Float(1000 * Int(test.userIndices[k]) + Int(test.itemIndices[k])) : Float(0.5e9)
        #expect(predictions[k] == expected, "query \(k)")
    }
    // Clipping to 1...5: every warm probe value is above 5.
    let clipped = RatingPredictor(model: ProbeModel(input: input), parameters: Parameters(),
                                  training: RatingBatches(train, input: input), scale: RatingScale(minimum: 1, maximum: 5))
        .predict(users: test.userIndices, items: test.itemIndices).predictions
    #expect(Set(clipped).isSubset(of: [5, 3]))
}

@Test("WarmPairs: unknown and rating-less users and items are cold")
func warmPairs() {
    let pairs = WarmPairs(users: [0, 1, -1, 0, 2], items: [0, 0, 0, 1, 0], ratingsPerUser: [2, 0, 1], ratingsPerItem: [3, 1])
    #expect(pairs.indices == [0, 3, 4])
    #expect(pairs.coldCount == 2)
    #expect(pairs.finish(WarmPredictions([7, 0, 2.5]), scale: RatingScale(minimum: 1, maximum: 5)) == [5, 3, 3, 1, 2.5])
}

@Test("whole models on the tape pass a directional gradient check of the training objective (Double)",
      arguments: [RatingModelInput.pairs, .rows(.user), .rows(.item)])
func objectiveGradientCheck(input: RatingModelInput) {
    let train = regressionSplit.train
    let model: any RatingModel = input == .pairs ? TapeMatrixFactorization(train) : TapeAutoRec(train, axis: input == .rows(.user) ? .user : .item)
    let parameters: Parameters<Double> = model.initialParameters(seed: 5)
    let batch = RatingBatches<Double>(train, input: input).training(size: 9, seed: 2, epoch: 1)[0]
    let report = GradientCheck.run("\(model)", at: parameters.tensors, mode: .directional(samples: 6)) { tape, variables in
        model.objective(batch, variables: variables, of: parameters, lambda: 3, share: 0.1,
                        context: ForwardContext(tape: tape, isTraining: true))
    }
    #expect(report.passed, "\(report)")
}

@Test("the objective adds λ/2 · share · Σ‖W‖² over the regularised parameters only")
func objectivePenalty() {
    let train = regressionSplit.train
    let model = TapeMatrixFactorization(train)
    let parameters: Parameters<Double> = model.initialParameters(seed: 5)
    let batch = RatingBatches<Double>(train, input: .pairs).training(size: 9, seed: 2, epoch: 1)[0]
    let plain = model.objective(batch, parameters: parameters, lambda: 0, share: 0.25).loss
    let penalised = model.objective(batch, parameters: parameters, lambda: 4, share: 0.25).loss
    let weights = parameters["user"]!.sumOfSquares() + parameters["item"]!.sumOfSquares()
    #expect(abs(penalised - plain - 4 / 2 * 0.25 * weights) < 1e-9)
}

@Test("fitting chooses λ and the epoch on validation and beats the mean rating",
      arguments: [RatingModelInput.pairs, .rows(.user)])
func fitBeatsTheMean(input: RatingModelInput) throws {
    var options = RatingRegressionOptions()
    options.lambdas = [0.1, 10]
    options.maxEpochs = 30
    options.patience = 5
    options.learningRate = input == .pairs ? 0.05 : 0.02
    options.batchSize = input == .pairs ? 64 : 8
    var seen = [FitProgress]()
    let fit = try RatingRegression(options: options) { set -> any RatingModel in
        input == .pairs ? TapeMatrixFactorization(set) : TapeAutoRec(set, axis: .user)
    }.fit(regressionSplit.train, scale: regressionSplit.scale) { seen.append($0); return true }
    #expect(fit.trials.map(\.lambda) == [0.1, 10])
    #expect(fit.lambda == fit.trials.min { $0.validationRMSE < $1.validationRMSE }!.lambda)
    #expect(fit.validationRMSE == fit.trials.map(\.validationRMSE).min())
    #expect(fit.searchRatings.validation == Int((0.1 * Double(regressionSplit.train.count)).rounded()))
    // The refit trains on all training ratings for the chosen run's best epoch count.
    #expect(fit.epochs == fit.trials.first { $0.lambda == fit.lambda }!.bestEpoch)
    #expect(fit.predictor.training.ratings.count == regressionSplit.train.count)
    #expect(seen.contains { $0.phase == "final" } && seen.contains { $0.phase == "λ search" })
    let test = fit.predictor.evaluate(regressionSplit.test)
    let mean = Float(regressionSplit.train.mean)
    let baseline = RatingMetrics(predictions: regressionSplit.test.values.map { _ in mean }, targets: regressionSplit.test.values)
    #expect(test.rmse < baseline.rmse, "test RMSE \(test.rmse), mean rating's \(baseline.rmse)")
}

@Test("a diverging learning rate is reported as an error naming the run")
func divergenceIsAnError() {
    var options = RatingRegressionOptions()
    options.lambdas = [1]
    options.learningRate = 1e30
    options.maxEpochs = 3
    #expect(throws: FitError.self) {
        try RatingRegression(options: options) { TapeMatrixFactorization($0) }.fit(regressionSplit.train, scale: regressionSplit.scale)
    }
}

// MARK: - The zoo's command line

/// Runs a zoo command in-process and returns (status, stdout, stderr).
func runZooCommand(_ arguments: [String], model: @escaping RatingRegression.ModelFactory = { TapeMatrixFactorization($0) },
                   dataSearch: (directory: String, environment: [String: String])? = nil) -> (status: Int32, out: String, err: String) {
    var options = RatingRegressionOptions()
    options.lambdas = [1]
    options.maxEpochs = 3
    options.learningRate = 0.05
    var command = RatingModelCommand(name: "tape-mf", summary: "Biased matrix factorisation on tape ops.",
                                     hyperparameters: ["factors": 4], options: options, model: model)
    if let dataSearch {
        command.workingDirectory = dataSearch.directory
        command.environment = dataSearch.environment
    }
    let capture = CapturedConsole()
    let status = command.run(arguments, console: capture.console)
    return (status, capture.out, capture.err)
}

/// Writes a rating set as a tab-separated ratings file (raw ids).
func writeRatings(_ set: RatingSet, to path: String) throws {
    let lines = (0..<set.count).map { k in
        "\(set.users.rawId(at: Int(set.userIndices[k])))\t\(set.items.rawId(at: Int(set.itemIndices[k])))\t\(Int(set.values[k]))\t0"
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

@Test("zoo command: usage errors exit with status 2 naming the flag", arguments: [
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["--train", "a.txt"], "--train and --test go together"),
    (["--epochs", "0"], "--epochs: '0' is not a whole number"),
    (["--lambda", "1,x"], "--lambda: '1,x' is not a number"),
    (["--seed"], "--seed needs a value"),
    (["extra"], "unexpected argument 'extra'"),
])
func zooUsageErrors(arguments: [String], message: String) {
    let (status, out, err) = runZooCommand(arguments)
    #expect(status == 2)
    #expect(err.hasPrefix("tape-mf: ") && err.contains(message), "stderr was: \(err)")
    #expect(out.isEmpty)
}

@Test("zoo command: a missing file is a data error (status 1) naming the file")
func zooMissingFile() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("missing.base").path
    let (status, _, err) = runZooCommand(["--train", missing, "--test", missing])
    #expect(status == 1)
    #expect(err.contains("missing.base"), "stderr was: \(err)")
}

@Test("zoo command: trains, prints the test RMSE and writes the metrics file")
func zooRunsAndWritesMetrics() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let train = dir.appendingPathComponent("train.tsv").path, test = dir.appendingPathComponent("test.tsv").path
    let metrics = dir.appendingPathComponent("metrics.json").path
    try writeRatings(regressionSplit.train, to: train)
    try writeRatings(regressionSplit.test, to: test)
    let (status, out, err) = runZooCommand(["--train", train, "--test", test, "--seed", "4", "--metrics-json", metrics])
    #expect(status == 0, "stderr was: \(err)")
    #expect(out.contains("tape MF, 4 factors") && out.contains("test RMSE: "), "stdout was: \(out)")
    #expect(err.contains("epoch 1/3"), "progress goes to stderr: \(err)")
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as! [String: Any]
    let rmse = try #require(json["test_rmse"] as? Double)
    #expect(out.contains(String(format: "test RMSE: %.4f", rmse)))
    #expect(json["validation_rmse"] is Double && json["lambda"] as? Double == 1)
    let hyperparameters = try #require(json["hyperparameters"] as? [String: Any])
    #expect(hyperparameters["seed"] as? Int == 4 && hyperparameters["factors"] as? Double == 4)
    #expect((json["ratings"] as? [String: Int])?["test"] == regressionSplit.test.count)
    #expect(json["train_seconds"] is Double && json["total_seconds"] is Double)
}

@Test("zoo command: without data flags it reads u1 from $TAPEGRAD_DATA, or says where to put MovieLens")
func zooDefaultData() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(DataDirectory.movieLens100K(base: dir.path, environment: [:]) == nil)
    #expect(DataDirectory.movieLens100K(base: dir.path, environment: ["TAPEGRAD_DATA": dir.path]) == nil)
    let ml = dir.appendingPathComponent("ml-100k")
    try FileManager.default.createDirectory(at: ml, withIntermediateDirectories: true)
    try "1\t1\t3\t0\n".write(to: ml.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
    #expect(DataDirectory.movieLens100K(base: dir.path, environment: ["TAPEGRAD_DATA": dir.path]) == ml.path)
    #expect(DataDirectory.movieLens100K(base: dir.path, environment: ["TAPEGRAD_DATA": ml.path]) == ml.path)
}

@Test("zoo command: without data flags and without MovieLens, a message says where to put it (status 1)")
func zooNoData() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (status, out, err) = runZooCommand([], dataSearch: (dir.path, [:]))
    #expect(status == 1)
    #expect(err.contains("no data: give --train FILE --test FILE") && err.contains("TAPEGRAD_DATA"), "stderr was: \(err)")
    #expect(out.isEmpty)
}
