// The two sparse kernels everything sparse reduces to:
//   spmm:  Y = S · W        (CSR times dense; rows of W gathered, scaled, summed)
//   sddmm: s_p = A[i_p] · B[j_p]  for each stored entry p = (i_p, j_p) of a pattern
// Their pullbacks are again spmm (with the pattern or its transpose), so the cost of AutoRec is
// proportional to the number of observed ratings times the hidden size.

extension Kernels {
    /// `y[r, :] = Σ_p values[p] · w[columns[p], :]` for every row r of a CSR matrix; `y` is
    /// rows×k and fully overwritten. Rows are split between threads, each writes its own rows.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func spmm<S: TensorScalar>(rowPointers: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>,
                                      values: UnsafePointer<S>, rows: Int,
                                      w: UnsafePointer<S>, k: Int, y: UnsafeMutablePointer<S>) {
        let nnz = rowPointers[rows]
        let grain = max(1, rows * 4096 / max(nnz * k, 1))
        Parallelism.forChunks(rows, grain: grain) { chunk in
            for r in chunk {
                let out = y + r * k
                out.initialize(repeating: 0, count: k)
                for p in rowPointers[r]..<rowPointers[r + 1] {
                    axpy(values[p], w + Int(columnIndices[p]) * k, out, k)
                }
            }
        }
    }

    /// `out[p] = a[i_p, :] · b[j_p, :]` for every stored entry p of a CSR pattern, with `a`
    /// rows×k and `b` columns×k (both row-major, so every dot product reads contiguous memory).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func sddmm<S: TensorScalar>(rowPointers: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>,
                                       rows: Int, a: UnsafePointer<S>, b: UnsafePointer<S>, k: Int,
                                       out: UnsafeMutablePointer<S>) {
        let nnz = rowPointers[rows]
        let grain = max(1, rows * 4096 / max(nnz * k, 1))
        Parallelism.forChunks(rows, grain: grain) { chunk in
            for r in chunk {
                let ar = a + r * k
                for p in rowPointers[r]..<rowPointers[r + 1] {
                    out[p] = dot(ar, b + Int(columnIndices[p]) * k, k)
                }
            }
        }
    }

    /// `y[0..<k] += alpha · x[0..<k]`.
    @inline(__always)
    static func axpy<S: TensorScalar>(_ alpha: S, _ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, _ k: Int) {
        var j = 0
        let va = SIMD16<S>(repeating: alpha)
        while j + 16 <= k {
            let xv = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<S>.self)
            let yv = UnsafeRawPointer(y + j).loadUnaligned(as: SIMD16<S>.self)
            UnsafeMutableRawPointer(y + j).storeBytes(of: yv + va * xv, as: SIMD16<S>.self)
            j += 16
        }
        while j < k { y[j] += alpha * x[j]; j += 1 }
    }

    /// `x[0..<k] · y[0..<k]` with 16 independent partial sums (vectorised; the summation order
    /// is fixed, so results do not depend on threads).
    @inline(__always)
    static func dot<S: TensorScalar>(_ x: UnsafePointer<S>, _ y: UnsafePointer<S>, _ k: Int) -> S {
        var acc = SIMD16<S>()
        var j = 0
        while j + 16 <= k {
            let xv = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<S>.self)
            let yv = UnsafeRawPointer(y + j).loadUnaligned(as: SIMD16<S>.self)
            acc += xv * yv
            j += 16
        }
        var s = acc.sum()
        while j < k { s += x[j] * y[j]; j += 1 }
        return s
    }
}
