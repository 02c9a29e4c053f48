import TapeGrad
import TapeGradLayers

/// The validation ratings a fit chooses on: a share of the training ratings held out, carved
/// once and passed to every stage that chooses (the λ search, the λ average, the blend weights)
/// and to every blend member, so all of them choose on the same ratings by construction.
///
/// Test ratings never come here: the split is made from the training ratings.
public struct ValidationSplit: Sendable {
    /// `train`: the ratings the λ search trains on; `test`: the held-out validation ratings.
    public let ratings: RatingSplit
    /// The range predictions are clipped to (the training ratings' range).
    public let scale: RatingScale
    /// Which validation pairs are warm with respect to ``RatingSplit/train``.
    public let pairs: WarmPairs

    /// Holds out `fraction` of `training` with ``RatingSplit/random(_:testFraction:seed:)``.
    /// - Throws: ``FitError`` when the held-out or the kept part would be empty (nothing could
    ///   be chosen).
    public init(_ training: RatingSet, fraction: Double, seed: UInt64, scale: RatingScale) throws(FitError) {
        if let problem = RatingSplit.emptyPart(count: training.count, fraction: fraction, heldOut: "validation", kept: "training") {
            throw FitError("too few training ratings for the λ search's validation holdout: \(problem); at least "
                           + "\(RatingSplit.minimumCount(fraction: fraction)) training ratings are needed")
        }
        ratings = RatingSplit.random(training, testFraction: fraction, seed: seed)
        self.scale = scale
        pairs = WarmPairs(users: ratings.test.userIndices, items: ratings.test.itemIndices,
                          ratingsPerUser: ratings.trainRatingsPerUser, ratingsPerItem: ratings.trainRatingsPerItem)
    }

    /// The split ``AutoRecFitter`` makes from `training` with `options`.
    public init(_ training: RatingSet, options: FitOptions, scale: RatingScale) throws(FitError) {
        try self.init(training, fraction: options.validationFraction, seed: options.seed, scale: scale)
    }

    /// The validation RMSE of predictions of the warm validation pairs (clipped here, the
    /// default rating for the cold ones).
    public func rmse(_ predictions: WarmPredictions) -> Double {
        RatingMetrics(predictions: pairs.finish(predictions, scale: scale), targets: ratings.test.values).rmse
    }

    /// The validation pairs arranged for models of one kind and centering, with their input rows
    /// built from the search's training ratings.
    func query(kind: AutoRecKind, centering: InputCentering) -> ValidationQuery {
        ValidationQuery(split: self, inputs: InstanceMatrix(ratings.train, kind: kind, centering: centering))
    }
}

/// The validation pairs of a ``ValidationSplit`` as queries of one kind of model: its input rows
/// (the search's training ratings) and the pattern of the warm pairs over them, built once per
/// fit.
struct ValidationQuery {
    /// The split it queries.
    let split: ValidationSplit
    /// The input rows the λ search trains on and predicts from.
    let inputs: InstanceMatrix
    /// The warm validation pairs over ``inputs``.
    let query: PairQuery

    init(split: ValidationSplit, inputs: InstanceMatrix) {
        self.split = split
        self.inputs = inputs
        query = PairQuery(split.pairs, users: split.ratings.test.userIndices, items: split.ratings.test.itemIndices,
                          inputs: inputs)
    }

    /// The model's unclipped predictions of the warm validation pairs.
    func predictions(model: AutoRec, parameters: Parameters<Float>) -> WarmPredictions {
        query.predictions(model: model, ensemble: [parameters], inputs: inputs)
    }

    /// The model's validation RMSE.
    func rmse(model: AutoRec, parameters: Parameters<Float>) -> Double {
        split.rmse(predictions(model: model, parameters: parameters))
    }
}
