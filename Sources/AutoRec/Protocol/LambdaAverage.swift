import TapeGrad
/// The fit's second stage: averages the models of the best λ of the search, as many as the
/// validation split likes (see ``FitOptions/lambdaAverage``).
struct LambdaAverage {
    /// The most λ averaged.
    let limit: Int
    /// Whether the number is chosen; without the refit only the best λ's model exists, so one
    /// is taken (the validation RMSE of each n is still reported).
    let chooses: Bool

    /// What the average is made of.
    struct Result {
        /// The validation RMSE of the average of the best n trials, for n = 1, 2, … (the first
        /// is the best λ's own).
        var validationRMSE: [Double]
        /// The averaged trials, best first.
        var trials: [LambdaTrial]
        /// Their mean validation predictions.
        var predictions: WarmPredictions
    }

    /// Ranks the trials that did not diverge by validation RMSE and averages the best n
    /// trials' validation predictions for each n ≤ ``limit``.
    func callAsFunction(_ search: LambdaSearch.Result, validation: ValidationSplit) -> Result {
        let trials = search.trials
        let ranked = trials.indices.filter { trials[$0].divergence == nil && trials[$0].validationRMSE.isFinite }
            .sorted { trials[$0].validationRMSE < trials[$1].validationRMSE }
        func mean(ofBest n: Int) -> WarmPredictions { .mean(ranked.prefix(n).map { search.predictions[$0] }) }
        let rmse = (1...max(1, min(limit, ranked.count))).map { validation.rmse(mean(ofBest: $0)) }
        let count = chooses ? rmse.indices.min { rmse[$0] < rmse[$1] }! + 1 : 1
        return Result(validationRMSE: rmse, trials: ranked.prefix(count).map { trials[$0] }, predictions: mean(ofBest: count))
    }
}
