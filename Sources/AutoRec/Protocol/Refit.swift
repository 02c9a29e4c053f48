import TapeGrad
import TapeGradLayers

/// The fit's third stage: trains each averaged λ again on all training ratings (the
/// validation share included) for its own best epoch count, `max(ensembleSize − 1, 1)` times
/// from different initial weights.
struct Refit {
    /// The training run each refit gets.
    let run: TrainingRun

    /// The refit models.
    struct Result {
        /// Their parameters, λ by λ (best λ first), seed by seed.
        var parameters: [Parameters<Float>]
        /// The best λ's first refit, whose history the fit reports.
        var first: TrainingRun.Outcome
    }

    /// Refits `trials` (non-empty) on `inputs`; the runs are numbered after the search's `searchRuns`.
    /// - Throws: ``FitError`` when a refit diverges.
    func callAsFunction(_ trials: [LambdaTrial], on inputs: InstanceMatrix, searchRuns: Int,
                        progress: (FitProgress) -> Bool) throws -> Result {
        let refits = max(run.options.ensembleSize - 1, 1)
        let total = refits * trials.count
        var parameters = [Parameters<Float>]()
        var first: TrainingRun.Outcome?
        for (t, trial) in trials.enumerated() {
            for j in 0..<refits {
                let number = searchRuns + 1 + t * refits + j
                let outcome = try run(on: inputs, lambda: trial.lambda, epochs: max(trial.bestEpoch, 1), validation: nil,
                                      label: .init(phase: "final", number: number, runs: searchRuns + total),
                                      progress: progress, seedOffset: UInt64(j))
                if let divergence = Divergence(outcome.result, phase: "final", run: number, lambda: trial.lambda) {
                    throw FitError("\(divergence); try a smaller learning rate or another optimizer")
                }
                parameters.append(outcome.parameters)
                if first == nil { first = outcome }
            }
        }
        return Result(parameters: parameters, first: first!)
    }
}
