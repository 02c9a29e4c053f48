import Foundation
import TapeGradLayers

/// Trains AutoRec by the paper's protocol: λ and the stopping epoch are chosen on a validation
/// split carved out of the training ratings; test ratings are never seen here.
///
/// The fit is a pipeline of stages, each its own type, all choosing on one
/// ``ValidationSplit``: ``LambdaSearch`` → ``LambdaAverage`` → ``Refit`` (one model of one
/// kind) → ``Blend`` (further models fitted the same way, mixed with weights chosen on
/// validation). Predictions pass between the stages as ``WarmPredictions``.
public struct AutoRecFitter: Sendable {
    /// The model's hyperparameters (its λ is overridden by the search).
    public var configuration: AutoRecConfiguration
    /// How to train.
    public var options: FitOptions

    /// The first λ grid: decades around the values that suit summed squared error on rating
    /// data of 10⁴–10⁸ ratings.
    public static let coarseGrid: [Double] = [1, 10, 100, 1000]

    /// The automatic search then tries the best λ so far times and divided by each factor in
    /// turn (10^½, 10^¼, 10^⅛): a log-scale bisection to within a factor of 1.33.
    public static let refinementFactors: [Double] = [0.5, 0.25, 0.125].map { pow(10, $0) }

    /// Creates a fitter.
    public init(configuration: AutoRecConfiguration, options: FitOptions = FitOptions()) {
        self.configuration = configuration
        self.options = options
    }

    /// Fits on the training ratings (test ratings never come here), choosing on the
    /// ``ValidationSplit`` the options describe; with ``FitOptions/blend``, fits the further
    /// members too and blends them with the main model.
    public func fit(_ training: RatingSet, scale: RatingScale,
                    progress: (FitProgress) -> Bool = { _ in true }) throws -> FitResult {
        try fit(training, validation: ValidationSplit(training, options: options, scale: scale), progress: progress)
    }

    /// Fits on the training ratings, choosing on `validation`, which must have been carved
    /// from them.
    public func fit(_ training: RatingSet, validation: ValidationSplit,
                    progress: (FitProgress) -> Bool = { _ in true }) throws -> FitResult {
        precondition(validation.ratings.train.count + validation.ratings.test.count == training.count
                     && validation.ratings.users == training.users && validation.ratings.items == training.items,
                     "AutoRecFitter.fit: the validation split was not carved from these \(training.count) training ratings")
        let main = try fitSingle(training, validation: validation,
                                 plan: options.lambdas.map { .fixed($0) } ?? .automatic(start: AutoRecFitter.coarseGrid),
                                 progress: progress)
        guard options.blend else { return main }
        return try Blend(configuration: configuration, options: options)(main, training: training, validation: validation,
                                                                         progress: progress)
    }

    /// Fits one model (one kind): the λ search, the λ average and the refit.
    func fitSingle(_ training: RatingSet, validation: ValidationSplit, plan: LambdaSearch.Plan,
                   progress: (FitProgress) -> Bool) throws -> FitResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let run = TrainingRun(configuration: configuration, options: options)
        let search = try LambdaSearch(run: run, plan: plan)(
            validation.query(kind: configuration.kind, centering: configuration.centering), progress: progress)
        let average = LambdaAverage(limit: options.lambdaAverage, chooses: options.refit)(search, validation: validation)

        let fullInputs = InstanceMatrix(training, kind: configuration.kind, centering: configuration.centering)
        var final = search.chosen
        var epochs = search.best.bestEpoch
        var secondsPerEpoch = median(final.result.history.prefix(max(epochs, 1)).map(\.seconds))
        var ensemble = [search.chosen.parameters]
        if options.refit {
            let refit = try Refit(run: run)(average.trials, on: fullInputs, searchRuns: search.runs, progress: progress)
            final = refit.first
            epochs = final.result.selectedEpoch
            secondsPerEpoch = median(final.result.history.map(\.seconds))
            ensemble = refit.parameters + (options.ensembleSize > 1 ? [search.chosen.parameters] : [])
        }
        var configuration = self.configuration
        configuration.lambda = search.best.lambda
        let model = try AutoRec(configuration: configuration, inputSize: fullInputs.matrix.columns)
        let recommender = try Recommender(model: model, ensemble: ensemble, training: training, scale: validation.scale)
        return FitResult(recommender: recommender, lambda: search.best.lambda, epochs: epochs,
                         validationRMSE: search.best.validationRMSE,
                         averagedLambdas: average.trials.map(\.lambda), averageValidationRMSE: average.validationRMSE,
                         searchRatings: (validation.ratings.train.count, validation.ratings.test.count),
                         trials: search.trials, selectionHistory: search.chosen.result.history, history: final.result.history,
                         trainSeconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                         secondsPerEpoch: secondsPerEpoch, stopReason: final.result.stopReason,
                         optimizerState: final.optimizerState, blend: nil, validationPredictions: average.predictions)
    }
}
