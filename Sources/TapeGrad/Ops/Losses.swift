// Losses and penalties: the ops that end a graph in a scalar.

/// masked square loss: L = Σᵢ mᵢ (pᵢ − tᵢ)² for a prediction p, a constant target t and a
/// constant mask m of the same shape (1 where the target is observed, 0 elsewhere; other
/// weights are allowed). Entries with mᵢ = 0 contribute nothing, whatever their target.
/// Pullback: ∂p = 2 m ⊙ (p − t) · L̄.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func maskedSquareLoss<Scalar>(_ prediction: Variable<Scalar>, target: Tensor<Scalar>,
                                     mask: Tensor<Scalar>) -> Variable<Scalar> {
    precondition(prediction.shape == target.shape && target.shape == mask.shape,
                 "maskedSquareLoss: prediction \(prediction.shape), target \(target.shape) and mask \(mask.shape) must have one shape")
    let p = prediction.value
    var residual = [Scalar](repeating: 0, count: p.count)  // m ⊙ (p − t)
    var total = 0.0
    for i in 0..<p.count where mask.scalars[i] != 0 {
        let r = p.scalars[i] - target.scalars[i]
        residual[i] = mask.scalars[i] * r
        total += Double(residual[i]) * Double(r)
    }
    let shape = p.shape
    return prediction.tape.record(Tensor(scalar: Scalar(total)), op: "masked square loss", inputs: [prediction]) { g, _ in
        [Tensor(shape: shape, scalars: residual) * (2 * g.scalar)]
    }
}

/// sampled square loss: L = Σₚ (sₚ − vₚ)² over the stored entries p of a sparse matrix, with
/// s a vector of predictions in the matrix's entry order (the output of
/// ``sampledMatmul(_:_:transposeB:at:)-(Variable,Variable,_,_)``) and v the matrix's values.
/// This is the masked square loss with the mask implicit in the sparsity pattern: unobserved
/// entries are neither stored nor computed.
/// Pullback: ∂s = 2 (s − v) · L̄.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sampledSquareLoss<Scalar>(_ prediction: Variable<Scalar>, targets: SparseMatrix<Scalar>) -> Variable<Scalar> {
    precondition(prediction.value.rank == 1 && prediction.value.count == targets.nonzeroCount,
                 "sampledSquareLoss: prediction of shape \(prediction.shape) for a pattern with \(targets.nonzeroCount) entries")
    let residual = Kernels.zip(prediction.value.scalars, targets.values) { $0 - $1 }
    let total = residual.reduce(0.0) { $0 + Double($1) * Double($1) }
    return prediction.tape.record(Tensor(scalar: Scalar(total)), op: "sampled square loss", inputs: [prediction]) { g, _ in
        [Tensor(residual) * (2 * g.scalar)]
    }
}

/// Frobenius regularisation: L = Σ_w ‖w‖²_F = Σ_w Σᵢ wᵢ² over a list of parameters (the
/// λ/2 factor of a weight-decay penalty is applied by the caller).
/// Pullback: ∂w = 2 w · L̄ for each w.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func frobeniusPenalty<Scalar>(_ parameters: [Variable<Scalar>]) -> Variable<Scalar> {
    precondition(!parameters.isEmpty, "frobeniusPenalty: needs at least one parameter")
    let values = parameters.map(\.value)
    let total = values.reduce(0.0) { $0 + Double($1.sumOfSquares()) }
    return parameters[0].tape.record(Tensor(scalar: Scalar(total)), op: "frobenius penalty", inputs: parameters) { g, needed in
        values.enumerated().map { i, w in needed[i] ? w * (2 * g.scalar) : nil }
    }
}
