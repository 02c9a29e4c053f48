import TapeGrad
import Foundation

/// One epoch's numbers, passed to the training callback and kept in the history.
public struct EpochRecord: Sendable, Codable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// The training objective summed over the epoch's batches (before the step of each batch).
    public var trainLoss: Double
    /// The validation metric after the epoch (lower is better), if a validation function is set.
    public var validation: Double?
    /// Wall-clock seconds the epoch's optimisation took (validation excluded).
    public var seconds: Double
}

/// How ``train(_:optimizer:configuration:batches:objective:validate:callback:)`` runs.
public struct TrainingConfiguration: Sendable {
    /// The maximum number of passes over the data.
    public var epochs: Int
    /// Stop when the validation metric has not improved for this many epochs (nil: never).
    public var patience: Int?
    /// Keep and return the parameters of the epoch with the best validation metric (early
    /// stopping's model selection) rather than the last epoch's.
    public var restoreBest: Bool

    /// Creates a configuration.
    public init(epochs: Int, patience: Int? = nil, restoreBest: Bool = true) {
        self.epochs = epochs
        self.patience = patience
        self.restoreBest = restoreBest
    }
}

/// Why training stopped.
public enum StopReason: String, Sendable, Codable {
    /// All epochs ran.
    case completed
    /// The validation metric stopped improving.
    case earlyStopped
    /// The callback asked to stop.
    case requested
    /// The loss became NaN or infinite; the parameters are the best validation epoch's when
    /// there was validation, otherwise unusable (the caller must report the failure).
    case diverged
}

/// The outcome of training.
public struct TrainingResult: Sendable {
    /// One record per epoch run.
    public var history: [EpochRecord]
    /// The epoch whose parameters were returned (the best validation epoch, or the last).
    public var selectedEpoch: Int
    /// The best validation metric, if any.
    public var bestValidation: Double?
    /// Why training stopped.
    public var stopReason: StopReason
}

/// Runs epochs of optimisation: for each batch of each epoch, one optimizer step on the
/// objective; then validation, early stopping and the callback.
///
/// - Parameters:
///   - parameters: updated in place; on return they are the selected epoch's.
///   - batches: the batches of an epoch (the epoch number is passed so shuffling can be
///     seeded per epoch); a single element means full-batch training.
///   - objective: the loss of a batch at given parameters, with its gradient.
///   - validate: the validation metric at given parameters (lower is better). Only validation
///     data may be used here: every decision (stopping, model selection) is taken on it.
///   - callback: sees each epoch's record, including the one whose loss was NaN or infinite
///     (then training stops with ``StopReason/diverged`` whatever it returns); return false to stop.
///
/// Runs with subnormal floats flushed to zero (``withDenormalsFlushedToZero(_:)``): training
/// produces them, and on x86 each costs a slow microcode path (an ML-1M-sized AutoRec epoch
/// doubled in time from the second epoch on without this).
@discardableResult
public func train<O: Optimizer, Batch>(_ parameters: inout Parameters<O.Scalar>, optimizer: inout O,
                                       configuration: TrainingConfiguration,
                                       batches: (Int) -> [Batch],
                                       objective: (Batch, Parameters<O.Scalar>) -> (loss: O.Scalar, gradient: Parameters<O.Scalar>),
                                       validate: ((Parameters<O.Scalar>) -> Double)? = nil,
                                       callback: (EpochRecord) -> Bool = { _ in true }) -> TrainingResult {
    withDenormalsFlushedToZero {
        trainEpochs(&parameters, optimizer: &optimizer, configuration: configuration, batches: batches,
                    objective: objective, validate: validate, callback: callback)
    }
}

/// The body of ``train(_:optimizer:configuration:batches:objective:validate:callback:)``.
private func trainEpochs<O: Optimizer, Batch>(_ parameters: inout Parameters<O.Scalar>, optimizer: inout O,
                                              configuration: TrainingConfiguration,
                                              batches: (Int) -> [Batch],
                                              objective: (Batch, Parameters<O.Scalar>) -> (loss: O.Scalar, gradient: Parameters<O.Scalar>),
                                              validate: ((Parameters<O.Scalar>) -> Double)?,
                                              callback: (EpochRecord) -> Bool) -> TrainingResult {
    var history = [EpochRecord]()
    var best: (epoch: Int, metric: Double, parameters: Parameters<O.Scalar>)?
    var reason = StopReason.completed
    epochs: for epoch in 1...max(configuration.epochs, 1) where configuration.epochs > 0 {
        let start = DispatchTime.now().uptimeNanoseconds
        var total = 0.0
        for batch in batches(epoch) {
            let loss = optimizer.step(&parameters) { objective(batch, $0) }
            total += Double(loss)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard total.isFinite else {
            // No copy of every epoch's parameters is kept (at 240M weights that copy would cost
            // a gigabyte per step); the best validation epoch's, if any, are restored below.
            let record = EpochRecord(epoch: epoch, trainLoss: total, validation: nil, seconds: seconds)
            history.append(record)
            reason = .diverged
            // The callback sees the failing epoch too (its loss is not finite), so a caller can
            // report where training went wrong; training stops whatever it returns.
            _ = callback(record)
            break epochs
        }
        let metric = validate?(parameters)
        let record = EpochRecord(epoch: epoch, trainLoss: total, validation: metric, seconds: seconds)
        history.append(record)
        if let metric, metric.isFinite, metric < (best?.metric ?? .infinity) {
            best = (epoch, metric, configuration.restoreBest ? parameters : Parameters())
        }
        if !callback(record) { reason = .requested; break }
        if let patience = configuration.patience, let b = best, epoch - b.epoch >= patience {
            reason = .earlyStopped
            break
        }
    }
    var selected = reason == .diverged ? 0 : history.count
    if configuration.restoreBest, let b = best {
        parameters = b.parameters
        selected = b.epoch
    }
    return TrainingResult(history: history, selectedEpoch: selected, bestValidation: best?.metric, stopReason: reason)
}

/// Splits `0..<count` into shuffled mini-batches of `size` (the last may be smaller),
/// deterministically for a seed and an epoch. Each batch's indices pick its examples with
/// `Tensor.selectingRows(_:)` or `SparseMatrix.selectingRows(_:)`.
public func shuffledBatches(count: Int, size: Int, seed: UInt64, epoch: Int) -> [[Int]] {
    var indices = Array(0..<count)
    var generator = SplitMix64(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
    generator.shuffle(&indices)
    return stride(from: 0, to: count, by: max(size, 1)).map { Array(indices[$0..<min($0 + size, count)]) }
}
