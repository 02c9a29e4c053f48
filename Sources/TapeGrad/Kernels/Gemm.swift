// Gemm.swift: dense general matrix multiply (GEMM) for Float and Double.
//
// Design. This is the Goto/BLIS scheme. C = alpha·op(A)·op(B) + beta·C is computed block by
// block: the n columns are cut into blocks of NC, the k dimension into slabs of KC, and for each
// (NC, KC) pair the KC×NC slab of op(B) is copied ("packed") into one contiguous, 64-byte aligned
// buffer as micro-panels of NR columns stored k-major (NR consecutive values per k). The m rows
// are cut into blocks of at most MC rows; each MC×KC block of op(A) is packed the same way as
// micro-panels of MR rows stored k-major (MR consecutive values per k). Packing is where the
// transposes are resolved, so all four op(A)/op(B) combinations reach the same inner loop and
// run at the same speed; it also pads ragged edges with zeros so the inner loop never branches.
// All buffers are allocated once per call.
//
// Blocking for this machine (Sapphire Rapids class: 48 KiB L1d and 2 MiB L2 per core, a large
// shared L3). KC = 256 for both types, split into equal slabs (k = 1000 runs as 4 × 250; k ≤ 512
// runs as one slab, which saves a pass over C: measured 8–10 % faster at k = 500). For each
// packed B micro-panel (KC×NR: 32 KiB for both types) the micro-kernel sweeps over all MR-row
// micro-panels of the packed A block, so the B micro-panel stays in L1 while the A block
// (MC×KC = 480×256 Float or 240×256 Double, 480 KiB) streams from L2. The packed B slab
// (KC×NC, NC = 4096 columns) lives in L3 and is shared by all threads. For large k, KC = 192,
// 320, 384 and 512 all measured within noise of 256 on this (shared, noisy) machine.
//
// Micro-kernel. An MR×NR = 12×(2 vectors) tile of C lives in 24 AVX-512 accumulators (SIMD16<Float>,
// NR = 32; SIMD8<Double>, NR = 16). Per k it loads two vectors of B, broadcasts 12 values of A
// and issues 24 fused multiply-adds, which keeps both FMA ports busy with loads to spare and
// hides the 4-cycle FMA latency (24 independent chains ≥ 2 ports × 4 cycles). The FMA is spelled
// `addingProduct`, which lowers to `vfmadd231ps/pd zmm` under `-target-cpu native`; `a * b + c`
// would be a separate multiply and add because Swift does not contract floating-point ops.
// Without an AVX-512/FMA target CPU the same code is correct but several times slower.
//
// Threading. The m rows are divided into a multiple of `threads` MC blocks of equal size, so each
// worker gets contiguous, equally large blocks; when m is too small for that, the NR micro-panels
// of each B slab are divided among the workers instead. Each worker packs its own A block into a
// private buffer; packing of the shared B slab is itself split between the workers. Fork/join is
// `parallelFor` (Dispatch `concurrentPerform`), twice per (NC, KC) pair.
//
// Small products skip packing altogether (m·n·k ≤ 2^18 for Float, 2^16 for Double, or a single row
// or column of C): a direct loop nest keeps one or two vectors of a row of C in registers over
// the whole k loop. Measured on this machine, it beats the packed path up to about 64³ (Float)
// and 40³ (Double); 32×16×16 takes about 0.3 µs.

import Dispatch

/// Matrix multiply entry points for the framework's dense layers: every matmul in forward and
/// backward passes (including the transposed ones of the gradients) lands here, so that one
/// tuned implementation serves all of them without materialising transposed copies.
public enum Gemm {
    /// Float GEMM, row-major, BLAS semantics: C = alpha·op(A)·op(B) + beta·C. The transposes and
    /// strides let callers multiply views (a transposed weight, a sub-block of a batch) in place
    /// instead of copying, and alpha/beta let gradients accumulate into an existing buffer.
    /// With `beta == 0` C is write-only (it may hold garbage or NaN), matching BLAS, so callers
    /// need not clear fresh buffers. `threads` caps the worker count; 1 keeps the call on the
    /// calling thread (for callers that parallelise at a higher level).
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) {
        gemmDriver(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads)
    }

    /// Double GEMM with exactly the semantics of `sgemm`; it exists for gradient checking and for
    /// users who need the precision, and runs the same blocked kernel at half the lanes.
    public static func dgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Double, a: UnsafePointer<Double>, lda: Int,
                             b: UnsafePointer<Double>, ldb: Int,
                             beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int, threads: Int) {
        gemmDriver(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads)
    }
}

// MARK: - Element types

/// What the generic kernel needs from an element type. The vector operations are requirements
/// (not the generic `SIMD` operators) so that the specialised code calls the concrete SIMD16/SIMD8
/// operations, which lower to single AVX-512 instructions.
protocol GemmScalar: BinaryFloatingPoint, SIMDScalar, Codable {
    associatedtype GemmVector: SIMD where GemmVector.Scalar == Self
    /// Lanes per vector; NR = 2 · lanes.
    static var gemmLanes: Int { get }
    /// Largest row block of op(A) packed at once (sized for L2).
    static var gemmMC: Int { get }
    /// Depth of a packed slab (sized so a KC×NR micro-panel of B fits in half of L1).
    static var gemmKC: Int { get }
    /// Widest column block of op(B) packed at once.
    static var gemmNC: Int { get }
    /// Up to this many multiply-adds (m·n·k) the direct loop beats packing (measured).
    static var gemmDirectMax: Int { get }
    static func gemmSplat(_ x: Self) -> GemmVector
    static func gemmFMA(_ x: GemmVector, _ y: GemmVector, _ acc: GemmVector) -> GemmVector
    static func gemmMul(_ x: GemmVector, _ y: GemmVector) -> GemmVector
}

extension Float: GemmScalar {
    typealias GemmVector = SIMD16<Float>
    @inline(__always) static var gemmLanes: Int { 16 }
    @inline(__always) static var gemmMC: Int { 480 }
    @inline(__always) static var gemmKC: Int { 256 }
    @inline(__always) static var gemmNC: Int { 4096 }
    @inline(__always) static var gemmDirectMax: Int { 262144 }
    @inline(__always) static func gemmSplat(_ x: Float) -> SIMD16<Float> { SIMD16(repeating: x) }
    @inline(__always) static func gemmFMA(_ x: SIMD16<Float>, _ y: SIMD16<Float>, _ acc: SIMD16<Float>) -> SIMD16<Float> {
        acc.addingProduct(x, y)
    }
    @inline(__always) static func gemmMul(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> { x * y }
}

extension Double: GemmScalar {
    typealias GemmVector = SIMD8<Double>
    @inline(__always) static var gemmLanes: Int { 8 }
    @inline(__always) static var gemmMC: Int { 240 }
    @inline(__always) static var gemmKC: Int { 256 }
    @inline(__always) static var gemmNC: Int { 4096 }
    @inline(__always) static var gemmDirectMax: Int { 65536 }
    @inline(__always) static func gemmSplat(_ x: Double) -> SIMD8<Double> { SIMD8(repeating: x) }
    @inline(__always) static func gemmFMA(_ x: SIMD8<Double>, _ y: SIMD8<Double>, _ acc: SIMD8<Double>) -> SIMD8<Double> {
        acc.addingProduct(x, y)
    }
    @inline(__always) static func gemmMul(_ x: SIMD8<Double>, _ y: SIMD8<Double>) -> SIMD8<Double> { x * y }
}

/// Rows of the register tile (MR).
let gemmMR = 12

@inline(__always)
func gemmLoad<T: GemmScalar>(_ p: UnsafePointer<T>) -> T.GemmVector {
    UnsafeRawPointer(p).loadUnaligned(as: T.GemmVector.self)
}

@inline(__always)
func gemmStore<T: GemmScalar>(_ p: UnsafeMutablePointer<T>, _ v: T.GemmVector) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: T.GemmVector.self)
}

@inline(__always)
func gemmStoreRow<T: GemmScalar>(_ c: UnsafeMutablePointer<T>, _ lanes: Int, _ v0: T.GemmVector, _ v1: T.GemmVector) {
    gemmStore(c, v0)
    gemmStore(c + lanes, v1)
}

@inline(__always)
func gemmUpdateRow<T: GemmScalar>(_ c: UnsafeMutablePointer<T>, _ lanes: Int, _ v0: T.GemmVector,
                                  _ v1: T.GemmVector, _ vb: T.GemmVector) {
    gemmStore(c, T.gemmFMA(vb, gemmLoad(c), v0))
    gemmStore(c + lanes, T.gemmFMA(vb, gemmLoad(c + lanes), v1))
}

@inline(__always) func gemmCeilDiv(_ x: Int, _ y: Int) -> Int { (x + y - 1) / y }
@inline(__always) func gemmRoundUp(_ x: Int, _ y: Int) -> Int { gemmCeilDiv(x, y) * y }

// MARK: - Driver

func gemmDriver<T: GemmScalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                               alpha: T, a: UnsafePointer<T>, lda: Int,
                               b: UnsafePointer<T>, ldb: Int,
                               beta: T, c: UnsafeMutablePointer<T>, ldc: Int, threads: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "Gemm: negative dimension")
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
        gemmScale(m: m, n: n, beta: beta, c: c, ldc: ldc)
        return
    }
    if m &* n &* k <= T.gemmDirectMax || m == 1 || n == 1 {
        gemmDirect(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    gemmBlocked(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: max(1, threads))
}

/// C = beta·C over an m×n block, never reading C when beta == 0.
func gemmScale<T: GemmScalar>(m: Int, n: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
    if beta == 1 { return }
    for i in 0..<m {
        let row = c + i &* ldc
        if beta == 0 {
            row.update(repeating: 0, count: n)
        } else {
            for j in 0..<n { row[j] *= beta }
        }
    }
}

/// Unpacked loop nest for small products. Each output element (or vector of 2·lanes / lanes
/// elements along a row of C) is accumulated in registers over the whole k loop and written
/// once, so there is no store-to-load chain through C and no packing cost.
func gemmDirect<T: GemmScalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                               alpha: T, a: UnsafePointer<T>, lda: Int,
                               b: UnsafePointer<T>, ldb: Int,
                               beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
    let lanes = T.gemmLanes
    let aRow = transA ? 1 : lda, aCol = transA ? lda : 1
    let va = T.gemmSplat(alpha), vb = T.gemmSplat(beta)
    // When n is not a multiple of the vector width, copy op(B)'s last n % lanes columns once into
    // a zero-padded k×lanes buffer, so every row's ragged end is one vector FMA per k.
    let rem = n % lanes
    var tail: UnsafeMutablePointer<T>? = nil
    if !transB && rem != 0 {
        let buf = UnsafeMutablePointer<T>.allocate(capacity: k * lanes)
        for p in 0..<k {
            let src = b + p &* ldb + (n &- rem), dst = buf + p &* lanes
            for l in 0..<rem { dst[l] = src[l] }
            for l in rem..<lanes { dst[l] = 0 }
        }
        tail = buf
    }
    defer { tail?.deallocate() }
    for i in 0..<m {
        let crow = c + i &* ldc
        let ai = a + i &* aRow
        var j = 0
        if !transB {
            // op(B) rows are contiguous: vectors along j.
            while j &+ 2 &* lanes <= n {
                var acc0 = T.GemmVector(), acc1 = T.GemmVector()
                var bp = b + j
                for p in 0..<k {
                    let s = T.gemmSplat(ai[p &* aCol])
                    acc0 = T.gemmFMA(s, gemmLoad(bp), acc0)
                    acc1 = T.gemmFMA(s, gemmLoad(bp + lanes), acc1)
                    bp += ldb
                }
                if beta == 0 {
                    gemmStoreRow(crow + j, lanes, T.gemmMul(va, acc0), T.gemmMul(va, acc1))
                } else {
                    gemmUpdateRow(crow + j, lanes, T.gemmMul(va, acc0), T.gemmMul(va, acc1), vb)
                }
                j &+= 2 &* lanes
            }
            while j &+ lanes <= n {
                var acc = T.GemmVector()
                var bp = b + j
                for p in 0..<k {
                    acc = T.gemmFMA(T.gemmSplat(ai[p &* aCol]), gemmLoad(bp), acc)
                    bp += ldb
                }
                let r = T.gemmMul(va, acc)
                gemmStore(crow + j, beta == 0 ? r : T.gemmFMA(vb, gemmLoad(crow + j), r))
                j &+= lanes
            }
            if j < n {
                // Ragged end of the row: full vectors from the zero-padded copy of B's last columns.
                var acc = T.GemmVector()
                var bp = UnsafePointer(tail!)
                for p in 0..<k {
                    acc = T.gemmFMA(T.gemmSplat(ai[p &* aCol]), gemmLoad(bp), acc)
                    bp += lanes
                }
                for l in 0..<(n &- j) {
                    crow[j &+ l] = beta == 0 ? alpha * acc[l] : alpha * acc[l] + beta * crow[j &+ l]
                }
                j = n
            }
        }
        // Columns of a transposed B: one dot product each.
        while j < n {
            var sum: T = 0
            do {
                let bj = b + j &* ldb
                var p = 0
                if !transA {
                    var acc = T.GemmVector()
                    while p &+ lanes <= k {
                        acc = T.gemmFMA(gemmLoad(ai + p), gemmLoad(bj + p), acc)
                        p &+= lanes
                    }
                    sum = acc.sum()
                }
                while p < k {
                    sum += ai[p &* aCol] * bj[p]
                    p &+= 1
                }
            }
            crow[j] = beta == 0 ? alpha * sum : alpha * sum + beta * crow[j]
            j &+= 1
        }
    }
}

/// Pointers shared by the workers of one blocked call. Unsafe pointers are not Sendable; the
/// workers write disjoint parts of the buffers and of C, separated by the fork/join barriers.
struct GemmBuffers<T: GemmScalar>: @unchecked Sendable {
    let packedB: UnsafeMutablePointer<T>
    let packedA: UnsafeMutablePointer<T>   // one MC×KC block per worker
    let aStride: Int
}

func gemmBlocked<T: GemmScalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                alpha: T, a: UnsafePointer<T>, lda: Int,
                                b: UnsafePointer<T>, ldb: Int,
                                beta: T, c: UnsafeMutablePointer<T>, ldc: Int, threads: Int) {
    let mr = gemmMR
    let nr = 2 * T.gemmLanes
    // Equal KC slabs (k = 1000 → 4 × 250, not 3 × 256 + 232), so every pass over C does a full
    // share of work; up to k = 2·KC a single slab, because saving a read+write pass over C beat
    // the spill of the B micro-panel from L1 to L2 (measured at k = 500: +8–10 %).
    let slabs = k <= 2 * T.gemmKC ? 1 : gemmCeilDiv(k, T.gemmKC)
    let kcMax = gemmRoundUp(gemmCeilDiv(k, slabs), 8)
    let ncMax = min(gemmRoundUp(T.gemmNC, nr), gemmRoundUp(n, nr))

    // Row blocks: a multiple of `threads` equal blocks when m allows, else split columns.
    var mBlocks = gemmCeilDiv(m, T.gemmMC)
    var nParts = 1
    if threads > 1 {
        if m >= threads * mr * 4 {
            mBlocks = gemmRoundUp(mBlocks, threads)
        } else {
            nParts = threads
        }
    }
    let mc = gemmRoundUp(gemmCeilDiv(m, mBlocks), mr)
    mBlocks = gemmCeilDiv(m, mc)
    let tasks = mBlocks * nParts
    let workers = min(threads, tasks)

    let aStride = gemmRoundUp(mc * kcMax, 64)
    let bCount = ncMax * kcMax
    let raw = UnsafeMutableRawPointer.allocate(
        byteCount: (bCount + aStride * workers) * MemoryLayout<T>.stride, alignment: 64)
    defer { raw.deallocate() }
    let packedB = raw.bindMemory(to: T.self, capacity: bCount + aStride * workers)
    let buf = GemmBuffers(packedB: packedB, packedA: packedB + bCount, aStride: aStride)

    var jc = 0
    while jc < n {
        let nc = min(ncMax, n - jc)
        let nPanels = gemmCeilDiv(nc, nr)
        var pc = 0
        while pc < k {
            let kc = min(kcMax, k - pc)
            let betaNow: T = pc == 0 ? beta : 1
            // Pack the KC×NC slab of op(B), panels split between the workers.
            parallelFor(workers, threads: workers) { w in
                let p0 = w * nPanels / workers, p1 = (w + 1) * nPanels / workers
                for jp in p0..<p1 {
                    gemmPackB(transB: transB, b: b, ldb: ldb, row0: pc, col0: jc + jp * nr,
                              kc: kc, cols: min(nr, nc - jp * nr), nr: nr,
                              dst: buf.packedB + jp * nr * kc)
                }
            }
            // Each worker: for its (row block, panel range) tasks, pack A and run the tile loop.
            parallelFor(workers, threads: workers) { w in
                let t0 = w * tasks / workers, t1 = (w + 1) * tasks / workers
                let aBuf = buf.packedA + w * buf.aStride
                var packedRowBlock = -1
                for t in t0..<t1 {
                    let mb = t / nParts, part = t % nParts
                    let ic = mb * mc
                    let rows = min(mc, m - ic)
                    if mb != packedRowBlock {
                        gemmPackA(transA: transA, a: a, lda: lda, row0: ic, col0: pc,
                                  rows: rows, kc: kc, mr: mr, dst: aBuf)
                        packedRowBlock = mb
                    }
                    let jp0 = part * nPanels / nParts, jp1 = (part + 1) * nPanels / nParts
                    gemmMacroKernel(kc: kc, rows: rows, packedA: aBuf, packedB: buf.packedB,
                                    jp0: jp0, jp1: jp1, nc: nc, mr: mr, nr: nr,
                                    c: c + ic * ldc + jc, ldc: ldc, alpha: alpha, beta: betaNow)
                }
            }
            pc += kc
        }
        jc += nc
    }
}

/// Runs the micro-kernel over one packed A block and B panels jp0..<jp1 (B panel outer, so each
/// B micro-panel stays in L1 while the A block streams from L2). Edge tiles go through a small
/// temporary so the micro-kernel itself never needs bounds.
@inline(__always)
func gemmMacroKernel<T: GemmScalar>(kc: Int, rows: Int, packedA: UnsafePointer<T>, packedB: UnsafePointer<T>,
                                    jp0: Int, jp1: Int, nc: Int, mr: Int, nr: Int,
                                    c: UnsafeMutablePointer<T>, ldc: Int, alpha: T, beta: T) {
    let mPanels = gemmCeilDiv(rows, mr)
    withUnsafeTemporaryAllocation(of: T.self, capacity: mr * nr) { tile in
        let tmp = tile.baseAddress!
        for jp in jp0..<jp1 {
            let cols = min(nr, nc - jp * nr)
            let bp = packedB + jp * nr * kc
            for ip in 0..<mPanels {
                let r = min(mr, rows - ip * mr)
                let ap = packedA + ip * mr * kc
                let cp = c + ip * mr * ldc + jp * nr
                if r == mr && cols == nr {
                    gemmMicroKernel(kc, ap, bp, cp, ldc, alpha, beta)
                } else {
                    gemmMicroKernel(kc, ap, bp, tmp, nr, 1, 0)
                    for i in 0..<r {
                        let crow = cp + i * ldc, trow = tmp + i * nr
                        if beta == 0 {
                            for j in 0..<cols { crow[j] = alpha * trow[j] }
                        } else {
                            for j in 0..<cols { crow[j] = alpha * trow[j] + beta * crow[j] }
                        }
                    }
                }
            }
        }
    }
}

/// Packs rows row0..<row0+rows, columns col0..<col0+kc of op(A) as MR-row micro-panels, each
/// stored k-major (MR values per k), zero-padding the last panel.
@inline(__always)
func gemmPackA<T: GemmScalar>(transA: Bool, a: UnsafePointer<T>, lda: Int, row0: Int, col0: Int,
                              rows: Int, kc: Int, mr: Int, dst: UnsafeMutablePointer<T>) {
    let panels = gemmCeilDiv(rows, mr)
    for ip in 0..<panels {
        let d = dst + ip * mr * kc
        let r0 = ip * mr
        let r = min(mr, rows - r0)
        if transA {
            // op(A)[i][p] = a[p*lda + i]: MR contiguous values per k.
            for p in 0..<kc {
                let src = a + (col0 + p) * lda + row0 + r0
                let dp = d + p * mr
                for i in 0..<r { dp[i] = src[i] }
                if r < mr { for i in r..<mr { dp[i] = 0 } }
            }
        } else {
            // op(A)[i][p] = a[i*lda + p]: read each row contiguously, scatter with stride MR.
            for i in 0..<r {
                let src = a + (row0 + r0 + i) * lda + col0
                for p in 0..<kc { d[p * mr + i] = src[p] }
            }
            if r < mr {
                for p in 0..<kc { for i in r..<mr { d[p * mr + i] = 0 } }
            }
        }
    }
}

/// Packs rows row0..<row0+kc, columns col0..<col0+cols of op(B) as one NR-wide micro-panel,
/// k-major (NR values per k), zero-padding missing columns.
@inline(__always)
func gemmPackB<T: GemmScalar>(transB: Bool, b: UnsafePointer<T>, ldb: Int, row0: Int, col0: Int,
                              kc: Int, cols: Int, nr: Int, dst: UnsafeMutablePointer<T>) {
    let lanes = T.gemmLanes
    if !transB {
        // op(B)[p][j] = b[p*ldb + j]: NR contiguous values per k.
        for p in 0..<kc {
            let src = b + (row0 + p) * ldb + col0
            let dp = dst + p * nr
            if cols == nr {
                gemmStore(dp, gemmLoad(src))
                gemmStore(dp + lanes, gemmLoad(src + lanes))
            } else {
                for j in 0..<cols { dp[j] = src[j] }
                for j in cols..<nr { dp[j] = 0 }
            }
        }
    } else {
        // op(B)[p][j] = b[j*ldb + p]: read each row of B contiguously, scatter with stride NR.
        for j in 0..<cols {
            let src = b + (col0 + j) * ldb + row0
            for p in 0..<kc { dst[p * nr + j] = src[p] }
        }
        if cols < nr {
            for p in 0..<kc { for j in cols..<nr { dst[p * nr + j] = 0 } }
        }
    }
}

// MARK: - Micro-kernel (fully unrolled: 12 rows × 2 vectors of C; keep the rows alike when editing)

/// The register-blocked inner loop: a 12 x (2 vectors) tile of C held in 24 accumulators,
/// so every element of packed A and B that is loaded feeds 12 (B) or 2 (A) fused multiply-adds.
/// `a` is a packed 12-row micro-panel, `b` a packed 2-vector-wide micro-panel, both `kc` deep.
/// With `beta == 0` C is written without being read.
@inline(never)
func gemmMicroKernel<T: GemmScalar>(_ kc: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
                                    _ c: UnsafeMutablePointer<T>, _ ldc: Int, _ alpha: T, _ beta: T) {
    let lanes = T.gemmLanes
    var c00 = T.GemmVector(), c01 = T.GemmVector()
    var c10 = T.GemmVector(), c11 = T.GemmVector()
    var c20 = T.GemmVector(), c21 = T.GemmVector()
    var c30 = T.GemmVector(), c31 = T.GemmVector()
    var c40 = T.GemmVector(), c41 = T.GemmVector()
    var c50 = T.GemmVector(), c51 = T.GemmVector()
    var c60 = T.GemmVector(), c61 = T.GemmVector()
    var c70 = T.GemmVector(), c71 = T.GemmVector()
    var c80 = T.GemmVector(), c81 = T.GemmVector()
    var c90 = T.GemmVector(), c91 = T.GemmVector()
    var c100 = T.GemmVector(), c101 = T.GemmVector()
    var c110 = T.GemmVector(), c111 = T.GemmVector()
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0 = gemmLoad(pb), b1 = gemmLoad(pb + lanes)
        do { let s = T.gemmSplat(pa[0]); c00 = T.gemmFMA(s, b0, c00); c01 = T.gemmFMA(s, b1, c01) }
        do { let s = T.gemmSplat(pa[1]); c10 = T.gemmFMA(s, b0, c10); c11 = T.gemmFMA(s, b1, c11) }
        do { let s = T.gemmSplat(pa[2]); c20 = T.gemmFMA(s, b0, c20); c21 = T.gemmFMA(s, b1, c21) }
        do { let s = T.gemmSplat(pa[3]); c30 = T.gemmFMA(s, b0, c30); c31 = T.gemmFMA(s, b1, c31) }
        do { let s = T.gemmSplat(pa[4]); c40 = T.gemmFMA(s, b0, c40); c41 = T.gemmFMA(s, b1, c41) }
        do { let s = T.gemmSplat(pa[5]); c50 = T.gemmFMA(s, b0, c50); c51 = T.gemmFMA(s, b1, c51) }
        do { let s = T.gemmSplat(pa[6]); c60 = T.gemmFMA(s, b0, c60); c61 = T.gemmFMA(s, b1, c61) }
        do { let s = T.gemmSplat(pa[7]); c70 = T.gemmFMA(s, b0, c70); c71 = T.gemmFMA(s, b1, c71) }
        do { let s = T.gemmSplat(pa[8]); c80 = T.gemmFMA(s, b0, c80); c81 = T.gemmFMA(s, b1, c81) }
        do { let s = T.gemmSplat(pa[9]); c90 = T.gemmFMA(s, b0, c90); c91 = T.gemmFMA(s, b1, c91) }
        do { let s = T.gemmSplat(pa[10]); c100 = T.gemmFMA(s, b0, c100); c101 = T.gemmFMA(s, b1, c101) }
        do { let s = T.gemmSplat(pa[11]); c110 = T.gemmFMA(s, b0, c110); c111 = T.gemmFMA(s, b1, c111) }
        pa += 12
        pb += 2 &* lanes
    }
    let va = T.gemmSplat(alpha)
    if beta == 0 {
        gemmStoreRow(c + 0 &* ldc, lanes, T.gemmMul(va, c00), T.gemmMul(va, c01))
        gemmStoreRow(c + 1 &* ldc, lanes, T.gemmMul(va, c10), T.gemmMul(va, c11))
        gemmStoreRow(c + 2 &* ldc, lanes, T.gemmMul(va, c20), T.gemmMul(va, c21))
        gemmStoreRow(c + 3 &* ldc, lanes, T.gemmMul(va, c30), T.gemmMul(va, c31))
        gemmStoreRow(c + 4 &* ldc, lanes, T.gemmMul(va, c40), T.gemmMul(va, c41))
        gemmStoreRow(c + 5 &* ldc, lanes, T.gemmMul(va, c50), T.gemmMul(va, c51))
        gemmStoreRow(c + 6 &* ldc, lanes, T.gemmMul(va, c60), T.gemmMul(va, c61))
        gemmStoreRow(c + 7 &* ldc, lanes, T.gemmMul(va, c70), T.gemmMul(va, c71))
        gemmStoreRow(c + 8 &* ldc, lanes, T.gemmMul(va, c80), T.gemmMul(va, c81))
        gemmStoreRow(c + 9 &* ldc, lanes, T.gemmMul(va, c90), T.gemmMul(va, c91))
        gemmStoreRow(c + 10 &* ldc, lanes, T.gemmMul(va, c100), T.gemmMul(va, c101))
        gemmStoreRow(c + 11 &* ldc, lanes, T.gemmMul(va, c110), T.gemmMul(va, c111))
    } else {
        let vb = T.gemmSplat(beta)
        gemmUpdateRow(c + 0 &* ldc, lanes, T.gemmMul(va, c00), T.gemmMul(va, c01), vb)
        gemmUpdateRow(c + 1 &* ldc, lanes, T.gemmMul(va, c10), T.gemmMul(va, c11), vb)
        gemmUpdateRow(c + 2 &* ldc, lanes, T.gemmMul(va, c20), T.gemmMul(va, c21), vb)
        gemmUpdateRow(c + 3 &* ldc, lanes, T.gemmMul(va, c30), T.gemmMul(va, c31), vb)
        gemmUpdateRow(c + 4 &* ldc, lanes, T.gemmMul(va, c40), T.gemmMul(va, c41), vb)
        gemmUpdateRow(c + 5 &* ldc, lanes, T.gemmMul(va, c50), T.gemmMul(va, c51), vb)
        gemmUpdateRow(c + 6 &* ldc, lanes, T.gemmMul(va, c60), T.gemmMul(va, c61), vb)
        gemmUpdateRow(c + 7 &* ldc, lanes, T.gemmMul(va, c70), T.gemmMul(va, c71), vb)
        gemmUpdateRow(c + 8 &* ldc, lanes, T.gemmMul(va, c80), T.gemmMul(va, c81), vb)
        gemmUpdateRow(c + 9 &* ldc, lanes, T.gemmMul(va, c90), T.gemmMul(va, c91), vb)
        gemmUpdateRow(c + 10 &* ldc, lanes, T.gemmMul(va, c100), T.gemmMul(va, c101), vb)
        gemmUpdateRow(c + 11 &* ldc, lanes, T.gemmMul(va, c110), T.gemmMul(va, c111), vb)
    }
}
