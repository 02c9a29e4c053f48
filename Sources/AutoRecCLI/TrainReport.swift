import Foundation
import AutoRec

// What `train` prints and writes: the summary, the metrics JSON, the chart.
extension AutoRecCommand {
    /// `ratings 1–5 (inferred from the training ratings)`: the range predictions are clipped to.
    static func describeScale(_ scale: RatingScale) -> String {
        (scale.minimum == scale.maximum ? "every rating is \(compactNumber(scale.minimum))"
            : "ratings \(compactNumber(scale.minimum))–\(compactNumber(scale.maximum))") + " (inferred from the training ratings)"
    }

    /// One split's fit and its test metrics.
    struct RunReport {
        /// The fit on the split's training ratings.
        var fit: FitResult
        /// Rating error on the split's test ratings.
        var metrics: RatingMetrics
        /// Top-10 ranking quality on them.
        var ranking: RankingMetrics
        /// The split.
        var split: RatingSplit
    }

    static func summary(_ reports: [RunReport], configuration: AutoRecConfiguration, options: FitOptions, data: String) -> String {
        let r = reports[0]
        let name = configuration.kind.modelName
        var lines = [
            "\(name): hidden \(configuration.hidden.map(String.init).joined(separator: ",")), \(configuration.hiddenActivation.rawValue)/\(configuration.outputActivation.rawValue), \(options.optimizer.rawValue)",
            "data: \(data): \(r.split.train.count) training ratings (\(r.split.train.userCount) users × \(r.split.train.itemCount) items), \(r.split.test.count) test ratings, "
                + describeScale(r.fit.recommender.scale),
        ]
        if reports.count == 1 {
            let trials = r.fit.trials.map { "\(formatLambda($0.lambda)) → \(String(format: "%.4f", $0.validationRMSE))" }.joined(separator: ", ")
            lines += [
                "lambda: \(formatLambda(r.fit.lambda)) (validation RMSE \(String(format: "%.4f", r.fit.validationRMSE)); tried \(trials))",
                "epochs: \(r.fit.epochs)\(options.refit ? " (then refit on all training ratings)" : "")",
                "λ average: \(r.fit.averagedLambdas.map(formatLambda).joined(separator: ", ")) (validation RMSE of the best n averaged: "
                    + r.fit.averageValidationRMSE.map { String(format: "%.4f", $0) }.joined(separator: ", ") + ")",
            ]
            if let b = r.fit.blend {
                lines.append("blend: " + b.members.map { "\($0.name) weight \(formatLambda($0.weight))" }.joined(separator: ", ")
                             + String(format: " (validation RMSE %.4f, main model alone %.4f)", b.validationRMSE, b.aloneValidationRMSE))
                for m in b.members {
                    lines.append("  \(m.name): λ \(m.fit.averagedLambdas.map(formatLambda).joined(separator: ", ")), validation RMSE "
                                 + String(format: "%.4f", m.fit.averageValidationRMSE.min() ?? .nan))
                }
            }
            lines += [
                testLine(r.metrics, defaultRating: r.fit.recommender.defaultRating),
                String(format: "P@10: %.4f   R@10: %.4f   NDCG@10: %.4f   (%d users, relevant = rating ≥ 4)",
                       r.ranking.precision, r.ranking.recall, r.ranking.ndcg, r.ranking.users),
                String(format: "time: %.1f s training, %.4f s per epoch", r.fit.trainSeconds, r.fit.secondsPerEpoch),
            ]
        } else {
            let (mean, ci) = meanAndConfidence95(reports.map(\.metrics.rmse))
            let (maeMean, maeCI) = meanAndConfidence95(reports.map(\.metrics.mae))
            lines += [
                String(format: "test RMSE: %.4f ± %.4f (95%% CI over %d splits)   MAE: %.4f ± %.4f", mean, ci, reports.count, maeMean, maeCI),
                "per split: " + reports.map { r in
                    String(format: "%.4f (λ %@%@)", r.metrics.rmse, formatLambda(r.fit.lambda),
                           r.fit.blend.map { ", blend weights " + $0.weights.map(formatLambda).joined(separator: "/") } ?? "")
                }.joined(separator: ", "),
                String(format: "time: %.1f s training in all", reports.reduce(0) { $0 + $1.fit.trainSeconds }),
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `test RMSE: 0.9000   MAE: 0.7000   (240 ratings, 3 cold → default 3)`, as train and
    /// evaluate print it; cold as ``Recommender/predictAndCount(users:items:)`` counts.
    static func testLine(_ m: RatingMetrics, defaultRating: Float) -> String {
        String(format: "test RMSE: %.4f   MAE: %.4f   (%d ratings, %d cold → default %@)", m.rmse, m.mae, m.count, m.coldCount,
               compactNumber(Double(defaultRating)))
    }

    static func formatLambda(_ x: Double) -> String { compactNumber(x) }

    static func metricsJSON(_ reports: [RunReport]) -> [String: Any] {
        func runJSON(_ r: RunReport) -> [String: Any] {
            var json: [String: Any] = [
                "test_rmse": r.metrics.rmse, "test_mae": r.metrics.mae, "validation_rmse": r.fit.validationRMSE,
                "lambda": r.fit.lambda, "epochs": r.fit.epochs, "seconds_per_epoch": r.fit.secondsPerEpoch,
                "train_seconds": r.fit.trainSeconds, "stop_reason": r.fit.stopReason.rawValue,
                "ratings": ["train": r.fit.searchRatings.train, "validation": r.fit.searchRatings.validation,
                            "test": r.split.test.count],
                "cold_test_ratings": r.metrics.coldCount,
                "precision_at_10": r.ranking.precision, "recall_at_10": r.ranking.recall, "ndcg_at_10": r.ranking.ndcg,
                "ranking_users": r.ranking.users,
                "lambda_trials": r.fit.trials.map { ["lambda": $0.lambda, "validation_rmse": $0.validationRMSE, "best_epoch": $0.bestEpoch] },
            ]
            json["averaged_lambdas"] = r.fit.averagedLambdas
            json["average_validation_rmse"] = r.fit.averageValidationRMSE
            if let b = r.fit.blend {
                json["blend"] = [
                    "validation_rmse": b.validationRMSE, "main_alone_validation_rmse": b.aloneValidationRMSE,
                    "weights": b.weights,
                    "weight_trials": b.trials.map { ["weights": $0.weights, "validation_rmse": $0.validationRMSE] },
                    "members": b.members.map { m -> [String: Any] in
                        let c = m.fit.recommender.model.configuration
                        return ["name": m.name, "model": c.kind == .item ? "item" : "user", "input_dropout": c.inputDropout,
                                "weight": m.weight, "lambda": m.fit.lambda, "averaged_lambdas": m.fit.averagedLambdas,
                                "validation_rmse": m.fit.averageValidationRMSE.min() ?? Double.nan, "epochs": m.fit.epochs,
                                "train_seconds": m.fit.trainSeconds,
                                "lambda_trials": m.fit.trials.map { ["lambda": $0.lambda, "validation_rmse": $0.validationRMSE, "best_epoch": $0.bestEpoch] }]
                    },
                ] as [String: Any]
            }
            json["history"] = r.fit.selectionHistory.map { h -> [String: Any] in
                ["epoch": h.epoch, "train_loss": h.trainLoss, "validation_rmse": h.validation.map { $0 as Any } ?? NSNull(), "seconds": h.seconds]
            }
            json["final_history"] = r.fit.history.map { h -> [String: Any] in
                ["epoch": h.epoch, "train_loss": h.trainLoss, "seconds": h.seconds]
            }
            return json
        }
        var json = runJSON(reports[0])
        if reports.count > 1 {
            let (mean, ci) = meanAndConfidence95(reports.map(\.metrics.rmse))
            json["runs"] = reports.map(runJSON)
            json["test_rmse_mean"] = mean
            json["test_rmse_ci95"] = ci
        }
        return json
    }

    /// The training chart: one panel per fitted model (the main model, then each blend member),
    /// each with the validation RMSE per epoch of the λ runs its λ average kept (right axis,
    /// its range set by the last two thirds of the epochs, so the converged region fills the
    /// panel), the best λ's training loss and that of its refit on all training ratings (left
    /// axis, logarithmic: the first epochs' losses are orders of magnitude above the rest), and
    /// a marker at the epoch that was kept. `note` is added to the first panel's title.
    static func plot(_ fit: FitResult, configuration: AutoRecConfiguration, note: String = "") -> String {
        let name = configuration.kind.modelName
        var panels = [plotPanel(fit, title: name + (fit.blend.map { b in
            " (main model, weight \(compactNumber(1 - b.weights.reduce(0, +))))" } ?? "") + note)]
        for member in fit.blend?.members ?? [] {
            panels.append(plotPanel(member.fit, title: "\(member.name) (blend weight \(compactNumber(member.weight)))"))
        }
        return LineChart.svg(stacking: panels)
    }

    /// One model's panel of ``plot(_:configuration:note:)``.
    static func plotPanel(_ fit: FitResult, title: String) -> LineChart {
        let kept = fit.averagedLambdas.compactMap { l in fit.trials.first { $0.lambda == l } }
        var chart = LineChart(title: title + ": \(kept.count == 1 ? "one λ run" : "the \(kept.count) λ runs averaged")",
                              xLabel: "epoch", yLabel: "training loss (log scale)", rightYLabel: "validation RMSE", series: [],
                              height: 420)
        chart.leftScale = .logarithmic
        let best = fit.selectionHistory
        chart.series.append(LineChart.Series(name: "training loss, λ \(formatLambda(fit.lambda))",
                                             points: best.map { (Double($0.epoch), $0.trainLoss) }))
        if fit.history != best {
            chart.series.append(LineChart.Series(name: "refit on all training ratings", points: fit.history.map { (Double($0.epoch), $0.trainLoss) },
                                                 color: "#7f7f7f"))
        }
        var later = [Double](), all = [Double]()
        for trial in kept {
            let points = trial.history.compactMap { r in r.validation.map { (Double(r.epoch), $0) } }.filter { $0.1.isFinite }
            chart.series.append(LineChart.Series(name: "validation RMSE, λ \(formatLambda(trial.lambda))", points: points, axis: .right))
            all += points.map(\.1)
            // The first epochs (from random weights, with Rprop's early oscillations) are far
            // above the rest; only the last two thirds set the range.
            later += points.dropFirst(max(5, points.count / 3)).map(\.1)
        }
        if let low = all.min(), let high = (later.isEmpty ? all : later).max(), high > low {
            let pad = (high - low) * 0.05
            chart.rightRange = (low - pad)...(high + pad)
        }
        if let first = kept.first {
            chart.markers = [LineChart.Marker(x: Double(first.bestEpoch), label: "kept: epoch \(first.bestEpoch) (λ \(formatLambda(first.lambda)))")]
        }
        return chart
    }
}
