import Foundation
import TapeGrad
import TapeGradLayers

/// The optimizers the AutoRec trainer offers.
public enum OptimizerChoice: String, Sendable, Codable, CaseIterable {
    /// Full-batch iRprop− (the paper's choice): per-weight step sizes, insensitive to the
    /// loss scale, no learning rate to tune.
    case rprop
    /// Full-batch L-BFGS with a line search (the paper's alternative).
    case lbfgs
    /// Mini-batch Adam.
    case adam
    /// Mini-batch SGD with momentum.
    case sgd
}

/// How ``AutoRecFitter`` trains and selects λ.
public struct FitOptions: Sendable {
    /// The optimizer.
    public var optimizer: OptimizerChoice = .rprop
    /// The most epochs any training run takes.
    public var maxEpochs: Int = 300
    /// Early stopping: epochs without a better validation RMSE before a run stops.
    public var patience: Int = 25
    /// The optimizer's learning rate (Rprop: initial step), nil for its default.
    public var learningRate: Double?
    /// Instances per mini-batch for Adam and SGD (Rprop and L-BFGS are full batch).
    public var batchSize: Int = 64
    /// The λ candidates; one value means fixed λ, nil means the automatic grid
    /// (``AutoRecFitter/coarseGrid`` then a refinement around the best).
    public var lambdas: [Double]?
    /// The share of training ratings held out for validation.
    public var validationFraction: Double = 0.1
    /// Seeds the validation split, the initial weights and the batch order.
    public var seed: UInt64 = 1
    /// After choosing λ and the epoch count on validation, train again on all training ratings
    /// for that many epochs (more data; the validation split is part of the training data).
    public var refit: Bool = true
    /// How many models to average: the refit model(s) from different initial weights (seeds
    /// seed, seed+1, …) plus the early-stopped model from the λ search. Averaging independently
    /// initialised networks lowers the variance part of the error; 1 means a single model.
    public var ensembleSize: Int = 1
    /// Averages the models of up to this many of the best λ of the search (best first); how
    /// many is chosen on the validation split (the average of the first n models' validation
    /// predictions, for each n ≤ this). Models of neighbouring λ differ much more than models of
    /// one λ from different seeds, so their average removes more variance. Each chosen λ is
    /// refit for its own best epoch count. 1: the single best λ. Without refit only the best
    /// λ's model is kept (the others' parameters are not stored during the search).
    /// Default 5: validation picks n ≤ 5 (ML-100K u1: 3, validation RMSE 0.9010 → 0.8994).
    public var lambdaAverage: Int = 5
    /// Blends the main model with further models fitted the same way (each its own λ average
    /// and refit) on the same training ratings and validation split: the model of the other
    /// kind (U-AutoRec beside I-AutoRec, and vice versa) and, when ``denoisingMember`` > 0, the
    /// main kind with input dropout. The weights are chosen on the validation split from a grid
    /// over the simplex (``AutoRecFitter/blendWeights`` per member, sums ≤ 1, the main model
    /// keeps the rest; all-zero keeps the main model alone, so validation never prefers a worse
    /// stack). The two kinds see the rating matrix from different sides, so their errors are
    /// less correlated than those of two models of one kind. On by default since the I+U fit
    /// fits the time budget of the default run (the other kind's λ search starts at the main
    /// model's λ); ML-100K u1: validation RMSE 0.8997 → 0.8920.
    public var blend: Bool = true
    /// The input dropout rate of the stack's third member, a denoising model of the main kind
    /// (0: no third member; only with ``blend``). Denoising changes what the network learns
    /// (to predict ratings absent from its input), so its errors differ from the plain model's
    /// more than another seed's would. It has no λ search of its own: it is trained for each λ
    /// of the main model's λ average (its own search on ML-100K u1 chose that set again, at
    /// 2.5× the time) and averages the best of them as the λ average does. Default 0.25, chosen
    /// on validation data: on ML-100K the stack's validation RMSE was lower with 0.25 than with
    /// 0.1 on u1 (0.8917 vs 0.8920) and on each of five random 90/10 splits (mean 0.88083 vs
    /// 0.88144), as the single model's was in the first experiments (0.9005 vs 0.9012). The
    /// member's weight is chosen on validation per data set (0 drops it). Cost: with the members
    /// fitted side by side the default run took 55 s on 2 cores (I+U alone: 49 s, in the same
    /// period of the shared machine), inside the 1-minute budget.
    public var denoisingMember: Double = 0.25
    /// When set, the automatic λ search starts from this λ alone instead of
    /// ``AutoRecFitter/coarseGrid`` (then the usual bisection, ×/÷ 10^½, 10^¼, 10^⅛: up to 7
    /// runs instead of 10): for the blend's other kind, whose best λ lies near the main model's
    /// (ML-100K: within 10^±⅝), so the runs at λ = 1, 10, 1000 and 31.6 were wasted. It cut
    /// the U-AutoRec fit of the default run by about a third.
    var lambdaCentre: Double?

    /// The defaults: Rprop, λ chosen automatically, refit, the average of up to 5 λ models.
    public init() {}

    /// The fewest training ratings a fit accepts: enough that the validation holdout
    /// (``validationFraction``) and the ratings the λ search trains on both hold at least one
    /// rating (5 with the default 10%). Fewer is a ``FitError``.
    public var minimumTrainingRatings: Int { RatingSplit.minimumCount(fraction: validationFraction) }
}

/// What the fitter reports while it runs.
public struct FitProgress: Sendable {
    /// `"λ search"` or `"final"`.
    public var phase: String
    /// The λ of the current run.
    public var lambda: Double
    /// The epoch just finished.
    public var record: EpochRecord
    /// The most epochs this run can take.
    public var maxEpochs: Int
    /// Which run this is (1-based) and how many are planned (runs added by the refinement
    /// are counted when planned).
    public var run: Int, runs: Int
    /// Set on one more report after the run has stopped (early stopping or its epoch count),
    /// repeating its last epoch: a log can then note each run's end without a line per epoch.
    /// Its return value is ignored.
    public var runEnded = false
}

/// One λ candidate's outcome on the validation split.
public struct LambdaTrial: Sendable, Codable {
    /// The candidate.
    public var lambda: Double
    /// Its best validation RMSE.
    public var validationRMSE: Double
    /// The epoch where it was reached.
    public var bestEpoch: Int
    /// Set when the run stopped because its training loss became NaN or infinite (its best
    /// epoch before that still counts for the comparison, but it is never the chosen model).
    public var divergence: Divergence?
    /// The run's training loss and validation RMSE per epoch (for charts of the search).
    public var history: [EpochRecord] = []
}

/// Where a training run's loss stopped being finite.
public struct Divergence: Sendable, Codable, Equatable, CustomStringConvertible {
    /// `"λ search"` or `"final"`.
    public var phase: String
    /// The run's number among the fit's runs (1-based).
    public var run: Int
    /// The run's λ.
    public var lambda: Double
    /// The first epoch whose training loss was not finite.
    public var epoch: Int
    /// That loss (NaN or ±∞).
    public var loss: Double

    /// Records a divergence.
    public init(phase: String, run: Int, lambda: Double, epoch: Int, loss: Double) {
        self.phase = phase
        self.run = run
        self.lambda = lambda
        self.epoch = epoch
        self.loss = loss
    }

    /// The divergence of a training run that stopped on a non-finite loss; nil for a run that
    /// did not diverge.
    public init?(_ result: TrainingResult, phase: String, run: Int, lambda: Double) {
        guard result.stopReason == .diverged, let last = result.history.last else { return nil }
        self.init(phase: phase, run: run, lambda: lambda, epoch: last.epoch, loss: last.trainLoss)
    }

    /// `training diverged at epoch E (λ search run R, λ = L): the training loss became NaN`.
    public var description: String {
        "training diverged at epoch \(epoch) (\(phase) run \(run), λ = \(compactNumber(lambda))): "
            + "the training loss became \(loss.isNaN ? "NaN" : "infinite")"
    }
}

/// A number without a useless fraction: `100` rather than `100.0`, `31.62` rather than
/// `31.622776601683793` (four significant digits).
public func compactNumber(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%.4g", x)
}

/// The outcome of fitting.
public struct FitResult: Sendable {
    /// The trained model, ready to predict.
    public var recommender: Recommender
    /// The chosen λ.
    public var lambda: Double
    /// The epochs the returned model was trained for.
    public var epochs: Int
    /// The chosen λ's validation RMSE.
    public var validationRMSE: Double
    /// The λ whose models are averaged (best first; one element without averaging).
    public var averagedLambdas: [Double]
    /// The validation RMSE of the average of the best n λ models, for n = 1, 2, … (the first is
    /// the best λ's own); the λ average takes the n with the lowest.
    public var averageValidationRMSE: [Double]
    /// How the training ratings were divided for the λ search: the ratings trained on and the
    /// ratings held out for validation (the refit then uses all of them).
    public var searchRatings: (train: Int, validation: Int)
    /// Every λ tried.
    public var trials: [LambdaTrial]
    /// The chosen λ's run on the validation split (training loss and validation RMSE per epoch).
    public var selectionHistory: [EpochRecord]
    /// The returned model's training history (the refit run, without validation; or the
    /// selection run when not refitting).
    public var history: [EpochRecord]
    /// Wall-clock seconds of the whole fit (search and final training).
    public var trainSeconds: Double
    /// The median seconds of one epoch of the final training: one pass over all training
    /// ratings (forward, backward, optimizer step).
    public var secondsPerEpoch: Double
    /// Why the final training stopped.
    public var stopReason: StopReason
    /// The optimizer's state after the returned model's last step (saved with the model so
    /// training can be resumed exactly).
    public var optimizerState: Parameters<Float>
    /// The blend with further models (the other kind, a denoising variant), when
    /// ``FitOptions/blend`` is set.
    public var blend: BlendFit?
    /// The unclipped validation predictions of the returned model's selection models (the λ
    /// average of 90% models) for the warm validation pairs in their order; for choosing a blend.
    var validationWarmValues: [Float] = []
}

/// One further model of a blend (see ``FitOptions/blend``).
public struct BlendMember: Sendable {
    /// A short description: `U-AutoRec`, `I-AutoRec, input dropout 0.1`.
    public var name: String
    /// The member's fit (its λ search, λ average and refit).
    public var fit: FitResult
    /// Its share of the predictions (the main model keeps 1 − the sum of the members' shares).
    public var weight: Double
}

/// How a blend of the main model with further models was chosen (see ``FitOptions/blend``).
/// A class because it holds ``FitResult``s, which hold it.
public final class BlendFit: Sendable {
    /// The further models with their chosen weights, in the order of the weight vectors.
    public let members: [BlendMember]
    /// The validation RMSE of each weight vector tried (one weight per member; see
    /// ``AutoRecFitter/blendWeightVectors(members:)``).
    public let trials: [(weights: [Double], validationRMSE: Double)]

    /// Records a blend.
    public init(members: [BlendMember], trials: [(weights: [Double], validationRMSE: Double)]) {
        self.members = members
        self.trials = trials
    }

    /// The chosen weights, one per member.
    public var weights: [Double] { members.map(\.weight) }

    /// The chosen weights' validation RMSE.
    public var validationRMSE: Double { trials.first { $0.weights == weights }?.validationRMSE ?? .nan }

    /// The validation RMSE of the main model alone (all weights 0).
    public var aloneValidationRMSE: Double { trials.first { $0.weights.allSatisfy { $0 == 0 } }?.validationRMSE ?? .nan }
}

/// Trains AutoRec by the paper's protocol: λ and the stopping epoch are chosen on a validation
/// split carved out of the training ratings; test ratings are never seen here.
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

    /// The blend weights tried on validation for each member: 0, 0.05, …, 1.
    public static let blendWeights: [Double] = (0...20).map { Double($0) / 20 }

    /// Every weight vector of the grid over the simplex: one weight from ``blendWeights`` per
    /// member, summing to at most 1 (the main model keeps the rest). All zeros comes first, so
    /// that on a tie validation keeps the main model alone.
    public static func blendWeightVectors(members: Int) -> [[Double]] {
        let steps = blendWeights.count - 1
        var result = [[Int]]()
        func extend(_ prefix: [Int], left: Int) {
            if prefix.count == members { result.append(prefix); return }
            for k in 0...left { extend(prefix + [k], left: left - k) }
        }
        extend([], left: steps)
        return result.map { $0.map { Double($0) / Double(steps) } }
    }

    /// Fits on the training ratings (test ratings never come here); with ``FitOptions/blend``,
    /// fits the further members too and blends them with the main model.
    public func fit(_ training: RatingSet, scale: RatingScale,
                    progress: (FitProgress) -> Bool = { _ in true }) throws -> FitResult {
        var main = try fitSingle(training, scale: scale, progress: progress)
        guard options.blend else { return main }
        var memberOptions = options
        memberOptions.blend = false
        var specs = [(name: String, configuration: AutoRecConfiguration, options: FitOptions)]()
        var other = configuration
        other.kind = configuration.kind == .item ? .user : .item
        var otherOptions = memberOptions
        otherOptions.lambdaCentre = main.lambda
        specs.append((other.kind == .item ? "I-AutoRec" : "U-AutoRec", other, otherOptions))
        if options.denoisingMember > 0 {
            var denoising = configuration
            denoising.inputDropout = options.denoisingMember
            var denoisingOptions = memberOptions
            if denoisingOptions.lambdas == nil { denoisingOptions.lambdas = main.averagedLambdas }
            specs.append(("\(configuration.kind == .item ? "I-AutoRec" : "U-AutoRec"), input dropout \(compactNumber(options.denoisingMember))",
                          denoising, denoisingOptions))
        }
        // The members depend on the main model (its λ) but not on one another: they are fitted
        // side by side, the threads shared out between them. On ML-100K-sized data one thread
        // per fit does more work per second than two threads on one fit (the products are
        // small), and each fit is bit-identical whatever its thread count, so the results are
        // those of fitting the members one after the other.
        let threads = Parallelism.threads
        let perMember = max(1, threads / specs.count)
        let lock = NSLock()
        var results = [Result<FitResult, any Error>?](repeating: nil, count: specs.count)
        let membersStart = DispatchTime.now().uptimeNanoseconds
        parallelFor(specs.count, threads: min(threads, specs.count)) { i in
            let spec = specs[i]
            let result = Result {
                try Parallelism.$threads.withValue(perMember) {
                    try AutoRecFitter(configuration: spec.configuration, options: spec.options)
                        .fitSingle(training, scale: scale) { p in
                            var p = p
                            p.phase = "\(spec.name): \(p.phase)"
                            return lock.withLock { progress(p) }
                        }
                }
            }
            lock.withLock { results[i] = result }
        }
        // Wall time: the members' own times overlap.
        main.trainSeconds += Double(DispatchTime.now().uptimeNanoseconds - membersStart) / 1e9
        let fits = try results.map { try $0!.get() }
        // All fits carved the same validation split (same seed, same ratings) and list its warm
        // pairs in the same order, so their predictions can be mixed pair by pair.
        let holdout = RatingSplit.random(training, testFraction: options.validationFraction, seed: options.seed)
        let validator = Validator(train: holdout.train, validation: holdout.test, configuration: configuration, scale: scale)
        let values = [main.validationWarmValues] + fits.map(\.validationWarmValues)
        let trials = AutoRecFitter.blendWeightVectors(members: fits.count).map { w in
            (weights: w, validationRMSE: validator.rmse(warmOrder: PairQuery.stack(values, weights: w.map { Float($0) })))
        }
        let best = trials.min { $0.validationRMSE < $1.validationRMSE }!
        let r = main.recommender
        main.recommender = try Recommender(model: r.model, ensemble: r.ensemble, training: training, scale: scale,
                                           blend: zip(fits, best.weights).map { fit, w in
                                               BlendComponent(model: fit.recommender.model, ensemble: fit.recommender.ensemble, weight: Float(w))
                                           })
        main.blend = BlendFit(members: zip(specs, zip(fits, best.weights)).map { spec, fw in
            BlendMember(name: spec.name, fit: fw.0, weight: fw.1)
        }, trials: trials)
        return main
    }

    /// Fits one model (one kind) with the λ search, λ average and refit.
    func fitSingle(_ training: RatingSet, scale: RatingScale,
                   progress: (FitProgress) -> Bool = { _ in true }) throws -> FitResult {
        let start = DispatchTime.now().uptimeNanoseconds
        // Too few ratings: the validation holdout or the ratings the λ search trains on would be
        // empty, and nothing could be chosen.
        if let problem = RatingSplit.emptyPart(count: training.count, fraction: options.validationFraction,
                                               heldOut: "validation", kept: "training") {
            throw FitError("too few training ratings for the λ search's validation holdout: \(problem); at least "
                           + "\(options.minimumTrainingRatings) training ratings are needed")
        }
        let holdout = RatingSplit.random(training, testFraction: options.validationFraction, seed: options.seed)
        let validator = Validator(train: holdout.train, validation: holdout.test, configuration: configuration, scale: scale)

        var trials = [LambdaTrial]()
        // Each trial's unclipped validation predictions at its best epoch, for the λ average.
        var validationValues = [[Float]]()
        let grid = options.lambdaCentre.map { [$0] } ?? AutoRecFitter.coarseGrid
        var runs = options.lambdas?.count ?? grid.count
        var keep: (parameters: Parameters<Float>, history: [EpochRecord], reason: StopReason, state: Parameters<Float>)?
        func trial(_ lambda: Double) throws {
            let (parameters, result, state) = try run(on: validator.inputs, lambda: lambda, epochs: options.maxEpochs,
                                               validator: validator, phase: "λ search", runNumber: trials.count + 1,
                                               runs: runs, progress: progress)
            validationValues.append(validator.warmValues(configuration: self.configuration, lambda: lambda, parameters: parameters))
            trials.append(LambdaTrial(lambda: lambda, validationRMSE: result.bestValidation ?? .infinity,
                                      bestEpoch: result.selectedEpoch,
                                      divergence: Divergence(result, phase: "λ search", run: trials.count + 1, lambda: lambda),
                                      history: result.history))
            if trials.min(by: { $0.validationRMSE < $1.validationRMSE })!.lambda == lambda {
                keep = (parameters, result.history, result.stopReason, state)
            }
        }
        if let lambdas = options.lambdas {
            for lambda in lambdas { try trial(lambda) }
        } else {
            for lambda in grid { try trial(lambda) }
            // Bisect in log scale around the best so far: the validation RMSE is sharply curved in
            // λ (ML-100K u1: 100 → 0.9065, 178 → 0.9011, 316 → 0.9057, 562 → 0.9227).
            for factor in AutoRecFitter.refinementFactors {
                let best = trials.min { $0.validationRMSE < $1.validationRMSE }!.lambda
                let candidates = [best / factor, best * factor].filter { c in
                    !trials.contains { abs($0.lambda / c - 1) < 1e-9 }
                }
                runs += candidates.count
                for lambda in candidates { try trial(lambda) }
            }
        }
        let best = trials.min { $0.validationRMSE < $1.validationRMSE }!
        // A run that diverged may still hold the best validation epoch, but a model from a
        // diverging run is not trusted.
        if let divergence = best.divergence ?? (best.validationRMSE.isFinite ? nil : trials.compactMap(\.divergence).first) {
            throw FitError("\(divergence); try a smaller learning rate or another optimizer")
        }
        guard best.validationRMSE.isFinite, var chosen = keep else {
            throw FitError("no λ gave a finite validation RMSE (tried \(trials.map { compactNumber($0.lambda) }))")
        }

        let selectionHistory = chosen.history
        var history = chosen.history
        var epochs = best.bestEpoch
        var secondsPerEpoch = median(history.prefix(max(epochs, 1)).map(\.seconds))
        let fullInputs = InstanceMatrix(training, kind: configuration.kind, centering: configuration.centering)
        var ensemble = [chosen.parameters]
        // The λ average: the best-ranked trials that did not diverge, as many as validation likes.
        let ranked = trials.indices.filter { trials[$0].divergence == nil && trials[$0].validationRMSE.isFinite }
            .sorted { trials[$0].validationRMSE < trials[$1].validationRMSE }
        var averageRMSE = [Double]()
        for n in 1...max(1, min(options.lambdaAverage, ranked.count)) {
            var mean = validationValues[ranked[0]]
            for t in ranked[1..<n] { for p in mean.indices { mean[p] += validationValues[t][p] } }
            for p in mean.indices { mean[p] /= Float(n) }
            averageRMSE.append(validator.rmse(warmValues: mean))
        }
        let averaged = options.refit ? averageRMSE.indices.min { averageRMSE[$0] < averageRMSE[$1] }! + 1 : 1
        let averagedTrials = ranked.prefix(averaged).map { trials[$0] }
        var averagedValues = validationValues[ranked[0]]
        for t in ranked[1..<averaged] { for p in averagedValues.indices { averagedValues[p] += validationValues[t][p] } }
        for p in averagedValues.indices { averagedValues[p] /= Float(averaged) }
        if options.refit {
            let refits = max(options.ensembleSize - 1, 1)
            var members = [Parameters<Float>]()
            let total = refits * averagedTrials.count
            for (t, trial) in averagedTrials.enumerated() {
                for j in 0..<refits {
                    let number = runs + 1 + t * refits + j
                    let (parameters, result, state) = try run(on: fullInputs, lambda: trial.lambda, epochs: max(trial.bestEpoch, 1),
                                                       validator: nil, phase: "final", runNumber: number, runs: runs + total,
                                                       progress: progress, seedOffset: UInt64(j))
                    if let divergence = Divergence(result, phase: "final", run: number, lambda: trial.lambda) {
                        throw FitError("\(divergence); try a smaller learning rate or another optimizer")
                    }
                    members.append(parameters)
                    if t == 0 && j == 0 {
                        chosen = (parameters, result.history, result.stopReason, state)
                        history = result.history
                        epochs = result.selectedEpoch
                        secondsPerEpoch = median(history.map(\.seconds))
                    }
                }
            }
            ensemble = members + (options.ensembleSize > 1 ? [ensemble[0]] : [])
        }
        var configuration = self.configuration
        configuration.lambda = best.lambda
        let model = try AutoRec(configuration: configuration, inputSize: fullInputs.matrix.columns)
        let recommender = try Recommender(model: model, ensemble: ensemble, training: training, scale: scale)
        return FitResult(recommender: recommender, lambda: best.lambda, epochs: epochs, validationRMSE: best.validationRMSE,
                         averagedLambdas: averagedTrials.map(\.lambda), averageValidationRMSE: averageRMSE,
                         searchRatings: (holdout.train.count, holdout.test.count),
                         trials: trials, selectionHistory: selectionHistory, history: history,
                         trainSeconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                         secondsPerEpoch: secondsPerEpoch, stopReason: chosen.reason, optimizerState: chosen.state,
                         blend: nil, validationWarmValues: validator.pairs.warmInWarmOrder(averagedValues))
    }

    /// One training run from fresh weights.
    private func run(on inputs: InstanceMatrix, lambda: Double, epochs: Int, validator: Validator?, phase: String,
                     runNumber: Int, runs: Int, progress: (FitProgress) -> Bool,
                     seedOffset: UInt64 = 0) throws -> (Parameters<Float>, TrainingResult, Parameters<Float>) {
        var configuration = self.configuration
        configuration.lambda = lambda
        let model = try AutoRec(configuration: configuration, inputSize: inputs.matrix.columns)
        var parameters: Parameters<Float> = model.graph.initialParameters(seed: options.seed &+ seedOffset &* 0x9E37_79B9)
        let trainingConfiguration = TrainingConfiguration(epochs: epochs, patience: validator == nil ? nil : options.patience,
                                                          restoreBest: validator != nil)
        let matrix = inputs.matrix
        let rate = options.learningRate.map { Float($0) }
        let callback: (EpochRecord) -> Bool = { record in
            progress(FitProgress(phase: phase, lambda: lambda, record: record, maxEpochs: epochs, run: runNumber, runs: runs))
        }
        let validate: ((Parameters<Float>) -> Double)? = validator.map { v in { v.rmse(model: model, parameters: $0) } }
        let fullBatch: (Int) -> [SparseMatrix<Float>] = { _ in [matrix] }
        let miniBatches: (Int) -> [SparseMatrix<Float>] = { [seed = options.seed, size = options.batchSize] epoch in
            shuffledBatches(count: matrix.rows, size: size, seed: seed, epoch: epoch).map { matrix.selectingRows($0) }
        }
        var step: UInt64 = 0
        let objective: (SparseMatrix<Float>, Parameters<Float>) -> (loss: Float, gradient: Parameters<Float>) = { batch, p in
            // λ is shared out over the batches so an epoch's total is the full objective; each
            // evaluation gets its own dropout seed.
            step &+= 1
            return model.objective(batch, parameters: p, lambda: lambda * Double(batch.rows) / Double(max(matrix.rows, 1)),
                                   seed: options.seed &* 0x9E37_79B9_7F4A_7C15 &+ seedOffset &+ step)
        }
        let (result, state) = options.optimizer.train(&parameters, learningRate: rate, configuration: trainingConfiguration,
                                                      batches: options.optimizer.isFullBatch ? fullBatch : miniBatches,
                                                      objective: objective, validate: validate, callback: callback)
        if let last = result.history.last {
            _ = progress(FitProgress(phase: phase, lambda: lambda, record: last, maxEpochs: epochs, run: runNumber, runs: runs,
                                     runEnded: true))
        }
        return (parameters, result, state)
    }
}

extension OptimizerChoice {
    /// Whether the optimizer steps on the whole training set at once (Rprop and L-BFGS need
    /// the exact gradient) rather than on mini-batches.
    public var isFullBatch: Bool { self == .rprop || self == .lbfgs }

    /// Runs ``train(_:optimizer:configuration:batches:objective:validate:callback:)`` with this
    /// optimizer at `learningRate` (nil: its default, Rprop's initial step 0.01, Adam 1e-3,
    /// SGD 1e-4 with momentum 0.9; L-BFGS has none) and returns the result and the optimizer's
    /// final state.
    public func train<Batch>(_ parameters: inout Parameters<Float>, learningRate rate: Float?,
                             configuration: TrainingConfiguration, batches: (Int) -> [Batch],
                             objective: (Batch, Parameters<Float>) -> (loss: Float, gradient: Parameters<Float>),
                             validate: ((Parameters<Float>) -> Double)?,
                             callback: (EpochRecord) -> Bool) -> (TrainingResult, Parameters<Float>) {
        func run<O: Optimizer>(_ o: inout O) -> TrainingResult where O.Scalar == Float {
            TapeGradLayers.train(&parameters, optimizer: &o, configuration: configuration, batches: batches,
                                 objective: objective, validate: validate, callback: callback)
        }
        switch self {
        case .rprop:
            var o = Rprop<Float>(learningRate: rate ?? 0.01)
            return (run(&o), o.state)
        case .lbfgs:
            var o = LBFGS<Float>()
            return (run(&o), o.state)
        case .adam:
            var o = Adam<Float>(learningRate: rate ?? 1e-3)
            return (run(&o), o.state)
        case .sgd:
            var o = SGD<Float>(learningRate: rate ?? 1e-4, momentum: 0.9)
            return (run(&o), o.state)
        }
    }
}

/// A fitting failure that is not a bug: divergence, unusable data.
public struct FitError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// Validation RMSE of parameters on a fixed validation split, with the query pattern built once.
struct Validator {
    let inputs: InstanceMatrix
    let pairs: PairQuery
    let targets: [Float]
    let scale: RatingScale

    init(train: RatingSet, validation: RatingSet, configuration: AutoRecConfiguration, scale: RatingScale) {
        inputs = InstanceMatrix(train, kind: configuration.kind, centering: configuration.centering)
        pairs = PairQuery(users: validation.userIndices, items: validation.itemIndices,
                          ratingsPerUser: train.ratingsPerUser(), ratingsPerItem: train.ratingsPerItem(), inputs: inputs)
        targets = validation.values
        self.scale = scale
    }

    func rmse(model: AutoRec, parameters: Parameters<Float>) -> Double {
        let predictions = pairs.predictions(model: model, ensemble: [parameters], inputs: inputs, scale: scale)
        return RatingMetrics(predictions: predictions, targets: targets).rmse
    }

    /// The unclipped validation predictions of the warm pairs (see ``PairQuery/warmValues``).
    func warmValues(configuration: AutoRecConfiguration, lambda: Double, parameters: Parameters<Float>) -> [Float] {
        var configuration = configuration
        configuration.lambda = lambda
        guard let model = try? AutoRec(configuration: configuration, inputSize: inputs.matrix.columns) else { return [] }
        return pairs.warmValues(model: model, ensemble: [parameters], inputs: inputs)
    }

    /// The validation RMSE of unclipped warm predictions in warm order (see
    /// ``PairQuery/warmInWarmOrder(_:)``).
    func rmse(warmOrder values: [Float]) -> Double {
        RatingMetrics(predictions: pairs.finish(warmOrder: values, scale: scale), targets: targets).rmse
    }

    /// The validation RMSE of unclipped warm predictions (clipped and completed here).
    func rmse(warmValues: [Float]) -> Double {
        RatingMetrics(predictions: pairs.finish(warmValues, scale: scale), targets: targets).rmse
    }
}

/// The median of a list (NaN when empty).
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
