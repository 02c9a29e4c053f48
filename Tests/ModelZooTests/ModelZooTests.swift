import Testing
import TapeGrad
import TapeGradLayers
import TapeGradCheck
import AutoRec
@testable import matrix_factorization
@testable import neumf
@testable import cdae
@testable import autorec_tied

// Each zoo model, as the program declares it, checked as a whole on a tiny instance in Double:
// the training objective the harness minimises (square loss at the batch's queries, plus λ/2
// times the model's penalty) against central differences along random directions.

/// A tiny rating set: 12 users, 15 items, 90 ratings.
let tinyRatings = SyntheticRatings.generate(users: 12, items: 15, ratings: 90, seed: 11)

/// The zoo's models on the tiny set.
func tinyModels() throws -> [(name: String, model: GraphRatingModel)] {
    let (u, i) = (tinyRatings.userCount, tinyRatings.itemCount)
    return [
        ("matrix-factorization", try GraphRatingModel(matrixFactorization(users: u, items: i, factors: 3), for: tinyRatings)),
        ("neumf", try GraphRatingModel(neuMF(users: u, items: i, gmf: 2, mlp: 3, tower: [4, 2]), for: tinyRatings)),
        ("cdae", try GraphRatingModel(collaborativeDenoisingAutoencoder(users: u, items: i, hidden: 4, corruption: 0.25), for: tinyRatings, rows: .user)),
        ("autorec-tied", try GraphRatingModel(tiedAutoRec(users: u, hidden: 4), for: tinyRatings, rows: .item)),
    ]
}

@Test("every zoo model passes a directional gradient check of its training objective (Double)",
      arguments: ["matrix-factorization", "neumf", "cdae", "autorec-tied"])
func zooGradientCheck(name: String) throws {
    let model = try #require(try tinyModels().first { $0.name == name }).model
    let parameters: Parameters<Double> = model.initialParameters(seed: 3)
    let data = RatingBatches<Double>(tinyRatings, input: model.input, offset: tinyRatings.mean)
    let batch = data.training(size: model.input == .pairs ? 20 : 4, seed: 5, epoch: 1)[0]
    let report = GradientCheck.run(name, at: parameters.tensors, mode: .directional(samples: 8)) { tape, variables in
        model.objective(batch, variables: variables, of: parameters, lambda: 0.7, share: 0.2,
                        context: ForwardContext(tape: tape, isTraining: true))
    }
    #expect(report.passed, "\(report)")
}

@Test("the rows models' loss, fused or not, equals the square loss of their predictions",
      arguments: ["cdae", "autorec-tied"])
func rowsModelLossMatchesPredictions(name: String) throws {
    let model = try #require(try tinyModels().first { $0.name == name }).model
    let parameters: Parameters<Double> = model.initialParameters(seed: 3)
    let batch = RatingBatches<Double>(tinyRatings, input: model.input).training(size: 5, seed: 2, epoch: 1)[0]
    let tape = Tape<Double>()
    let variables = parameters.tensors.map { tape.variable($0) }
    // Training mode, so CDAE's input dropout acts: the same seed draws the same mask for both.
    let loss = model.squaredError(batch, parameters: variables,
                                  context: ForwardContext(tape: tape, isTraining: true, generator: SplitMix64(seed: 9))).value.scalar
    let predictions = model.predictions(batch, parameters: variables,
                                        context: ForwardContext(tape: tape, isTraining: true, generator: SplitMix64(seed: 9))).value.scalars
    let composed = zip(predictions, batch.targets).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    #expect(abs(loss - composed) <= 1e-9 * max(1, composed))
}

@Test("matrix factorisation's penalty is the squared norm of the factor rows each rating looks up")
func matrixFactorizationPenalty() throws {
    let model = try GraphRatingModel(matrixFactorization(users: tinyRatings.userCount, items: tinyRatings.itemCount, factors: 3),
                                     for: tinyRatings)
    let parameters: Parameters<Double> = model.initialParameters(seed: 3)
    let batch = RatingBatches<Double>(tinyRatings, input: .pairs).training(size: 10, seed: 1, epoch: 1)[0]
    let tape = Tape<Double>()
    let variables = parameters.tensors.map { tape.variable($0) }
    let penalty = try #require(model.penalty(batch, variables: variables, of: parameters, share: 0.5,
                                             context: ForwardContext(tape: tape, isTraining: true))).value.scalar
    let p = try #require(parameters["userFactors.weight"]), q = try #require(parameters["itemFactors.weight"])
    var expected = 0.0
    for k in 0..<batch.count {
        let (u, i) = (Int(batch.users[k]), Int(batch.items[k]))
        for j in 0..<3 { expected += p.scalars[u * 3 + j] * p.scalars[u * 3 + j] + q.scalars[i * 3 + j] * q.scalars[i * 3 + j] }
    }
    #expect(abs(penalty - expected) < 1e-9)
}

@Test("a graph that does not fit the ratings is a GraphError naming the input and both shapes")
func graphRatingModelChecksTheGraph() throws {
    let wrongUsers = try matrixFactorization(users: tinyRatings.userCount + 1, items: tinyRatings.itemCount, factors: 2)
    #expect(throws: GraphError("input 'user' is [batch] ids in 0..<13 but the ratings need [batch] ids in 0..<12")) {
        try GraphRatingModel(wrongUsers, for: tinyRatings)
    }
    // Item rows read a sparse row of users: a graph of user rows does not fit.
    let userRows = try tiedAutoRec(users: tinyRatings.itemCount, hidden: 2)
    #expect(throws: GraphError.self) { try GraphRatingModel(userRows, for: tinyRatings, rows: .item) }
    let unknown = try Graph { Input("movie", ids: 3); Embedding(count: 3, dimension: 1) }
    #expect(throws: GraphError.self) { try GraphRatingModel(unknown, for: tinyRatings) }
}
