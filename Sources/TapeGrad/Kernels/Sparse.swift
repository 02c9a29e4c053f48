// The two sparse kernels everything sparse reduces to:
//   spmm:  Y = S · W        (CSR times dense; rows of W gathered, scaled, summed)
//   sddmm: s_p = A[i_p] · B[j_p]  for each stored entry p = (i_p, j_p) of a pattern
// Their pullbacks are again spmm (with the pattern or its transpose), so the cost of AutoRec is
// proportional to the number of observed ratings times the hidden size.
//
// Performance notes (measured on the project machine, see Examples/tapegrad-bench):
// - Both kernels are bound by loading gathered rows of the dense operand (k = 500: 2 KB per
//   stored entry), not by arithmetic. spmm therefore keeps its output in registers (8 or 4
//   SIMD16 accumulators) instead of doing a load–add–store of the output row per entry, so the
//   loads of successive entries overlap.
// - When a 64-column slab of the gathered operand fits in L2, spmm runs slab by slab over all
//   of a thread's rows: every gathered row segment then comes from L2 instead of L3/DRAM.
// - Rows are split between threads by stored entries, not by rows (rating data is skewed).
// - Determinism: every output element is computed by one thread, summing the row's entries in
//   storage order; the split between threads never changes what a row computes.

extension Kernels {
    /// Column-slab width of the slab-ordered spmm and the L2 budget its gathered slab must fit.
    static let spmmSlabWidth = 64
    static let spmmSlabBudgetBytes = 1_600_000

    /// Runs `body` on contiguous row ranges holding about equal numbers of stored entries (plus
    /// one unit per row for writing it), one range per thread.
    static func forRowRanges(rowPointers: UnsafePointer<Int>, rows: Int, k: Int, _ body: (Range<Int>) -> Void) {
        guard rows > 0 else { return }
        let nnz = rowPointers[rows]
        let total = nnz + rows
        let parts = min(Parallelism.threads, rows, max(1, total * max(k, 1) / (1 << 15)))
        if parts <= 1 { body(0..<rows); return }
        // cost(r) = rowPointers[r] + r is increasing; boundary c is the first row with cost ≥ c·total/parts.
        var bounds = [Int](repeating: 0, count: parts + 1)
        bounds[parts] = rows
        for c in 1..<parts {
            let target = total * c / parts
            var lo = bounds[c - 1], hi = rows
            while lo < hi {
                let mid = (lo + hi) / 2
                if rowPointers[mid] + mid < target { lo = mid + 1 } else { hi = mid }
            }
            bounds[c] = lo
        }
        parallelFor(parts, threads: parts) { c in
            if bounds[c] < bounds[c + 1] { body(bounds[c]..<bounds[c + 1]) }
        }
    }

    /// `y[r, :] = Σ_p values[p] · w[columns[p], :]` for every row r of a CSR matrix; `y` is
    /// rows×k and fully overwritten. With `valueIndex`, entry p's value is
    /// `values[valueIndex[p]]` (a permutation applied on the fly, for the transposed pattern).
    /// `wRows` is the number of rows of `w` (it decides the cache blocking). Rows are split
    /// between threads by stored entries; each thread writes its own rows.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func spmm<S: TensorScalar>(rowPointers: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>,
                                      values: UnsafePointer<S>, valueIndex: UnsafePointer<Int>? = nil, rows: Int,
                                      w: UnsafePointer<S>, wRows: Int, k: Int, y: UnsafeMutablePointer<S>) {
        guard rows > 0, k > 0 else { return }
        let slabFits = wRows * spmmSlabWidth * MemoryLayout<S>.stride <= spmmSlabBudgetBytes
        forRowRanges(rowPointers: rowPointers, rows: rows, k: k) { range in
            if k < 16 {
                for r in range {
                    spmmScalar(rowPointers[r], rowPointers[r + 1], columnIndices, values, valueIndex, w, k, y + r * k)
                }
            } else if k < 64 {
                forEachChunk(k, width: 16) { j in
                    for r in range {
                        spmmChunk1(rowPointers[r], rowPointers[r + 1], columnIndices, values, valueIndex, w + j, k, y + r * k + j)
                    }
                }
            } else if slabFits || k < 128 {
                // Slab order: one 64-column slab of w (fits L2) serves all of this thread's rows.
                forEachChunk(k, width: 64) { j in
                    for r in range {
                        spmmChunk4(rowPointers[r], rowPointers[r + 1], columnIndices, values, valueIndex, w + j, k, y + r * k + j)
                    }
                }
            } else {
                // Row order: 128 columns at a time; the row's gathered rows stay in L2 between chunks.
                for r in range {
                    let (start, end) = (rowPointers[r], rowPointers[r + 1])
                    forEachChunk(k, width: 128) { j in
                        spmmChunk8(start, end, columnIndices, values, valueIndex, w + j, k, y + r * k + j)
                    }
                }
            }
        }
    }

    /// Calls `body(j)` for column offsets covering 0..<k with chunks of `width` (k ≥ width);
    /// the last chunk is shifted left to end at k, overlapping the previous one. Overlap is
    /// harmless for spmm: a column's result does not depend on the chunk that computes it.
    @inline(__always)
    static func forEachChunk(_ k: Int, width: Int, _ body: (Int) -> Void) {
        var j = 0
        while j + width <= k { body(j); j += width }
        if j < k { body(k - width) }
    }

    @inline(__always)
    static func entryValue<S: TensorScalar>(_ values: UnsafePointer<S>, _ valueIndex: UnsafePointer<Int>?, _ p: Int) -> S {
        if let valueIndex { return values[valueIndex[p]] }
        return values[p]
    }

    @inline(__always)
    static func load16<S: TensorScalar>(_ p: UnsafePointer<S>) -> SIMD16<S> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<S>.self)
    }

    @inline(__always)
    static func store16<S: TensorScalar>(_ v: SIMD16<S>, _ p: UnsafeMutablePointer<S>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<S>.self)
    }

    /// 128 output columns of one row, in eight register accumulators.
    @inline(__always)
    static func spmmChunk8<S: TensorScalar>(_ start: Int, _ end: Int, _ columns: UnsafePointer<Int32>, _ values: UnsafePointer<S>,
                                            _ valueIndex: UnsafePointer<Int>?, _ w: UnsafePointer<S>, _ k: Int,
                                            _ out: UnsafeMutablePointer<S>) {
        var a0 = SIMD16<S>(), a1 = SIMD16<S>(), a2 = SIMD16<S>(), a3 = SIMD16<S>()
        var a4 = SIMD16<S>(), a5 = SIMD16<S>(), a6 = SIMD16<S>(), a7 = SIMD16<S>()
        var p = start
        while p < end {
            let v = SIMD16<S>(repeating: entryValue(values, valueIndex, p))
            let x = w + Int(columns[p]) * k
            a0 += v * load16(x); a1 += v * load16(x + 16); a2 += v * load16(x + 32); a3 += v * load16(x + 48)
            a4 += v * load16(x + 64); a5 += v * load16(x + 80); a6 += v * load16(x + 96); a7 += v * load16(x + 112)
            p += 1
        }
        store16(a0, out); store16(a1, out + 16); store16(a2, out + 32); store16(a3, out + 48)
        store16(a4, out + 64); store16(a5, out + 80); store16(a6, out + 96); store16(a7, out + 112)
    }

    /// 64 output columns of one row, in four register accumulators.
    @inline(__always)
    static func spmmChunk4<S: TensorScalar>(_ start: Int, _ end: Int, _ columns: UnsafePointer<Int32>, _ values: UnsafePointer<S>,
                                            _ valueIndex: UnsafePointer<Int>?, _ w: UnsafePointer<S>, _ k: Int,
                                            _ out: UnsafeMutablePointer<S>) {
        var a0 = SIMD16<S>(), a1 = SIMD16<S>(), a2 = SIMD16<S>(), a3 = SIMD16<S>()
        var p = start
        while p < end {
            let v = SIMD16<S>(repeating: entryValue(values, valueIndex, p))
            let x = w + Int(columns[p]) * k
            a0 += v * load16(x); a1 += v * load16(x + 16); a2 += v * load16(x + 32); a3 += v * load16(x + 48)
            p += 1
        }
        store16(a0, out); store16(a1, out + 16); store16(a2, out + 32); store16(a3, out + 48)
    }

    /// 16 output columns of one row.
    @inline(__always)
    static func spmmChunk1<S: TensorScalar>(_ start: Int, _ end: Int, _ columns: UnsafePointer<Int32>, _ values: UnsafePointer<S>,
                                            _ valueIndex: UnsafePointer<Int>?, _ w: UnsafePointer<S>, _ k: Int,
                                            _ out: UnsafeMutablePointer<S>) {
        var a0 = SIMD16<S>()
        var p = start
        while p < end {
            a0 += SIMD16<S>(repeating: entryValue(values, valueIndex, p)) * load16(w + Int(columns[p]) * k)
            p += 1
        }
        store16(a0, out)
    }

    /// A whole row for k < 16.
    @inline(__always)
    static func spmmScalar<S: TensorScalar>(_ start: Int, _ end: Int, _ columns: UnsafePointer<Int32>, _ values: UnsafePointer<S>,
                                            _ valueIndex: UnsafePointer<Int>?, _ w: UnsafePointer<S>, _ k: Int,
                                            _ out: UnsafeMutablePointer<S>) {
        out.initialize(repeating: 0, count: k)
        for p in start..<end {
            let v = entryValue(values, valueIndex, p)
            let x = w + Int(columns[p]) * k
            for j in 0..<k { out[j] += v * x[j] }
        }
    }

    /// `out[p] = a[i_p, :] · b[j_p, :]` for every stored entry p of a CSR pattern, with `a`
    /// rows×k and `b` columns×k (both row-major, so every dot product reads contiguous memory).
    /// Rows are split between threads by stored entries.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func sddmm<S: TensorScalar>(rowPointers: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>,
                                       rows: Int, a: UnsafePointer<S>, b: UnsafePointer<S>, k: Int,
                                       out: UnsafeMutablePointer<S>) {
        forRowRanges(rowPointers: rowPointers, rows: rows, k: k) { range in
            for r in range {
                let ar = a + r * k
                var p = rowPointers[r]
                let end = rowPointers[r + 1]
                // Two entries at a time: the loads of a's row serve both dot products.
                while p + 2 <= end {
                    let (d0, d1) = dot2(ar, b + Int(columnIndices[p]) * k, b + Int(columnIndices[p + 1]) * k, k)
                    out[p] = d0
                    out[p + 1] = d1
                    p += 2
                }
                if p < end { out[p] = dot(ar, b + Int(columnIndices[p]) * k, k) }
            }
        }
    }

    /// `x[0..<k] · y[0..<k]`: four SIMD16 partial sums over 64-element steps, then one over
    /// 16-element steps, then the scalar tail (a fixed order: results do not depend on threads).
    @inline(__always)
    static func dot<S: TensorScalar>(_ x: UnsafePointer<S>, _ y: UnsafePointer<S>, _ k: Int) -> S {
        var a0 = SIMD16<S>(), a1 = SIMD16<S>(), a2 = SIMD16<S>(), a3 = SIMD16<S>()
        var j = 0
        while j + 64 <= k {
            a0 += load16(x + j) * load16(y + j)
            a1 += load16(x + j + 16) * load16(y + j + 16)
            a2 += load16(x + j + 32) * load16(y + j + 32)
            a3 += load16(x + j + 48) * load16(y + j + 48)
            j += 64
        }
        while j + 16 <= k {
            a0 += load16(x + j) * load16(y + j)
            j += 16
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while j < k { s += x[j] * y[j]; j += 1 }
        return s
    }

    /// `(x · y0, x · y1)` with the same summation order as ``dot(_:_:_:)``.
    @inline(__always)
    static func dot2<S: TensorScalar>(_ x: UnsafePointer<S>, _ y0: UnsafePointer<S>, _ y1: UnsafePointer<S>, _ k: Int) -> (S, S) {
        var a0 = SIMD16<S>(), a1 = SIMD16<S>(), a2 = SIMD16<S>(), a3 = SIMD16<S>()
        var b0 = SIMD16<S>(), b1 = SIMD16<S>(), b2 = SIMD16<S>(), b3 = SIMD16<S>()
        var j = 0
        while j + 64 <= k {
            let x0 = load16(x + j), x1 = load16(x + j + 16), x2 = load16(x + j + 32), x3 = load16(x + j + 48)
            a0 += x0 * load16(y0 + j); a1 += x1 * load16(y0 + j + 16)
            a2 += x2 * load16(y0 + j + 32); a3 += x3 * load16(y0 + j + 48)
            b0 += x0 * load16(y1 + j); b1 += x1 * load16(y1 + j + 16)
            b2 += x2 * load16(y1 + j + 32); b3 += x3 * load16(y1 + j + 48)
            j += 64
        }
        while j + 16 <= k {
            let x0 = load16(x + j)
            a0 += x0 * load16(y0 + j)
            b0 += x0 * load16(y1 + j)
            j += 16
        }
        var s0 = ((a0 + a1) + (a2 + a3)).sum()
        var s1 = ((b0 + b1) + (b2 + b3)).sum()
        while j < k { s0 += x[j] * y0[j]; s1 += x[j] * y1[j]; j += 1 }
        return (s0, s1)
    }
}
