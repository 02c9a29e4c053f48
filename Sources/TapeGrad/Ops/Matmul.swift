// Matrix products: dense · dense, sparse · dense, and the sampled dense–dense product.

/// matmul: C = op(A) · op(B), op = identity or transpose (the flags avoid materialising
/// transposes; the GEMM kernel reads either layout at full speed).
/// Pullback (no transposes): ∂A = C̄ · Bᵀ, ∂B = Aᵀ · C̄; with transposes the same products
/// with the operands' roles swapped so that every gradient has its input's shape:
/// C = AᵀB: ∂A = B · C̄ᵀ, ∂B = A · C̄;  C = ABᵀ: ∂A = C̄ · B, ∂B = C̄ᵀ · A;
/// C = AᵀBᵀ: ∂A = Bᵀ · C̄ᵀ, ∂B = C̄ᵀ · Aᵀ.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func matmul<Scalar>(_ a: Variable<Scalar>, _ b: Variable<Scalar>,
                           transposeA: Bool = false, transposeB: Bool = false) -> Variable<Scalar> {
    let (va, vb) = (a.value, b.value)
    let c = matmul(va, vb, transposeA: transposeA, transposeB: transposeB)
    return a.tape.record(c, op: "matmul", inputs: [a, b]) { g, needed in
        switch (transposeA, transposeB) {
        case (false, false):
            return [needed[0] ? matmul(g, vb, transposeB: true) : nil,
                    needed[1] ? matmul(va, g, transposeA: true) : nil]
        case (true, false):
            return [needed[0] ? matmul(vb, g, transposeB: true) : nil,
                    needed[1] ? matmul(va, g) : nil]
        case (false, true):
            return [needed[0] ? matmul(g, vb) : nil,
                    needed[1] ? matmul(g, va, transposeA: true) : nil]
        case (true, true):
            return [needed[0] ? matmul(vb, g, transposeA: true, transposeB: true) : nil,
                    needed[1] ? matmul(g, va, transposeA: true, transposeB: true) : nil]
        }
    }
}

/// The sparse × dense product S · W (inference path): `S` is rows×n CSR, `w` is n×k.
/// Cost: O(entries · k), independent of n. With `precision: .bf16` the rows of W are gathered
/// from a bfloat16 copy (see ``Precision``).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func matmul<Scalar>(_ s: SparseMatrix<Scalar>, _ w: Tensor<Scalar>, precision: Precision = .fp32) -> Tensor<Scalar> {
    precondition(w.rank == 2 && w.shape[0] == s.columns,
                 "matmul(sparse, dense): sparse matrix is \(s.rows)×\(s.columns), dense operand has shape \(w.shape)")
    return Kernels.spmmTensor(rowPointers: s.rowPointers, columnIndices: s.columnIndices, values: s.values,
                              rows: s.rows, w: w, precision: precision)
}

/// sparse matmul: Y = S · W with S a constant CSR matrix (rows×n) and W a variable (n×k).
/// Pullback: ∂W = Sᵀ · Ȳ, computed as a CSR product with the transposed structure so that each
/// thread owns the rows of ∂W it writes; rows of W whose column of S is empty get zero.
/// `precision: .bf16` gathers W (forward) and Ȳ (pullback) from bfloat16 copies, accumulating
/// in Float (see ``Precision``); the gradient has the error of Ȳ's rounding, ≤ 2⁻⁹ relative per term.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func matmul<Scalar>(_ s: SparseMatrix<Scalar>, _ w: Variable<Scalar>, precision: Precision = .fp32) -> Variable<Scalar> {
    let y = matmul(s, w.value, precision: precision)
    return w.tape.record(y, op: "sparse matmul", inputs: [w]) { g, _ in
        let t = s.transposedStructure()
        return [Kernels.spmmTensor(rowPointers: t.rowPointers, columnIndices: t.columnIndices, values: t.permuting(s.values),
                                   rows: s.columns, w: g, precision: precision)]
    }
}

/// The sampled product (inference path): sₚ = (A · op(B))[iₚ, jₚ] for each stored entry p of
/// `pattern`, as a vector in the pattern's entry order. `a` is rows×k; `b` is k×columns, or
/// columns×k when `transposeB`. Only the sampled entries are computed: O(entries · k).
/// With `precision: .bf16` the rows of B are gathered from a bfloat16 copy (see ``Precision``).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sampledMatmul<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, transposeB: Bool = false,
                                  at pattern: SparseMatrix<Scalar>, precision: Precision = .fp32) -> Tensor<Scalar> {
    let bt = transposeB ? b : b.transposed
    precondition(a.rank == 2 && bt.rank == 2 && a.shape[1] == bt.shape[1]
                 && a.shape[0] == pattern.rows && bt.shape[0] == pattern.columns,
                 "sampledMatmul: A \(a.shape) · B \(b.shape)\(transposeB ? "ᵀ" : "") does not match the \(pattern.rows)×\(pattern.columns) pattern")
    return Kernels.sddmmTensor(pattern: pattern, a: a, bt: bt, precision: precision)
}

/// sampled matmul (SDDMM): sₚ = Σₖ A[iₚ, k] · B[k, jₚ] at the stored entries p = (iₚ, jₚ) of a
/// constant pattern; the result is a vector with one value per entry.
/// Pullback: ∂A[i, :] = Σ_{p in row i} s̄ₚ · B[:, jₚ]ᵀ  (= S̄ · Bᵀ with S̄ the sparse matrix of s̄),
///           ∂B[:, j] = Σ_{p in column j} s̄ₚ · A[iₚ, :]ᵀ (= (S̄ᵀ · A)ᵀ);
/// both are sparse × dense products, so the cost stays O(entries · k).
/// `precision: .bf16` gathers B (forward and ∂A) and A (∂B) from bfloat16 copies, accumulating
/// in Float (see ``Precision``).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sampledMatmul<Scalar>(_ a: Variable<Scalar>, _ b: Variable<Scalar>, transposeB: Bool = false,
                                  at pattern: SparseMatrix<Scalar>, precision: Precision = .fp32) -> Variable<Scalar> {
    let va = a.value
    let bt = transposeB ? b.value : b.value.transposed
    let s = sampledMatmul(va, bt, transposeB: true, at: pattern, precision: precision)
    return a.tape.record(s, op: "sampled matmul", inputs: [a, b]) { g, needed in
        var da: Tensor<Scalar>?, db: Tensor<Scalar>?
        if needed[0] {
            da = Kernels.spmmTensor(rowPointers: pattern.rowPointers, columnIndices: pattern.columnIndices,
                                    values: g.scalars, rows: pattern.rows, w: bt, precision: precision)
        }
        if needed[1] {
            let t = pattern.transposedStructure()
            let dbt = Kernels.spmmTensor(rowPointers: t.rowPointers, columnIndices: t.columnIndices,
                                         values: t.permuting(g.scalars), rows: pattern.columns, w: va, precision: precision)
            db = transposeB ? dbt : dbt.transposed
        }
        return [da, db]
    }
}

extension Kernels {
    /// spmm on arrays, returning a rows×k tensor; `w` gathered in `precision`.
    static func spmmTensor<S: TensorScalar>(rowPointers: [Int], columnIndices: [Int32], values: [S],
                                            rows: Int, w: Tensor<S>, precision: Precision = .fp32) -> Tensor<S> {
        let k = w.shape[1]
        guard rows > 0, k > 0, !values.isEmpty else { return Tensor.zeros([rows, k]) }
        let out = [S](unsafeUninitializedCapacity: rows * k) { y, initialized in
            withGathered(w.scalars, precision: precision) { wBFloat16 in
                rowPointers.withUnsafeBufferPointer { rp in
                    columnIndices.withUnsafeBufferPointer { ci in
                        values.withUnsafeBufferPointer { v in
                            w.scalars.withUnsafeBufferPointer { pw in
                                spmm(rowPointers: rp.baseAddress!, columnIndices: ci.baseAddress!, values: v.baseAddress!,
                                     rows: rows, w: pw.baseAddress!, wRows: w.shape[0], k: k, y: y.baseAddress!,
                                     wBFloat16: wBFloat16)
                            }
                        }
                    }
                }
            }
            initialized = rows * k
        }
        return Tensor(shape: [rows, k], scalars: out)
    }

    /// sddmm on a pattern and two row-major operands (rows×k and columns×k); `bt` gathered in
    /// `precision`.
    static func sddmmTensor<S: TensorScalar>(pattern: SparseMatrix<S>, a: Tensor<S>, bt: Tensor<S>,
                                             precision: Precision = .fp32) -> Tensor<S> {
        let k = a.shape[1]
        guard k > 0, pattern.nonzeroCount > 0 else { return Tensor.zeros([pattern.nonzeroCount]) }
        let out = [S](unsafeUninitializedCapacity: pattern.nonzeroCount) { o, initialized in
            withGathered(bt.scalars, precision: precision) { bBFloat16 in
                pattern.rowPointers.withUnsafeBufferPointer { rp in
                    pattern.columnIndices.withUnsafeBufferPointer { ci in
                        a.scalars.withUnsafeBufferPointer { pa in
                            bt.scalars.withUnsafeBufferPointer { pb in
                                sddmm(rowPointers: rp.baseAddress!, columnIndices: ci.baseAddress!, rows: pattern.rows,
                                      columns: pattern.columns, a: pa.baseAddress!, b: pb.baseAddress!, k: k, out: o.baseAddress!,
                                      bBFloat16: bBFloat16)
                            }
                        }
                    }
                }
            }
            initialized = pattern.nonzeroCount
        }
        return Tensor(out)
    }
}
