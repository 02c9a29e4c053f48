/// How ``AutoRecFitter`` trains and selects λ. Docs/AutoRec.md gives the measurements behind
/// the defaults.
public struct FitOptions: Sendable {
    /// The optimizer.
    public var optimizer: OptimizerChoice = .rprop
    /// The most epochs any training run takes.
    public var maxEpochs: Int = 300
    /// Early stopping: epochs without a better validation RMSE before a run stops.
    public var patience: Int = 25
    /// The optimizer's learning rate (Rprop: initial step), nil for its default.
    public var learningRate: Double?
    /// Instances per mini-batch for Adam and SGD (Rprop and L-BFGS are full batch).
    public var batchSize: Int = 64
    /// The λ candidates; one value means fixed λ, nil means the automatic grid
    /// (``AutoRecFitter/coarseGrid`` then a refinement around the best).
    public var lambdas: [Double]?
    /// The share of training ratings held out for validation (``ValidationSplit``).
    public var validationFraction: Double = 0.1
    /// Seeds the validation split, the initial weights and the batch order.
    public var seed: UInt64 = 1
    /// After choosing λ and the epoch count on validation, train again on all training ratings
    /// for that many epochs (more data; the validation split is part of the training data).
    public var refit: Bool = true
    /// How many models to average: the refit model(s) from different initial weights (seeds
    /// seed, seed+1, …) plus the early-stopped model from the λ search. Averaging independently
    /// initialised networks lowers the variance part of the error; 1 means a single model.
    public var ensembleSize: Int = 1
    /// Averages the models of up to this many of the best λ of the search (best first); how
    /// many is chosen on the validation split (the average of the first n models' validation
    /// predictions, for each n ≤ this). Models of neighbouring λ differ much more than models of
    /// one λ from different seeds, so their average removes more variance. Each chosen λ is
    /// refit for its own best epoch count. 1: the single best λ. Without refit only the best
    /// λ's model is kept (the others' parameters are not stored during the search).
    public var lambdaAverage: Int = 5
    /// Blends the main model with further models fitted the same way (each its own λ average
    /// and refit) on the same training ratings and validation split: the model of the other
    /// kind (U-AutoRec beside I-AutoRec, and vice versa) and, when ``denoisingMember`` > 0, the
    /// main kind with input dropout. The weights are chosen on the validation split from a grid
    /// over the simplex (``AutoRecFitter/blendWeights`` per member, sums ≤ 1, the main model
    /// keeps the rest; all-zero keeps the main model alone, so validation never prefers a worse
    /// stack). The two kinds see the rating matrix from different sides, so their errors are
    /// less correlated than those of two models of one kind. The other kind's λ search starts
    /// at the main model's λ instead of ``AutoRecFitter/coarseGrid`` (its best λ lies near it),
    /// which keeps the blend inside the default run's time budget.
    public var blend: Bool = true
    /// The input dropout rate of the stack's third member, a denoising model of the main kind
    /// (0: no third member; only with ``blend``). Denoising changes what the network learns
    /// (to predict ratings absent from its input), so its errors differ from the plain model's
    /// more than another seed's would. It has no λ search of its own: it is trained for each λ
    /// of the main model's λ average and averages the best of them as the λ average does. Its
    /// weight is chosen on validation per data set (0 drops it).
    public var denoisingMember: Double = 0.25

    /// The defaults: Rprop, λ chosen automatically, refit, the average of up to 5 λ models,
    /// blended with the other kind and a denoising member.
    public init() {}

    /// The fewest training ratings a fit accepts: enough that the validation holdout
    /// (``validationFraction``) and the ratings the λ search trains on both hold at least one
    /// rating (5 with the default 10%). Fewer is a ``FitError``.
    public var minimumTrainingRatings: Int { RatingSplit.minimumCount(fraction: validationFraction) }
}
