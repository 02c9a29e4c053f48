import Foundation
import TapeGrad
import TapeGradLayers

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
    /// The validation predictions of the returned model's selection models (the λ average of
    /// the models trained on the search's share of the ratings), from which the blend stage
    /// chooses its weights.
    public var validationPredictions: WarmPredictions
}

/// A fitting failure that is not a bug: divergence, unusable data.
public struct FitError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
