import TapeGrad
import Foundation
import TapeGradLayers

/// The fit's first stage: one early-stopped run per λ candidate on the validation split's
/// training share, each scored on its validation ratings.
struct LambdaSearch {
    /// Which λ are tried.
    enum Plan: Equatable {
        /// Exactly these, in order (``FitOptions/lambdas``, or the λ set a denoising blend
        /// member takes over from the main model).
        case fixed([Double])
        /// These first, then a log-scale bisection around the best so far
        /// (``AutoRecFitter/refinementFactors``): the main model starts from
        /// ``AutoRecFitter/coarseGrid``, the blend's other kind from the main model's λ, near
        /// which its best λ lies.
        case automatic(start: [Double])
    }

    /// What the search found.
    struct Result {
        /// Every λ tried, in the order tried.
        var trials: [LambdaTrial]
        /// Each trial's validation predictions at its best epoch (same order as ``trials``).
        var predictions: [WarmPredictions]
        /// The trial with the lowest validation RMSE.
        var best: LambdaTrial
        /// The best trial's run.
        var chosen: TrainingRun.Outcome
        /// The number of runs the search made (later runs are numbered after them).
        var runs: Int
    }

    /// The training run each candidate gets.
    let run: TrainingRun
    /// The candidates.
    let plan: Plan

    /// Runs the search on `validation`.
    /// - Throws: ``FitError`` when the best λ's run diverged or no λ gave a finite validation RMSE.
    func callAsFunction(_ validation: ValidationQuery, progress: (FitProgress) -> Bool) throws -> Result {
        var trials = [LambdaTrial]()
        var predictions = [WarmPredictions]()
        var runs: Int
        switch plan {
        case .fixed(let lambdas): runs = lambdas.count
        case .automatic(let start): runs = start.count
        }
        var keep: TrainingRun.Outcome?
        func trial(_ lambda: Double) throws {
            let outcome = try run(on: validation.inputs, lambda: lambda, epochs: run.options.maxEpochs, validation: validation,
                                  label: .init(phase: "λ search", number: trials.count + 1, runs: runs), progress: progress)
            predictions.append(validation.predictions(model: outcome.model, parameters: outcome.parameters))
            let result = outcome.result
            trials.append(LambdaTrial(lambda: lambda, validationRMSE: result.bestValidation ?? .infinity,
                                      bestEpoch: result.selectedEpoch,
                                      divergence: Divergence(result, phase: "λ search", run: trials.count + 1, lambda: lambda),
                                      history: result.history))
            if trials.min(by: { $0.validationRMSE < $1.validationRMSE })!.lambda == lambda {
                keep = outcome
            }
        }
        switch plan {
        case .fixed(let lambdas):
            for lambda in lambdas { try trial(lambda) }
        case .automatic(let start):
            for lambda in start { try trial(lambda) }
            // Bisect in log scale around the best so far: the validation RMSE is sharply curved
            // in λ (Docs/AutoRec.md).
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
        guard best.validationRMSE.isFinite, let chosen = keep else {
            throw FitError("no λ gave a finite validation RMSE (tried \(trials.map { compactNumber($0.lambda) }))")
        }
        return Result(trials: trials, predictions: predictions, best: best, chosen: chosen, runs: runs)
    }
}
