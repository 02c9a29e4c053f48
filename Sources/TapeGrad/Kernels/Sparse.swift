// The two sparse kernels everything sparse reduces to:
//   spmm:  Y = S · W        (CSR times dense; rows of W gathered, scaled, summed)
//   sddmm: s_p = A[i_p] · B[j_p]  for each stored entry p = (i_p, j_p) of a pattern
// Their pullbacks are again spmm (with the pattern or its transpose), so the cost of AutoRec is
// proportional to the number of observed ratings times the hidden size. A third kernel,
// `sampledAffineResidual` (at the end of the file), fuses an sddmm with the spmm that follows
// it in a square loss's backward pass, reusing each gathered row while it is in L1.
//
// Performance notes (measured with `tapegrad-bench sparse`, see Docs/Performance.md):
// - Both kernels are bound by moving gathered rows of the dense operand (k = 500: 2 KB per
//   stored entry), not by arithmetic: one multiply-add per 4 bytes loaded. Where those rows come
//   from decides the speed, so the work is tiled in two dimensions (`SparseTiling`):
//   * column blocks: the pattern's columns are cut into blocks whose rows of the gathered
//     operand fill about twice L2; a thread runs every one of its rows over one block before
//     moving to the next, so the gathered rows come from L2/L3 instead of DRAM;
//   * row groups: a thread's rows are cut into groups whose output (spmm) or A rows (sddmm)
//     fit its share of L3, so the rows revisited once per column block stay in L3.
//   Each row's entries inside a block are contiguous in CSR (columns increase within a row); a
//   per-row cursor finds them without any stored index. Consecutive rows' entries in one block
//   lie far apart, so the hardware prefetchers cannot guess them: the walk prefetches the
//   column indices (and, through the kernel's `prefetch`, its per-entry arrays) of the row
//   `SparseTiling.prefetchRows` ahead, or the first load of each (row, block) waits on L3.
// - spmm accumulates each row in chunks of 128/64/16 columns held in registers, loaded from and
//   stored to the output once per (row, block). Every output element still sees its row's
//   entries in storage order, each as `acc + v · w`, so results are bit-identical to a plain
//   row-by-row loop and independent of the blocking and the thread count.
// - Rows are split between threads by stored entries, not by rows (rating data is skewed).
// - For Float the loops inside a tile are C (Sources/CTapeGradKernels/sparse.c), compiled for
//   AVX-512, AVX2+FMA and portably and chosen at run time, because this package passes no
//   target-CPU flag to Swift (it could not be used as a versioned dependency if it did), and
//   Swift's SIMD code built for baseline x86-64 is SSE2 with a library call per lane for each
//   fused multiply-add. They round exactly as the Swift loops below, which remain for Double
//   (gradient checks). The C kernels also read bfloat16 copies of the gathered operand
//   (`Precision.bf16`): the same loops with half the bytes per gathered row.

import CTapeGradKernels

extension Kernels {
    /// How the sparse kernels tile their work (see the notes at the top of this file).
    struct SparseTiling: Sendable {
        /// Columns of the pattern per block.
        let blockColumns: Int
        /// Rows per group.
        let groupRows: Int
        /// How many rows ahead the tile walk prefetches a row's entries in the current block.
        static let prefetchRows = 4

        /// A tiling given explicitly (tests use tiny ones to exercise every path on small data).
        init(blockColumns: Int, groupRows: Int) {
            precondition(blockColumns > 0 && groupRows > 0, "SparseTiling: block \(blockColumns) and group \(groupRows) must be positive")
            self.blockColumns = blockColumns
            self.groupRows = groupRows
        }

        /// The tiling for this machine's caches. Blocks: the gathered operand's rows of a block
        /// fill twice L2. Measured on ML-1M and ML-10M patterns (k = 500, 1 MiB L2): blocks of
        /// 128–256 columns (in L2) lose to 1,024 (2 MiB, served by L3) because a sparse row has
        /// too few entries in a narrow block to pay for loading and storing its output row once
        /// per block; no blocking at all is 1.9–3.9× slower on ML-10M (by product), where the whole
        /// operand (140 MB) is in DRAM. Groups: a thread's output (or A) rows fill its share of a
        /// quarter of L3, so they are still in L3 when the next block revisits them.
        init(columns: Int, k: Int, stride: Int, threads: Int) {
            let rowBytes = max(1, k * stride)
            self.init(blockColumns: max(16, min(max(columns, 1), 2 * CacheSizes.l2 / rowBytes)),
                      groupRows: max(64, CacheSizes.l3 / 4 / max(1, threads) / rowBytes))
        }
    }

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

    /// Visits the stored entries of rows `range` tile by tile: for each group of rows, for each
    /// block of `blockColumns` columns (in increasing order), for each row of the group that has
    /// entries in the block, `body(row, start, end)` with the entries `start..<end` of that row
    /// lying in the block. Every row's entries are visited in storage order. Before a row's
    /// tile, the column indices of the row `SparseTiling.prefetchRows` further on are prefetched,
    /// and `prefetch(p)` is called with its first entry p in the block, for the body's own
    /// per-entry arrays. (With a single block the rows' entries are visited in memory order,
    /// which the hardware prefetchers follow, so nothing is prefetched.)
    @inline(__always)
    static func forEachTile(rowPointers: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>, range: Range<Int>,
                            columns: Int, tiling: SparseTiling, prefetch: (Int) -> Void, _ body: (Int, Int, Int) -> Void) {
        if columns <= tiling.blockColumns {
            for r in range where rowPointers[r] < rowPointers[r + 1] { body(r, rowPointers[r], rowPointers[r + 1]) }
            return
        }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: min(range.count, tiling.groupRows)) { cursor in
            var groupStart = range.lowerBound
            while groupStart < range.upperBound {
                let group = groupStart..<min(range.upperBound, groupStart + tiling.groupRows)
                for r in group { cursor[r - group.lowerBound] = rowPointers[r] }
                var blockEnd = 0
                while blockEnd < columns {
                    blockEnd = min(columns, blockEnd + tiling.blockColumns)
                    let limit = Int32(truncatingIfNeeded: blockEnd)
                    for r in group {
                        if r + SparseTiling.prefetchRows < group.upperBound {
                            let next = cursor[r + SparseTiling.prefetchRows - group.lowerBound]
                            tg_prefetch(columnIndices + next)
                            prefetch(next)
                        }
                        let start = cursor[r - group.lowerBound], rowEnd = rowPointers[r + 1]
                        var end = start
                        while end < rowEnd && columnIndices[end] < limit { end += 1 }
                        if end > start {
                            body(r, start, end)
                            cursor[r - group.lowerBound] = end
                        }
                    }
                }
                groupStart = group.upperBound
            }
        }
    }

    /// The frame of every tiled kernel: rows split between threads by stored entries; in each
    /// thread, its rows of `zeroing` (rows × k, when given) cleared, then `body(row, start, end)`
    /// for its tiles in order, with `prefetch` for the per-entry arrays the body reads or writes
    /// (see ``forEachTile(rowPointers:columnIndices:range:columns:tiling:prefetch:_:)``).
    @inline(__always)
    static func forEachTileOnThreads<S: TensorScalar>(rowPointers: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>,
                                                      rows: Int, columns: Int, k: Int, tiling: SparseTiling?,
                                                      zeroing output: UnsafeMutablePointer<S>?, prefetch: (Int) -> Void = { _ in },
                                                      _ body: (Int, Int, Int) -> Void) {
        let tiling = tiling ?? SparseTiling(columns: columns, k: k, stride: MemoryLayout<S>.stride, threads: Parallelism.threads)
        forRowRanges(rowPointers: rowPointers, rows: rows, k: k) { range in
            output?.advanced(by: range.lowerBound * k).initialize(repeating: 0, count: range.count * k)
            forEachTile(rowPointers: rowPointers, columnIndices: columnIndices, range: range, columns: columns,
                        tiling: tiling, prefetch: prefetch, body)
        }
    }

    /// `y[r, :] = Σ_p values[p] · w[columns[p], :]` for every row r of a CSR matrix; `y` is
    /// rows×k and fully overwritten. (Values are read in entry order: a transposed pattern's
    /// values are permuted into its order first — ``TransposedStructure/permuting(_:scale:)`` — because
    /// reading them through the permutation here made the products about 30% slower.)
    /// `wRows` is the number of rows of `w` (the pattern's column count; it decides the
    /// blocking). Rows are split between threads by stored entries; each thread writes its own rows.
    /// With `wBFloat16` (Float only: a bfloat16 copy of `w`), the rows are gathered from the copy.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func spmm<S: TensorScalar>(rowPointers: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>,
                                      values: UnsafePointer<S>, rows: Int,
                                      w: UnsafePointer<S>, wRows: Int, k: Int, y: UnsafeMutablePointer<S>,
                                      wBFloat16: UnsafePointer<UInt16>? = nil, tiling: SparseTiling? = nil) {
        guard rows > 0, k > 0 else { return }
        if S.self == Float.self {
            let (v, wf, out) = (floats(values), floats(w), mutableFloats(y))
            forEachTileOnThreads(rowPointers: rowPointers, columnIndices: columnIndices, rows: rows, columns: wRows, k: k,
                                 tiling: tiling, zeroing: out, prefetch: { tg_prefetch(v + $0) }) { r, start, end in
                if let wBFloat16 {
                    tg_spmm_row_bf16(columnIndices + start, v + start, end - start, wBFloat16, k, out + r * k)
                } else {
                    tg_spmm_row_f32(columnIndices + start, v + start, end - start, wf, k, out + r * k)
                }
            }
            return
        }
        forEachTileOnThreads(rowPointers: rowPointers, columnIndices: columnIndices, rows: rows, columns: wRows, k: k,
                             tiling: tiling, zeroing: y) { r, start, end in
            let out = y + r * k
            var j = 0
            while j + 128 <= k { spmmAccumulate8(start, end, columnIndices, values, w + j, k, out + j); j += 128 }
            if j + 64 <= k { spmmAccumulate4(start, end, columnIndices, values, w + j, k, out + j); j += 64 }
            while j + 16 <= k { spmmAccumulate1(start, end, columnIndices, values, w + j, k, out + j); j += 16 }
            if j < k { spmmAccumulateScalar(start, end, columnIndices, values, w + j, k, k - j, out + j) }
        }
    }

    /// `p` as Float memory, for the C kernels (callers check `S == Float` first).
    @inline(__always)
    static func floats<S: TensorScalar>(_ p: UnsafePointer<S>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    /// `p` as mutable Float memory, for the C kernels (callers check `S == Float` first).
    @inline(__always)
    static func mutableFloats<S: TensorScalar>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    @inline(__always)
    static func load16<S: TensorScalar>(_ p: UnsafePointer<S>) -> SIMD16<S> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<S>.self)
    }

    @inline(__always)
    static func store16<S: TensorScalar>(_ v: SIMD16<S>, _ p: UnsafeMutablePointer<S>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<S>.self)
    }

    /// `out[0..<128] += Σ_p v_p · w[col_p, 0..<128]` over entries start..<end, in eight register
    /// accumulators (one load and one store of the output per call).
    @inline(__always)
    static func spmmAccumulate8<S: TensorScalar>(_ start: Int, _ end: Int, _ columns: UnsafePointer<Int32>, _ values: UnsafePointer<S>,
                                                 _ w: UnsafePointer<S>, _ k: Int,
                                                 _ out: UnsafeMutablePointer<S>) {
        var a0 = load16(out), a1 = load16(out + 16), a2 = load16(out + 32), a3 = load16(out + 48)
        var a4 = load16(out + 64), a5 = load16(out + 80), a6 = load16(out + 96), a7 = load16(out + 112)
        var p = start
        while p < end {
            let v = SIMD16<S>(repeating: values[p])
            let x = w + Int(columns[p]) * k
            a0 += v * load16(x); a1 += v * load16(x + 16); a2 += v * load16(x + 32); a3 += v * load16(x + 48)
            a4 += v * load16(x + 64); a5 += v * load16(x + 80); a6 += v * load16(x + 96); a7 += v * load16(x + 112)
            p += 1
        }
        store16(a0, out); store16(a1, out + 16); store16(a2, out + 32); store16(a3, out + 48)
        store16(a4, out + 64); store16(a5, out + 80); store16(a6, out + 96); store16(a7, out + 112)
    }

    /// As ``spmmAccumulate8`` for 64 columns.
    @inline(__always)
    static func spmmAccumulate4<S: TensorScalar>(_ start: Int, _ end: Int, _ columns: UnsafePointer<Int32>, _ values: UnsafePointer<S>,
                                                 _ w: UnsafePointer<S>, _ k: Int,
                                                 _ out: UnsafeMutablePointer<S>) {
        var a0 = load16(out), a1 = load16(out + 16), a2 = load16(out + 32), a3 = load16(out + 48)
        var p = start
        while p < end {
            let v = SIMD16<S>(repeating: values[p])
            let x = w + Int(columns[p]) * k
            a0 += v * load16(x); a1 += v * load16(x + 16); a2 += v * load16(x + 32); a3 += v * load16(x + 48)
            p += 1
        }
        store16(a0, out); store16(a1, out + 16); store16(a2, out + 32); store16(a3, out + 48)
    }

    /// As ``spmmAccumulate8`` for 16 columns.
    @inline(__always)
    static func spmmAccumulate1<S: TensorScalar>(_ start: Int, _ end: Int, _ columns: UnsafePointer<Int32>, _ values: UnsafePointer<S>,
                                                 _ w: UnsafePointer<S>, _ k: Int,
                                                 _ out: UnsafeMutablePointer<S>) {
        var a0 = load16(out)
        var p = start
        while p < end {
            a0 += SIMD16<S>(repeating: values[p]) * load16(w + Int(columns[p]) * k)
            p += 1
        }
        store16(a0, out)
    }

    /// As ``spmmAccumulate8`` for the last `width` (< 16) columns, element by element.
    @inline(__always)
    static func spmmAccumulateScalar<S: TensorScalar>(_ start: Int, _ end: Int, _ columns: UnsafePointer<Int32>, _ values: UnsafePointer<S>,
                                                      _ w: UnsafePointer<S>, _ k: Int, _ width: Int,
                                                      _ out: UnsafeMutablePointer<S>) {
        for p in start..<end {
            let v = values[p]
            let x = w + Int(columns[p]) * k
            for j in 0..<width { out[j] += v * x[j] }
        }
    }

    /// `out[p] = a[i_p, :] · b[j_p, :]` for every stored entry p of a CSR pattern, with `a`
    /// rows×k and `b` columns×k (both row-major, so every dot product reads contiguous memory).
    /// `columns` is the pattern's column count (the rows of `b`; it decides the blocking). Rows
    /// are split between threads by stored entries; tiles as in ``spmm``, so the gathered rows
    /// of `b` come from L2/L3 rather than DRAM. With `bBFloat16` (Float only: a bfloat16 copy
    /// of `b`), the rows of `b` are gathered from the copy.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func sddmm<S: TensorScalar>(rowPointers: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>,
                                       rows: Int, columns: Int, a: UnsafePointer<S>, b: UnsafePointer<S>, k: Int,
                                       out: UnsafeMutablePointer<S>, bBFloat16: UnsafePointer<UInt16>? = nil,
                                       tiling: SparseTiling? = nil) {
        if S.self == Float.self {
            let (af, bf, o) = (floats(a), floats(b), mutableFloats(out))
            forEachTileOnThreads(rowPointers: rowPointers, columnIndices: columnIndices, rows: rows, columns: columns, k: k,
                                 tiling: tiling, zeroing: Optional<UnsafeMutablePointer<Float>>.none,
                                 prefetch: { tg_prefetch(o + $0) }) { r, start, end in
                if let bBFloat16 {
                    tg_sddmm_row_bf16(columnIndices + start, end - start, af + r * k, bBFloat16, k, o + start)
                } else {
                    tg_sddmm_row_f32(columnIndices + start, end - start, af + r * k, bf, k, o + start)
                }
            }
            return
        }
        forEachTileOnThreads(rowPointers: rowPointers, columnIndices: columnIndices, rows: rows, columns: columns, k: k,
                             tiling: tiling, zeroing: Optional<UnsafeMutablePointer<S>>.none) { r, start, end in
            let ar = a + r * k
            var p = start
            // Four entries at a time: the loads of a's row serve four dot products.
            while p + 4 <= end {
                let d = dot4(ar, b + Int(columnIndices[p]) * k, b + Int(columnIndices[p + 1]) * k,
                             b + Int(columnIndices[p + 2]) * k, b + Int(columnIndices[p + 3]) * k, k)
                out[p] = d[0]; out[p + 1] = d[1]; out[p + 2] = d[2]; out[p + 3] = d[3]
                p += 4
            }
            while p < end { out[p] = dot(ar, b + Int(columnIndices[p]) * k, k); p += 1 }
        }
    }

    /// `x[0..<k] · y[0..<k]`: four SIMD16 partial sums (fused multiply-adds) over 64-element
    /// steps, then one over 16-element steps, then the scalar tail (a fixed order: results do
    /// not depend on threads or on how many entries share the loads of `x`).
    @inline(__always)
    static func dot<S: TensorScalar>(_ x: UnsafePointer<S>, _ y: UnsafePointer<S>, _ k: Int) -> S {
        var a0 = SIMD16<S>(), a1 = SIMD16<S>(), a2 = SIMD16<S>(), a3 = SIMD16<S>()
        var j = 0
        while j + 64 <= k {
            a0 = a0.addingProduct(load16(x + j), load16(y + j))
            a1 = a1.addingProduct(load16(x + j + 16), load16(y + j + 16))
            a2 = a2.addingProduct(load16(x + j + 32), load16(y + j + 32))
            a3 = a3.addingProduct(load16(x + j + 48), load16(y + j + 48))
            j += 64
        }
        while j + 16 <= k {
            a0 = a0.addingProduct(load16(x + j), load16(y + j))
            j += 16
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while j < k { s += x[j] * y[j]; j += 1 }
        return s
    }

    /// `(x · y0, x · y1, x · y2, x · y3)`, each with the summation order of ``dot(_:_:_:)``:
    /// one load of each segment of `x` serves four entries.
    @inline(__always)
    static func dot4<S: TensorScalar>(_ x: UnsafePointer<S>, _ y0: UnsafePointer<S>, _ y1: UnsafePointer<S>,
                                      _ y2: UnsafePointer<S>, _ y3: UnsafePointer<S>, _ k: Int) -> SIMD4<S> {
        var a0 = SIMD16<S>(), a1 = SIMD16<S>(), b0 = SIMD16<S>(), b1 = SIMD16<S>()
        var c0 = SIMD16<S>(), c1 = SIMD16<S>(), d0 = SIMD16<S>(), d1 = SIMD16<S>()
        var a2 = SIMD16<S>(), a3 = SIMD16<S>(), b2 = SIMD16<S>(), b3 = SIMD16<S>()
        var c2 = SIMD16<S>(), c3 = SIMD16<S>(), d2 = SIMD16<S>(), d3 = SIMD16<S>()
        var j = 0
        while j + 64 <= k {
            let x0 = load16(x + j), x1 = load16(x + j + 16), x2 = load16(x + j + 32), x3 = load16(x + j + 48)
            a0 = a0.addingProduct(x0, load16(y0 + j)); a1 = a1.addingProduct(x1, load16(y0 + j + 16))
            a2 = a2.addingProduct(x2, load16(y0 + j + 32)); a3 = a3.addingProduct(x3, load16(y0 + j + 48))
            b0 = b0.addingProduct(x0, load16(y1 + j)); b1 = b1.addingProduct(x1, load16(y1 + j + 16))
            b2 = b2.addingProduct(x2, load16(y1 + j + 32)); b3 = b3.addingProduct(x3, load16(y1 + j + 48))
            c0 = c0.addingProduct(x0, load16(y2 + j)); c1 = c1.addingProduct(x1, load16(y2 + j + 16))
            c2 = c2.addingProduct(x2, load16(y2 + j + 32)); c3 = c3.addingProduct(x3, load16(y2 + j + 48))
            d0 = d0.addingProduct(x0, load16(y3 + j)); d1 = d1.addingProduct(x1, load16(y3 + j + 16))
            d2 = d2.addingProduct(x2, load16(y3 + j + 32)); d3 = d3.addingProduct(x3, load16(y3 + j + 48))
            j += 64
        }
        while j + 16 <= k {
            let x0 = load16(x + j)
            a0 = a0.addingProduct(x0, load16(y0 + j)); b0 = b0.addingProduct(x0, load16(y1 + j))
            c0 = c0.addingProduct(x0, load16(y2 + j)); d0 = d0.addingProduct(x0, load16(y3 + j))
            j += 16
        }
        var s = SIMD4<S>(((a0 + a1) + (a2 + a3)).sum(), ((b0 + b1) + (b2 + b3)).sum(),
                         ((c0 + c1) + (c2 + c3)).sum(), ((d0 + d1) + (d2 + d3)).sum())
        while j < k {
            s[0] += x[j] * y0[j]; s[1] += x[j] * y1[j]; s[2] += x[j] * y2[j]; s[3] += x[j] * y3[j]
            j += 1
        }
        return s
    }
}

extension Kernels {
    /// The fused decoder-and-loss pass: for every stored entry p = (i, j) of a CSR pattern,
    /// `residual[p] = a[i, :] · b[j, :] + bias[j] − target[p]`, and
    /// `gradA[i, :] = Σ_p residual[p] · b[j_p, :]` over row i's entries (rows×k, overwritten).
    /// One pass where the unfused path needs two (an sddmm, then an spmm that gathers the same
    /// rows of `b` again): each gathered row of `b` is used for the dot product and, while
    /// still in L1, for the row's gradient. `gradA` equals that spmm bit for bit (each element
    /// adds its row's terms in storage order, multiply then add). Tiled and threaded as ``sddmm``.
    /// With `bBFloat16` (Float only: a bfloat16 copy of `b`), the rows of `b` are gathered from
    /// the copy for both uses.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func sampledAffineResidual<S: TensorScalar>(rowPointers: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>,
                                                       rows: Int, columns: Int, a: UnsafePointer<S>, b: UnsafePointer<S>,
                                                       bias: UnsafePointer<S>, target: UnsafePointer<S>, k: Int,
                                                       residual: UnsafeMutablePointer<S>, gradA: UnsafeMutablePointer<S>,
                                                       bBFloat16: UnsafePointer<UInt16>? = nil, tiling: SparseTiling? = nil) {
        guard rows > 0, k > 0 else { return }
        if S.self == Float.self {
            let (af, bf, cf, tf) = (floats(a), floats(b), floats(bias), floats(target))
            let (e, g) = (mutableFloats(residual), mutableFloats(gradA))
            forEachTileOnThreads(rowPointers: rowPointers, columnIndices: columnIndices, rows: rows, columns: columns, k: k,
                                 tiling: tiling, zeroing: g, prefetch: { tg_prefetch(tf + $0); tg_prefetch(e + $0) }) { r, start, end in
                if let bBFloat16 {
                    tg_affine_residual_row_bf16(columnIndices + start, end - start, af + r * k, bBFloat16, cf, tf + start, k,
                                                e + start, g + r * k)
                } else {
                    tg_affine_residual_row_f32(columnIndices + start, end - start, af + r * k, bf, cf, tf + start, k,
                                               e + start, g + r * k)
                }
            }
            return
        }
        forEachTileOnThreads(rowPointers: rowPointers, columnIndices: columnIndices, rows: rows, columns: columns, k: k,
                             tiling: tiling, zeroing: gradA) { r, start, end in
            let ar = a + r * k, gr = gradA + r * k
            var p = start
            while p < end {
                let n = min(4, end - p)
                let j0 = Int(columnIndices[p])
                let j1 = n > 1 ? Int(columnIndices[p + 1]) : j0
                let j2 = n > 2 ? Int(columnIndices[p + 2]) : j0
                let j3 = n > 3 ? Int(columnIndices[p + 3]) : j0
                var e = SIMD4<S>()
                if n == 4 {
                    e = dot4(ar, b + j0 * k, b + j1 * k, b + j2 * k, b + j3 * k, k)
                } else {
                    for q in 0..<n { e[q] = dot(ar, b + Int(columnIndices[p + q]) * k, k) }
                }
                for q in 0..<n {
                    let j = Int(columnIndices[p + q])
                    e[q] = e[q] + bias[j] - target[p + q]
                    residual[p + q] = e[q]
                }
                // The gradient row, 16 columns at a time, from the rows just read (in L1).
                var c = 0
                while c + 16 <= k {
                    var acc = load16(gr + c)
                    acc += SIMD16<S>(repeating: e[0]) * load16(b + j0 * k + c)
                    if n > 1 { acc += SIMD16<S>(repeating: e[1]) * load16(b + j1 * k + c) }
                    if n > 2 { acc += SIMD16<S>(repeating: e[2]) * load16(b + j2 * k + c) }
                    if n > 3 { acc += SIMD16<S>(repeating: e[3]) * load16(b + j3 * k + c) }
                    store16(acc, gr + c)
                    c += 16
                }
                while c < k {
                    var v = gr[c] + e[0] * b[j0 * k + c]
                    if n > 1 { v += e[1] * b[j1 * k + c] }
                    if n > 2 { v += e[2] * b[j2 * k + c] }
                    if n > 3 { v += e[3] * b[j3 * k + c] }
                    gr[c] = v
                    c += 1
                }
                p += n
            }
        }
    }
}
