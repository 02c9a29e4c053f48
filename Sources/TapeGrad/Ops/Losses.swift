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
    let residual = Tensor(Kernels.zip(prediction.value.scalars, targets.values) { $0 - $1 })
    return prediction.tape.record(Tensor(scalar: residual.sumOfSquares()), op: "sampled square loss", inputs: [prediction]) { g, _ in
        [residual * (2 * g.scalar)]
    }
}

/// sampled affine square loss, the output layer of a sampled decoder fused with its square loss:
/// L = Σₚ (a[iₚ, :] · b[jₚ, :] + c[jₚ] − vₚ)² over the stored entries p = (iₚ, jₚ) of `targets`
/// (values vₚ), with `a` rows×k (the hidden rows), `b` columns×k (a weight stored outputs ×
/// inputs) and `c` a bias of length columns. The same value as
/// `sampledSquareLoss(sampledMatmul(a, b, transposeB: true, at: targets) + gather(c, at: targets.columnIndices), targets:)`
/// with one pass over the gathered rows of b instead of two: the residual's gradient with
/// respect to `a` is accumulated while each row of b is in L1 (`Kernels.sampledAffineResidual`).
/// Pullback, with eₚ = a[iₚ]·b[jₚ] + c[jₚ] − vₚ:
/// ∂a[i] = 2L̄ Σ_{p in row i} eₚ b[jₚ]  (formed in the forward pass),
/// ∂b[j] = 2L̄ Σ_{p in column j} eₚ a[iₚ]  (an spmm with the transposed pattern),
/// ∂c[j] = 2L̄ Σ_{p in column j} eₚ.
/// `precision: .bf16` gathers b (residuals and ∂a) and a (∂b) from bfloat16 copies, accumulating
/// in Float (see ``Precision``).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sampledAffineSquareLoss<Scalar>(_ a: Variable<Scalar>, _ b: Variable<Scalar>, bias c: Variable<Scalar>,
                                            targets: SparseMatrix<Scalar>, precision: Precision = .fp32) -> Variable<Scalar> {
    let (va, vb, vc) = (a.value, b.value, c.value)
    precondition(va.rank == 2 && vb.rank == 2 && va.shape[1] == vb.shape[1] && va.shape[0] == targets.rows
                 && vb.shape[0] == targets.columns && vc.shape == [targets.columns],
                 "sampledAffineSquareLoss: a \(va.shape), b \(vb.shape), bias \(vc.shape) do not fit the \(targets.rows)×\(targets.columns) pattern")
    let k = va.shape[1]
    let count = targets.nonzeroCount
    let fused = count > 0 && k > 0
    // The kernel writes every residual and clears and fills every row of gradA itself, so the
    // arrays are only zero-filled here when it does not run (gradA can be users × k: 960 MB for
    // U-AutoRec at the Netflix shape).
    var residual = fused ? [Scalar](unsafeUninitializedCapacity: count) { _, n in n = count } : [Scalar](repeating: 0, count: count)
    var gradA = fused ? [Scalar](unsafeUninitializedCapacity: va.count) { _, n in n = va.count } : [Scalar](repeating: 0, count: va.count)
    if fused {
        Kernels.withGathered(vb.scalars, precision: precision) { bBFloat16 in
            targets.rowPointers.withUnsafeBufferPointer { rp in
                targets.columnIndices.withUnsafeBufferPointer { ci in
                    targets.values.withUnsafeBufferPointer { v in
                        va.scalars.withUnsafeBufferPointer { pa in
                            vb.scalars.withUnsafeBufferPointer { pb in
                                vc.scalars.withUnsafeBufferPointer { pc in
                                    residual.withUnsafeMutableBufferPointer { e in
                                        gradA.withUnsafeMutableBufferPointer { ga in
                                            Kernels.sampledAffineResidual(
                                                rowPointers: rp.baseAddress!, columnIndices: ci.baseAddress!, rows: targets.rows,
                                                columns: targets.columns, a: pa.baseAddress!, b: pb.baseAddress!, bias: pc.baseAddress!,
                                                target: v.baseAddress!, k: k, residual: e.baseAddress!, gradA: ga.baseAddress!,
                                                bBFloat16: bBFloat16)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let e = Tensor(residual)
    let da = Tensor(shape: va.shape, scalars: gradA)
    return a.tape.record(Tensor(scalar: e.sumOfSquares()), op: "sampled affine square loss", inputs: [a, b, c]) { g, needed in
        let scale = 2 * g.scalar
        var db: Tensor<Scalar>?, dc: Tensor<Scalar>?
        if needed[1] || needed[2] {
            // ∂L/∂output per entry, as the unfused pullbacks would receive it, in the order of
            // the transposed pattern (one per column j of the targets, entries contiguous).
            let t = targets.transposedStructure()
            let scaled = t.permuting(residual, scale: scale)
            if needed[1] {
                db = Kernels.spmmTensor(rowPointers: t.rowPointers, columnIndices: t.columnIndices, values: scaled,
                                        rows: targets.columns, w: va, precision: precision)
            }
            if needed[2] {
                let sums = [Scalar](unsafeUninitializedCapacity: targets.columns) { out, initialized in
                    Parallelism.forChunks(targets.columns, grain: 256) { range in
                        for j in range {
                            var total: Scalar = 0
                            for q in t.rowPointers[j]..<t.rowPointers[j + 1] { total += scaled[q] }
                            out[j] = total
                        }
                    }
                    initialized = targets.columns
                }
                dc = Tensor(sums)
            }
        }
        return [needed[0] ? da * scale : nil, db, dc]
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

/// How a loss over a batch combines its examples' losses.
public enum LossReduction: Sendable {
    /// The mean over the examples (PyTorch's default): the loss does not grow with the batch size.
    case mean
    /// The sum over the examples.
    case sum
}

/// cross-entropy from logits with integer class labels, as `torch.nn.functional.cross_entropy(
/// logits, labels)`: for logits x of shape [batch, classes] (unnormalised scores, no softmax
/// applied) and labels c_b ∈ 0..<classes,
/// L = Σ_b −log softmax(x_b)[c_b] = Σ_b (log Σⱼ e^{x_bj} − x_b[c_b]), divided by the batch size
/// for ``LossReduction/mean``. Evaluated through log-softmax (the row maximum subtracted), so
/// it is finite for any finite logits. A label outside `0..<classes` traps, naming it.
/// Pullback: ∂x_b = s L̄ (softmax(x_b) − onehot(c_b)), s = 1/batch (mean) or 1 (sum).
@_specialize(where Scalar == Float, Label == Int)
@_specialize(where Scalar == Double, Label == Int)
@_specialize(where Scalar == Float, Label == Int32)
@_specialize(where Scalar == Double, Label == Int32)
public func crossEntropy<Scalar, Label: BinaryInteger>(logits: Variable<Scalar>, labels: [Label],
                                                       reduction: LossReduction = .mean) -> Variable<Scalar> {
    let x = logits.value
    precondition(x.rank == 2 && labels.count == x.shape[0],
                 "crossEntropy: logits of shape \(x.shape) need one label per row, got \(labels.count) labels")
    let classes = x.shape[1]
    let ls = logSoftmax(x)
    var total = 0.0
    for (b, c) in labels.enumerated() {
        precondition(c >= 0 && c < classes, "crossEntropy: label \(c) of row \(b) outside 0..<\(classes) for logits of shape \(x.shape)")
        total -= Double(ls.scalars[b * classes + Int(c)])
    }
    let scale: Scalar = reduction == .mean ? 1 / Scalar(labels.count) : 1
    return logits.tape.record(Tensor(scalar: Scalar(total) * scale), op: "cross entropy", inputs: [logits]) { g, _ in
        let s = scale * g.scalar
        var dx = ls.scalars  // becomes s · softmax(x) − s · onehot
        dx.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            Kernels.exponentiate(base, count: p.count)
            for i in 0..<p.count { p[i] *= s }
            for (b, c) in labels.enumerated() { p[b * classes + Int(c)] -= s }
        }
        return [Tensor(shape: x.shape, scalars: dx)]
    }
}

/// cross-entropy from logits with probability targets (soft labels), as
/// `torch.nn.functional.cross_entropy(logits, target)` with a float target: for logits x and
/// targets t of shape [batch, classes] (rows of t usually sum to 1),
/// L = −Σ_b Σⱼ t_bj log softmax(x_b)ⱼ, divided by the batch size for ``LossReduction/mean``.
/// One-hot rows of t give the same value as the integer-label version.
/// Pullback: ∂x_b = s L̄ (softmax(x_b) Σⱼ t_bj − t_b), s = 1/batch (mean) or 1 (sum).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func crossEntropy<Scalar>(logits: Variable<Scalar>, probabilities t: Tensor<Scalar>,
                                 reduction: LossReduction = .mean) -> Variable<Scalar> {
    let x = logits.value
    precondition(x.rank == 2 && t.shape == x.shape,
                 "crossEntropy: logits of shape \(x.shape) and probabilities of shape \(t.shape) must be one [batch, classes] shape")
    let (batch, classes) = (x.shape[0], x.shape[1])
    let ls = logSoftmax(x)
    var total = 0.0
    for i in 0..<x.count where t.scalars[i] != 0 { total -= Double(t.scalars[i]) * Double(ls.scalars[i]) }
    let scale: Scalar = reduction == .mean ? 1 / Scalar(batch) : 1
    return logits.tape.record(Tensor(scalar: Scalar(total) * scale), op: "cross entropy", inputs: [logits]) { g, _ in
        let s = scale * g.scalar
        var dx = ls.scalars  // becomes s · (softmax(x) Σⱼ t − t)
        dx.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            Kernels.exponentiate(base, count: p.count)
            t.scalars.withUnsafeBufferPointer { pt in
                for b in 0..<batch {
                    var mass: Scalar = 0
                    for j in 0..<classes { mass += pt[b * classes + j] }
                    for j in 0..<classes { p[b * classes + j] = s * (p[b * classes + j] * mass - pt[b * classes + j]) }
                }
            }
        }
        return [Tensor(shape: x.shape, scalars: dx)]
    }
}
