import TapeGrad
import TapeGradLayers

/// Which roles rows and columns of the rating matrix play.
public enum AutoRecKind: String, Sendable, Codable, CaseIterable {
    /// I-AutoRec: one instance per item, its input the item's ratings by all users (the
    /// paper's better model).
    case item
    /// U-AutoRec: one instance per user, its input the user's ratings of all items.
    case user

    /// `I-AutoRec` or `U-AutoRec`, the paper's names, as reports and blend members use them.
    public var modelName: String { self == .item ? "I-AutoRec" : "U-AutoRec" }
}

/// The hyperparameters that define an AutoRec model.
public struct AutoRecConfiguration: Sendable, Codable, Equatable {
    /// Item- or user-based.
    public var kind: AutoRecKind = .item
    /// Hidden layer sizes: `[500]` is the paper's model, `[500, 250, 500]` its deep variant.
    public var hidden: [Int] = [500]
    /// g, the hidden activation (paper: sigmoid).
    public var hiddenActivation: ActivationFunction = .sigmoid
    /// f, the output activation (paper: identity).
    public var outputActivation: ActivationFunction = .identity
    /// λ in the objective Σ_observed (r − h(r))² + λ/2 · Σ‖W‖²_F.
    public var lambda: Double = 100
    /// Dropout rate on the hidden units during training (0: none, the paper's model). Decoded
    /// from older files as 0.
    public var hiddenDropout: Double = 0
    /// How ratings are centred before they enter the model (inputs and targets); the baseline
    /// is added back to the outputs. Decoded from older files as `.none` (the paper's model).
    public var centering: InputCentering = .none
    /// Denoising: in training, each observed input rating is dropped (set to the baseline) with
    /// this probability, while the loss still covers all observed ratings, so the network learns
    /// to predict ratings that are not in its input — which is what it does at test time.
    /// 0: none (the paper's model). Decoded from older files as 0.
    public var inputDropout: Double = 0
    /// The precision in which training passes gather the sparse products' operands: `.fp32`
    /// (the default) or `.bf16`, mixed precision with Float weights, gradients and optimizer
    /// state (see ``Precision`` and Docs/AutoRec.md for its accuracy). Predictions are always
    /// computed in fp32. Decoded from older files as `.fp32`.
    public var precision: Precision = .fp32

    /// The paper's defaults.
    public init(kind: AutoRecKind = .item, hidden: [Int] = [500], hiddenActivation: ActivationFunction = .sigmoid,
                outputActivation: ActivationFunction = .identity, lambda: Double = 100) {
        self.kind = kind
        self.hidden = hidden
        self.hiddenActivation = hiddenActivation
        self.outputActivation = outputActivation
        self.lambda = lambda
    }

    private enum CodingKeys: String, CodingKey { case kind, hidden, hiddenActivation, outputActivation, lambda, hiddenDropout, centering, inputDropout, precision }

    /// Decodes a configuration; keys added after version 1 of the model file are optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(AutoRecKind.self, forKey: .kind)
        hidden = try c.decode([Int].self, forKey: .hidden)
        hiddenActivation = try c.decode(ActivationFunction.self, forKey: .hiddenActivation)
        outputActivation = try c.decode(ActivationFunction.self, forKey: .outputActivation)
        lambda = try c.decode(Double.self, forKey: .lambda)
        hiddenDropout = try c.decodeIfPresent(Double.self, forKey: .hiddenDropout) ?? 0
        centering = try c.decodeIfPresent(InputCentering.self, forKey: .centering) ?? .none
        inputDropout = try c.decodeIfPresent(Double.self, forKey: .inputDropout) ?? 0
        precision = try c.decodeIfPresent(Precision.self, forKey: .precision) ?? .fp32
    }
}

/// AutoRec (Sedhain, Menon, Sanner, Xie, WWW 2015) as a layer graph:
/// h(r) = f(W · g(V r + μ) + b), trained on the observed entries only.
///
/// For I-AutoRec an instance r ∈ ℝᵐ is an item's column of the rating matrix (m users), for
/// U-AutoRec a user's row. The graph is
///
/// ```swift
/// Graph {
///     Input("ratings", sparse: m)
///     Dense(inputSize: m, outputSize: 500, activation: .sigmoid, name: "encoder")   // V, μ
///     Dense(inputSize: 500, outputSize: m, activation: .identity,
///           weightLayout: .outputsByInputs, name: "decoder")                        // W (m × k), b
/// }
/// ```
///
/// with more hidden `Dense` layers for deep variants. The input is sparse (the observed
/// ratings), so the encoder costs O(observed · k); the loss asks the graph for the output only
/// at the observed entries (training) or the queried ones (prediction), so the decoder costs
/// the same (in training the decoder fuses itself with the square loss). No instances ×
/// inputs matrix is ever formed.
public struct AutoRec: Sendable {
    /// The hyperparameters.
    public let configuration: AutoRecConfiguration
    /// The length of an instance vector (users for I-AutoRec, items for U-AutoRec).
    public let inputSize: Int
    /// The layer graph.
    public let graph: Graph

    /// Builds the graph; throws when a hidden size is not positive.
    public init(configuration: AutoRecConfiguration, inputSize: Int) throws(GraphError) {
        guard inputSize > 0 else { throw GraphError("AutoRec: the rating matrix has no \(configuration.kind == .item ? "users" : "items")") }
        guard configuration.hiddenDropout >= 0 && configuration.hiddenDropout < 1 else {
            throw GraphError("AutoRec: hidden dropout must be in [0, 1), got \(configuration.hiddenDropout)")
        }
        guard configuration.inputDropout >= 0 && configuration.inputDropout < 1 else {
            throw GraphError("AutoRec: input dropout must be in [0, 1), got \(configuration.inputDropout)")
        }
        guard !configuration.hidden.isEmpty, configuration.hidden.allSatisfy({ $0 > 0 }) else {
            throw GraphError("AutoRec: hidden sizes must be positive, got \(configuration.hidden)")
        }
        self.configuration = configuration
        self.inputSize = inputSize
        let sizes = configuration.hidden
        graph = try Graph {
            Input("ratings", sparse: inputSize)
            // Dropout on the sparse input drops observed entries only (masking noise).
            if configuration.inputDropout > 0 { Dropout(rate: configuration.inputDropout) }
            Dense(inputSize: inputSize, outputSize: sizes[0], activation: configuration.hiddenActivation, name: "encoder")
            if configuration.hiddenDropout > 0 { Dropout(rate: configuration.hiddenDropout) }
            for (i, size) in sizes.dropFirst().enumerated() {
                Dense(inputSize: sizes[i], outputSize: size, activation: configuration.hiddenActivation, name: "hidden\(i + 1)")
                if configuration.hiddenDropout > 0 { Dropout(rate: configuration.hiddenDropout) }
            }
            // Stored inputs × k: the decoder is evaluated at rating patterns (sampled product),
            // which reads W by output row; this layout spares a transpose of W and of its
            // gradient per step.
            Dense(inputSize: sizes[sizes.count - 1], outputSize: inputSize, activation: configuration.outputActivation,
                  weightLayout: .outputsByInputs, name: "decoder")
        }
    }

    /// The objective on a batch of instances and its gradient:
    /// Σ over the batch's observed entries of (r − h(r))² + λ/2 · Σ‖W‖²_F over the weights
    /// (biases are not regularised). The penalty is added once per call: for mini-batches,
    /// scale λ by the batch's share if you want the full-batch objective in expectation.
    ///
    /// `seed` draws the dropout masks when the configuration has hidden dropout; pass a
    /// different seed per step.
    public func objective<Scalar>(_ batch: SparseMatrix<Scalar>, parameters: Parameters<Scalar>,
                                  lambda: Double? = nil, seed: UInt64 = 0) -> (loss: Scalar, gradient: Parameters<Scalar>) {
        let lambda = lambda ?? configuration.lambda
        let (loss, gradient) = valueAndGradient(at: parameters) { tape, variables in
            let context = ForwardContext(tape: tape, isTraining: true, generator: SplitMix64(seed: seed),
                                         precision: configuration.precision)
            // Only the observed entries: the graph evaluates the decoder there (fused with the loss).
            let error = checked { () throws(GraphError) in
                try graph.evaluation(.sparse(batch), parameters: variables, context: context).squaredError(at: batch)
            }
            guard lambda > 0, let penalty = weightPenalty(variables, of: parameters) else { return error }
            return error + penalty * Scalar(lambda / 2)
        }
        return (loss, gradient)
    }

    /// The same objective computed the dense way (full output matrix and a 0/1 mask); for
    /// tests that the sparse path is exact, and for small data.
    public func denseObjective<Scalar>(_ batch: SparseMatrix<Scalar>, parameters: Parameters<Scalar>,
                                       lambda: Double? = nil) -> (loss: Scalar, gradient: Parameters<Scalar>) {
        let lambda = lambda ?? configuration.lambda
        let dense = batch.toDense()
        let mask = Tensor(shape: dense.shape, scalars: batch.replacingValues(Array(repeating: 1, count: batch.nonzeroCount)).toDense().scalars)
        let (loss, gradient) = valueAndGradient(at: parameters) { tape, variables in
            let context = ForwardContext(tape: tape, isTraining: true)
            let output = checked { () throws(GraphError) in
                try graph(.dense(tape.variable(dense, name: "ratings")), parameters: variables, context: context)
            }
            let error = maskedSquareLoss(output, target: dense, mask: mask)
            guard lambda > 0, let penalty = weightPenalty(variables, of: parameters) else { return error }
            return error + penalty * Scalar(lambda / 2)
        }
        return (loss, gradient)
    }

    /// Reconstructions h(r) at the entries of `queries`, where row i of `queries` asks for
    /// outputs of the instance whose input is row i of `inputs` (both instances × inputSize).
    /// Returns one raw (unclipped) value per query entry, in the query's entry order.
    /// Works in row blocks so memory stays O(block · hidden) whatever the data size.
    public func reconstruct<Scalar>(inputs: SparseMatrix<Scalar>, at queries: SparseMatrix<Scalar>,
                                    parameters: Parameters<Scalar>, blockSize: Int = 4096) -> [Scalar] {
        precondition(inputs.rows == queries.rows && inputs.columns == queries.columns,
                     "AutoRec.reconstruct: inputs are \(inputs.rows)×\(inputs.columns), queries \(queries.rows)×\(queries.columns)")
        var result = [Scalar]()
        result.reserveCapacity(queries.nonzeroCount)
        let tape = Tape<Scalar>(recording: false)
        let variables = graph.variables(parameters, on: tape)
        for start in stride(from: 0, to: inputs.rows, by: blockSize) {
            let rows = Array(start..<min(start + blockSize, inputs.rows))
            let q = queries.selectingRows(rows)
            guard q.nonzeroCount > 0 else { continue }
            let context = ForwardContext(tape: tape, isTraining: false)
            let values = checked { () throws(GraphError) in
                try graph.evaluation(.sparse(inputs.selectingRows(rows)), parameters: variables, context: context).output(at: q)
            }
            result.append(contentsOf: values.value.scalars)
        }
        return result
    }

    /// The full reconstruction of some instances (dense rows × inputSize): for recommending
    /// to one user (U-AutoRec) — a dense row of length inputSize, not a rating matrix.
    public func reconstructRows<Scalar>(inputs: SparseMatrix<Scalar>, parameters: Parameters<Scalar>) -> Tensor<Scalar> {
        checked { () throws(GraphError) in try graph.predict(inputs, parameters: parameters) }
    }

    /// The graph's result on a batch this model made or checked the shape of (callers pass
    /// instance rows of `inputSize` columns): a shape error here is a programming error.
    private func checked<T>(_ body: () throws(GraphError) -> T) -> T {
        do {
            return try body()
        } catch {
            preconditionFailure("AutoRec (\(inputSize) inputs): \(error)")
        }
    }
}
