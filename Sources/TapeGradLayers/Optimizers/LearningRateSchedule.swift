#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import TapeGrad

/// A learning rate as a function of the epoch, as closed-form values (like PyTorch's
/// `StepLR`, `ExponentialLR` and `CosineAnnealingLR` with `last_epoch` = epoch).
///
/// Why a value rather than an object that steps along with the optimizer: a rate computed from
/// the epoch alone needs no state of its own in a checkpoint, and resuming at epoch e gives
/// the same rate as never stopping.
///
/// A training loop applies it by setting the optimizer's ``LearningRateAdjustable/learningRate``
/// before each epoch, from a base rate it keeps itself (epochs count from 0):
///
/// ```swift
/// var optimizer = Adam<Float>(learningRate: 1e-3)
/// let schedule = LearningRateSchedule.cosine(total: 100, minimum: 1e-5)
/// for epoch in 0..<100 {
///     optimizer.learningRate = Float(schedule.learningRate(base: 1e-3, epoch: epoch))
///     // … optimizer.update(&parameters, along: gradient) for each batch …
/// }
/// ```
/// or `optimizer.apply(schedule, base: 1e-3, epoch: epoch)`.
public enum LearningRateSchedule: Sendable, Equatable {
    /// η(e) = η₀.
    case constant
    /// Step decay: η(e) = η₀·γ^⌊e / every⌋ (divide by 1/γ every `every` epochs).
    case step(every: Int, gamma: Double)
    /// Exponential decay: η(e) = η₀·γᵉ.
    case exponential(gamma: Double)
    /// Cosine annealing (Loshchilov & Hutter 2017, without restarts) from η₀ down to `minimum`
    /// over `total` epochs: η(e) = min + (η₀ − min)·(1 + cos(π·e / total)) / 2 for e ≤ total,
    /// and `minimum` after that (PyTorch's closed form would rise again).
    case cosine(total: Int, minimum: Double)

    /// The learning rate for epoch `epoch` (from 0) given the base rate η₀.
    public func learningRate(base: Double, epoch: Int) -> Double {
        precondition(epoch >= 0, "LearningRateSchedule: epoch must be non-negative, got \(epoch)")
        switch self {
        case .constant:
            return base
        case .step(let every, let gamma):
            precondition(every > 0, "LearningRateSchedule.step: 'every' must be positive, got \(every)")
            return base * pow(gamma, Double(epoch / every))
        case .exponential(let gamma):
            return base * pow(gamma, Double(epoch))
        case .cosine(let total, let minimum):
            precondition(total > 0, "LearningRateSchedule.cosine: 'total' must be positive, got \(total)")
            guard epoch < total else { return minimum }
            return minimum + (base - minimum) * (1 + cos(Double.pi * Double(epoch) / Double(total))) / 2
        }
    }
}

/// An optimizer whose step is proportional to a learning rate that may change between steps,
/// so that a generic training loop can apply a ``LearningRateSchedule``.
///
/// SGD, Adam, AdamW, RMSProp and L-BFGS (where it scales the line search's first trial step)
/// conform. Rprop does not: its step sizes adapt on their own and its `learningRate` is only
/// the initial step size.
public protocol LearningRateAdjustable: Optimizer {
    /// The rate used by the next step; set it between steps.
    var learningRate: Scalar { get set }
}

extension LearningRateAdjustable {
    /// Sets ``learningRate`` to the schedule's rate for `epoch` from the base rate `base`.
    public mutating func apply(_ schedule: LearningRateSchedule, base: Double, epoch: Int) {
        learningRate = Scalar(schedule.learningRate(base: base, epoch: epoch))
    }
}
