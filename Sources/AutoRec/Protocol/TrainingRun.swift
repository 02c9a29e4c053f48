import TapeGrad
import TapeGradLayers

/// One training run of AutoRec from fresh weights: the unit the fit's stages are made of. With
/// a validation query it stops early on the validation RMSE and keeps the best epoch (the λ
/// search); without, it trains for exactly the epochs it is given (the refit).
struct TrainingRun {
    /// The model's hyperparameters (λ is the run's own, not the configuration's).
    let configuration: AutoRecConfiguration
    /// How to train.
    let options: FitOptions

    /// What a run leaves: the model it trained, its parameters (the best epoch's when stopped
    /// early), the training result and the optimizer's final state.
    struct Outcome {
        /// The model trained (its configuration's λ is not the run's).
        let model: AutoRec
        /// The parameters kept: the best epoch's with validation, else the last epoch's.
        let parameters: Parameters<Float>
        /// The history, the selected epoch and why the run stopped.
        let result: TrainingResult
        /// The optimizer's state after the last step.
        let optimizerState: Parameters<Float>
    }

    /// Where a run stands among the fit's runs, for progress reports.
    struct Label {
        /// `"λ search"` or `"final"`.
        let phase: String
        /// The run's number (1-based) and the runs planned.
        let number: Int, runs: Int
    }

    /// Trains on `inputs` with `lambda` for at most `epochs` epochs. `seedOffset` selects other
    /// initial weights and dropout draws (ensemble refits).
    func callAsFunction(on inputs: InstanceMatrix, lambda: Double, epochs: Int, validation: ValidationQuery?,
                        label: Label, progress: (FitProgress) -> Bool, seedOffset: UInt64 = 0) throws -> Outcome {
        let model = try AutoRec(configuration: configuration, inputSize: inputs.matrix.columns)
        var parameters: Parameters<Float> = model.graph.initialParameters(seed: options.seed &+ seedOffset &* 0x9E37_79B9)
        let trainingConfiguration = TrainingConfiguration(epochs: epochs, patience: validation == nil ? nil : options.patience,
                                                          restoreBest: validation != nil)
        let matrix = inputs.matrix
        let rate = options.learningRate.map { Float($0) }
        let callback: (EpochRecord) -> Bool = { record in
            progress(FitProgress(phase: label.phase, lambda: lambda, record: record, maxEpochs: epochs,
                                 run: label.number, runs: label.runs))
        }
        let validate: ((Parameters<Float>) -> Double)? = validation.map { v in { v.rmse(model: model, parameters: $0) } }
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
            _ = progress(FitProgress(phase: label.phase, lambda: lambda, record: last, maxEpochs: epochs,
                                     run: label.number, runs: label.runs, runEnded: true))
        }
        return Outcome(model: model, parameters: parameters, result: result, optimizerState: state)
    }
}
