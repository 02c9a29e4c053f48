import TapeGrad
import TapeGradLayers

/// The optimizers the AutoRec trainer and the rating-regression harness offer.
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

    /// Whether the optimizer steps on the whole training set at once (Rprop and L-BFGS need
    /// the exact gradient) rather than on mini-batches.
    public var isFullBatch: Bool { self == .rprop || self == .lbfgs }

    /// The optimizer this choice names, at `learningRate` (nil: its default, Rprop's initial
    /// step 0.01, Adam 1e-3, SGD 1e-4 with momentum 0.9; L-BFGS has none). The one place a
    /// choice becomes an optimizer.
    public func makeOptimizer(learningRate rate: Float?) -> any Optimizer<Float> {
        switch self {
        case .rprop: Rprop<Float>(learningRate: rate ?? 0.01)
        case .lbfgs: LBFGS<Float>()
        case .adam: Adam<Float>(learningRate: rate ?? 1e-3)
        case .sgd: SGD<Float>(learningRate: rate ?? 1e-4, momentum: 0.9)
        }
    }

    /// Runs ``train(_:optimizer:configuration:batches:objective:validate:callback:)`` with
    /// ``makeOptimizer(learningRate:)`` and returns the result and the optimizer's final state.
    public func train<Batch>(_ parameters: inout Parameters<Float>, learningRate rate: Float?,
                             configuration: TrainingConfiguration, batches: (Int) -> [Batch],
                             objective: (Batch, Parameters<Float>) -> (loss: Float, gradient: Parameters<Float>),
                             validate: ((Parameters<Float>) -> Double)?,
                             callback: (EpochRecord) -> Bool) -> (TrainingResult, Parameters<Float>) {
        var optimizer = makeOptimizer(learningRate: rate)
        let result = TapeGradLayers.train(&parameters, optimizer: &optimizer, configuration: configuration, batches: batches,
                                          objective: objective, validate: validate, callback: callback)
        return (result, optimizer.state)
    }
}
