import Foundation
import TapeGrad
import TapeGradLayers

/// A trained rating model with what prediction needs: its parameters, the training ratings
/// (the input rows of `.rows` models) and the rating scale. Predictions follow the protocol of
/// ``WarmPairs``: warm pairs are asked of the model and clipped, cold pairs get the default.
public struct RatingPredictor: Sendable {
    /// The model.
    public let model: any RatingModel
    /// Its trained parameters.
    public let parameters: Parameters<Float>
    /// The training ratings, arranged for the model.
    public let training: RatingBatches<Float>
    /// The clipping range.
    public let scale: RatingScale
    private let ratingsPerUser: [Int32]
    private let ratingsPerItem: [Int32]

    /// Queries per batch at prediction time (instances per batch for `.rows` models).
    public static let querySize = 4096

    /// Wraps a trained model; `training` must be the ratings it was trained on.
    public init(model: any RatingModel, parameters: Parameters<Float>, training: RatingBatches<Float>, scale: RatingScale) {
        self.model = model
        self.parameters = parameters
        self.training = training
        self.scale = scale
        ratingsPerUser = training.ratings.ratingsPerUser()
        ratingsPerItem = training.ratings.ratingsPerItem()
    }

    /// The reported predictions for user–item index pairs (indices of the training set's id
    /// maps; pairs distinct), and which pairs were cold.
    public func predict(users: [Int32], items: [Int32]) -> (predictions: [Float], pairs: WarmPairs) {
        let pairs = WarmPairs(users: users, items: items, ratingsPerUser: ratingsPerUser, ratingsPerItem: ratingsPerItem)
        let warmUsers = pairs.indices.map { users[$0] }, warmItems = pairs.indices.map { items[$0] }
        var values = [Float](repeating: 0, count: pairs.indices.count)
        for (batch, positions) in training.queries(users: warmUsers, items: warmItems,
                                                   size: model.input == .pairs ? Self.querySize : Self.querySize / 16) {
            for (p, v) in zip(positions, model.predict(batch, parameters: parameters)) { values[p] = v + training.offset }
        }
        return (pairs.finish(WarmPredictions(values), scale: scale), pairs)
    }

    /// RMSE and MAE on held-out ratings over the training set's id maps.
    public func evaluate(_ heldOut: RatingSet) -> RatingMetrics {
        let (predictions, pairs) = predict(users: heldOut.userIndices, items: heldOut.itemIndices)
        return RatingMetrics(predictions: predictions, targets: heldOut.values, coldCount: pairs.coldCount)
    }
}

/// How ``RatingRegression`` trains and what it chooses on validation.
public struct RatingRegressionOptions: Sendable {
    /// The λ candidates of the objective Σ (prediction − rating)² + λ/2 · P, P the model's
    /// penalty (Σ‖W‖² unless the model says otherwise; one value: fixed λ). The best on
    /// validation is chosen.
    public var lambdas: [Double] = [1, 10, 100]
    /// The most epochs a run takes.
    public var maxEpochs: Int = 40
    /// Early stopping: epochs without a better validation RMSE before a run stops.
    public var patience: Int = 4
    /// Ratings per mini-batch (`.pairs` models) or instances per mini-batch (`.rows` models).
    public var batchSize: Int = 256
    /// The optimizer: mini-batch Adam (the default) or SGD, or full-batch Rprop or L-BFGS
    /// (then ``batchSize`` is not used).
    public var optimizer: OptimizerChoice = .adam
    /// The optimizer's learning rate (Rprop: its initial step), nil for its default.
    public var learningRate: Double?
    /// Whether the model sees ratings minus the training mean (targets and input rows) and its
    /// predictions have the mean added back: a model then starts from the mean rather than
    /// from 0, which a small-step optimizer (Adam) would take epochs to climb.
    public var centered: Bool = false
    /// The share of training ratings held out for validation.
    public var validationFraction: Double = 0.1
    /// Seeds the validation split, the initial weights, the batch order and training noise.
    public var seed: UInt64 = 1
    /// After choosing λ and the epoch count on validation, train again on all training
    /// ratings for that many epochs; otherwise keep the early-stopped model of the search.
    public var refit: Bool = true

    /// The defaults; models set what suits them.
    public init() {}
}

/// A fitted rating model and how it was chosen.
public struct RatingRegressionFit: Sendable {
    /// The model, ready to predict.
    public var predictor: RatingPredictor
    /// The chosen λ.
    public var lambda: Double
    /// The epochs the returned model was trained for.
    public var epochs: Int
    /// The chosen λ's best validation RMSE.
    public var validationRMSE: Double
    /// Every λ tried, with its best validation RMSE and epoch.
    public var trials: [LambdaTrial]
    /// The chosen λ's run on the validation split.
    public var selectionHistory: [EpochRecord]
    /// The returned model's training history (the refit, or the selection run).
    public var history: [EpochRecord]
    /// Ratings trained on and held out during the search.
    public var searchRatings: (train: Int, validation: Int)
    /// Wall-clock seconds of the whole fit.
    public var trainSeconds: Double
    /// The median seconds of one epoch of the returned model's training.
    public var secondsPerEpoch: Double
    /// Why the returned model's training stopped.
    public var stopReason: StopReason
}

/// Trains a ``RatingModel`` on explicit ratings by the same protocol as AutoRec: λ and the
/// number of epochs are chosen on a validation share of the training ratings, the optimizer
/// (mini-batch Adam unless the model asks for another) minimises Σ (prediction − rating)² + λ/2 · P (the model's weight penalty P), and test
/// ratings are never seen here.
public struct RatingRegression: Sendable {
    /// Builds the model for a training set (its sizes; its mean, for a bias to start from).
    public typealias ModelFactory = @Sendable (RatingSet) throws -> any RatingModel

    /// Builds the model for the set it is trained on.
    public let makeModel: ModelFactory
    /// How to train.
    public var options: RatingRegressionOptions

    /// Creates a fitter.
    public init(options: RatingRegressionOptions = RatingRegressionOptions(), model makeModel: @escaping ModelFactory) {
        self.options = options
        self.makeModel = makeModel
    }

    /// Fits on `training` (held-out ratings never come here), reporting each epoch to
    /// `progress` (return false to stop a run).
    public func fit(_ training: RatingSet, scale: RatingScale,
                    progress: (FitProgress) -> Bool = { _ in true }) throws -> RatingRegressionFit {
        let start = DispatchTime.now().uptimeNanoseconds
        guard !options.lambdas.isEmpty, options.lambdas.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw FitError("the λ candidates must be finite and ≥ 0, got \(options.lambdas)")
        }
        // The split AutoRec's fitter carves for the same seed, so validation numbers compare.
        let holdout = RatingSplit.random(training, testFraction: options.validationFraction, seed: options.seed)
        guard holdout.train.count > 0, holdout.test.count > 0 else {
            throw FitError("\(training.count) training ratings are too few to hold out a validation share")
        }
        let searchModel = try makeModel(holdout.train)
        let searchData = RatingBatches<Float>(holdout.train, input: searchModel.input,
                                              offset: options.centered ? holdout.train.mean : 0)
        let runs = options.lambdas.count + (options.refit ? 1 : 0)
        var trials = [LambdaTrial]()
        var best: (trial: LambdaTrial, parameters: Parameters<Float>, result: TrainingResult)?
        for (k, lambda) in options.lambdas.enumerated() {
            let (parameters, result) = run(searchModel, on: searchData, lambda: lambda, epochs: options.maxEpochs,
                                           validation: holdout.test, scale: scale, phase: "λ search", number: k + 1,
                                           runs: runs, progress: progress)
            let trial = LambdaTrial(lambda: lambda, validationRMSE: result.bestValidation ?? .nan, bestEpoch: result.selectedEpoch,
                                    divergence: Divergence(result, phase: "λ search", run: k + 1, lambda: lambda))
            trials.append(trial)
            // A run that diverged may hold a good early epoch, but its model is not trusted.
            if trial.divergence == nil, trial.validationRMSE < best?.trial.validationRMSE ?? .infinity {
                best = (trial, parameters, result)
            }
        }
        guard let chosen = best else {
            if let d = trials.compactMap(\.divergence).first { throw FitError("\(d); try a smaller learning rate") }
            throw FitError("no λ gave a finite validation RMSE (tried \(trials.map { compactNumber($0.lambda) }))")
        }
        let bestTrial = chosen.trial

        var predictor = RatingPredictor(model: searchModel, parameters: chosen.parameters, training: searchData, scale: scale)
        var history = chosen.result.history
        var epochs = chosen.result.selectedEpoch
        var stopReason = chosen.result.stopReason
        if options.refit {
            let model = try makeModel(training)
            let data = RatingBatches<Float>(training, input: model.input, offset: options.centered ? training.mean : 0)
            let (parameters, result) = run(model, on: data, lambda: bestTrial.lambda, epochs: max(bestTrial.bestEpoch, 1),
                                           validation: nil, scale: scale, phase: "final", number: runs, runs: runs,
                                           progress: progress)
            if let d = Divergence(result, phase: "final", run: runs, lambda: bestTrial.lambda) {
                throw FitError("\(d); try a smaller learning rate")
            }
            predictor = RatingPredictor(model: model, parameters: parameters, training: data, scale: scale)
            history = result.history
            epochs = result.selectedEpoch
            stopReason = result.stopReason
        }
        return RatingRegressionFit(predictor: predictor, lambda: bestTrial.lambda, epochs: epochs,
                                   validationRMSE: bestTrial.validationRMSE, trials: trials,
                                   selectionHistory: chosen.result.history, history: history,
                                   searchRatings: (holdout.train.count, holdout.test.count),
                                   trainSeconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                                   secondsPerEpoch: median(history.map(\.seconds)), stopReason: stopReason)
    }

    /// One training run from fresh parameters: early stopping on `validation` when given
    /// (restoring the best epoch), else exactly `epochs` epochs.
    private func run(_ model: any RatingModel, on data: RatingBatches<Float>, lambda: Double, epochs: Int,
                     validation: RatingSet?, scale: RatingScale, phase: String, number: Int, runs: Int,
                     progress: (FitProgress) -> Bool) -> (Parameters<Float>, TrainingResult) {
        var parameters: Parameters<Float> = model.initialParameters(seed: options.seed)
        let configuration = TrainingConfiguration(epochs: epochs, patience: validation == nil ? nil : options.patience,
                                                  restoreBest: validation != nil)
        let total = Double(max(data.ratings.count, 1))
        var step: UInt64 = 0
        let seed = options.seed, size = options.optimizer.isFullBatch ? Int.max : options.batchSize
        let (result, _) = options.optimizer.train(&parameters, learningRate: options.learningRate.map { Float($0) },
                           configuration: configuration,
                           batches: { epoch in data.training(size: size, seed: seed, epoch: epoch) },
                           objective: { batch, p in
                               step &+= 1
                               return model.objective(batch, parameters: p, lambda: lambda, share: Double(batch.count) / total,
                                                      seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ step)
                           },
                           validate: validation.map { heldOut in { p in
                               RatingPredictor(model: model, parameters: p, training: data, scale: scale).evaluate(heldOut).rmse
                           } },
                           callback: { record in
                               progress(FitProgress(phase: phase, lambda: lambda, record: record, maxEpochs: epochs,
                                                    run: number, runs: runs))
                           })
        return (parameters, result)
    }
}
