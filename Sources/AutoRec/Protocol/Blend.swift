import Foundation
import TapeGrad
import TapeGradLayers

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

extension AutoRecFitter {
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
}

/// The fit's last stage (``FitOptions/blend``): fits the further members on the same training
/// ratings and validation split, each with its own λ average and refit, and chooses the blend
/// weights on the validation split.
struct Blend {
    /// The main model's hyperparameters.
    let configuration: AutoRecConfiguration
    /// How the main model was fitted (the members are fitted the same way).
    let options: FitOptions

    /// A further model to fit.
    struct Member {
        /// Its name in reports.
        let name: String
        /// Its hyperparameters.
        let configuration: AutoRecConfiguration
        /// Its λ candidates.
        let plan: LambdaSearch.Plan
    }

    /// The members beside `main`: the other kind, whose λ search starts at the main model's λ,
    /// and, with ``FitOptions/denoisingMember``, the main kind with input dropout, trained for
    /// the main model's averaged λ.
    func members(beside main: FitResult) -> [Member] {
        var other = configuration
        other.kind = configuration.kind == .item ? .user : .item
        var result = [Member(name: other.kind.modelName, configuration: other,
                             plan: options.lambdas.map { .fixed($0) } ?? .automatic(start: [main.lambda]))]
        if options.denoisingMember > 0 {
            var denoising = configuration
            denoising.inputDropout = options.denoisingMember
            result.append(Member(name: "\(configuration.kind.modelName), input dropout \(compactNumber(options.denoisingMember))",
                                 configuration: denoising, plan: .fixed(options.lambdas ?? main.averagedLambdas)))
        }
        return result
    }

    /// Fits the members beside `main` and returns `main` with the blend chosen on `validation`.
    func callAsFunction(_ main: FitResult, training: RatingSet, validation: ValidationSplit,
                        progress: (FitProgress) -> Bool) throws -> FitResult {
        let specs = members(beside: main)
        let fits = try fitMembers(specs, training: training, validation: validation, progress: progress)
        let trials = Blend.weightTrials(main: main.validationPredictions, members: fits.results.map(\.validationPredictions),
                                        validation: validation)
        let best = trials.min { $0.validationRMSE < $1.validationRMSE }!
        var main = main
        main.trainSeconds += fits.wallSeconds
        let r = main.recommender
        main.recommender = try Recommender(model: r.model, ensemble: r.ensemble, training: training, scale: validation.scale,
                                           blend: zip(fits.results, best.weights).map { fit, w in
                                               BlendComponent(model: fit.recommender.model, ensemble: fit.recommender.ensemble, weight: Float(w))
                                           })
        main.blend = BlendFit(members: zip(specs, zip(fits.results, best.weights)).map { spec, fw in
            BlendMember(name: spec.name, fit: fw.0, weight: fw.1)
        }, trials: trials)
        return main
    }

    /// The validation RMSE of every weight vector of ``AutoRecFitter/blendWeightVectors(members:)``
    /// for the mix of the main model's and the members' validation predictions (mixed before
    /// clipping).
    static func weightTrials(main: WarmPredictions, members: [WarmPredictions],
                             validation: ValidationSplit) -> [(weights: [Double], validationRMSE: Double)] {
        AutoRecFitter.blendWeightVectors(members: members.count).map { w in
            (weights: w, validationRMSE: validation.rmse(.blend([main] + members, weights: w.map { Float($0) })))
        }
    }

    /// The members' fits, side by side.
    ///
    /// The members depend on the main model (its λ) but not on one another, so they are fitted
    /// in parallel with the threads shared out between them: on small data one thread per fit
    /// does more work per second than two threads on one fit (the products are small), and each
    /// fit is bit-identical whatever its thread count, so the results are those of fitting the
    /// members one after the other.
    private func fitMembers(_ specs: [Member], training: RatingSet, validation: ValidationSplit,
                            progress: (FitProgress) -> Bool) throws -> (results: [FitResult], wallSeconds: Double) {
        let threads = Parallelism.threads
        let perMember = max(1, threads / specs.count)
        let lock = NSLock()
        var results = [Result<FitResult, any Error>?](repeating: nil, count: specs.count)
        let start = DispatchTime.now().uptimeNanoseconds
        parallelFor(specs.count, threads: min(threads, specs.count)) { i in
            let spec = specs[i]
            let result = Result {
                try Parallelism.$threads.withValue(perMember) {
                    try AutoRecFitter(configuration: spec.configuration, options: options)
                        .fitSingle(training, validation: validation, plan: spec.plan) { p in
                            var p = p
                            p.phase = "\(spec.name): \(p.phase)"
                            return lock.withLock { progress(p) }
                        }
                }
            }
            lock.withLock { results[i] = result }
        }
        // Wall time: the members' own times overlap.
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (try results.map { try $0!.get() }, seconds)
    }
}
