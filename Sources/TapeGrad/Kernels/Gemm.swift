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

import CTapeGradKernels
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
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads, level: tg_cpu_level_get())
    }

    /// Double GEMM with exactly the semantics of `sgemm`; it exists for gradient checking and for
    /// users who need the precision, and runs the same blocked kernel at half the lanes.
    public static func dgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Double, a: UnsafePointer<Double>, lda: Int,
                             b: UnsafePointer<Double>, ldb: Int,
                             beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int, threads: Int) {
        gemmDriver(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads, level: tg_cpu_level_get())
    }
}

extension Gemm {
    /// `sgemm` with the packed path run at `level` (clamped to the hardware's), so tests can run
    /// every level on one machine without changing the process-wide level; `packed` sends small
    /// products through the packed path too, so its ragged edges are tested at every level.
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                      alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int, level: CPULevel,
                      packed: Bool = false) {
        gemmDriver(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads,
                   level: min(level, CPULevel.hardware).cValue, packed: packed)
    }

    /// `dgemm` with the packed path forced to `level` (clamped to the hardware's).
    static func dgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                      alpha: Double, a: UnsafePointer<Double>, lda: Int,
                      b: UnsafePointer<Double>, ldb: Int,
                      beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int, threads: Int, level: CPULevel,
                      packed: Bool = false) {
        gemmDriver(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads,
                   level: min(level, CPULevel.hardware).cValue, packed: packed)
    }
}

// MARK: - Element types

/// What the generic driver needs from an element type: the vector operations of the direct path
/// (requirements rather than the generic `SIMD` operators, so that the specialised code calls
/// the concrete SIMD16/SIMD8 operations) and the C kernels of the packed path.
protocol GemmScalar: BinaryFloatingPoint, SIMDScalar, Codable {
    associatedtype GemmVector: SIMD where GemmVector.Scalar == Self
    /// Lanes per vector of the direct path.
    static var gemmLanes: Int { get }
    /// Up to this many multiply-adds (m·n·k) the direct loop beats packing (measured).
    static var gemmDirectMax: Int { get }
    static func gemmSplat(_ x: Self) -> GemmVector
    /// acc + x·y as a separate multiply and add: a fused `addingProduct` becomes a scalar libm
    /// call per lane when the baseline ISA has no FMA, which is what the package compiles for.
    static func gemmMulAdd(_ x: GemmVector, _ y: GemmVector, _ acc: GemmVector) -> GemmVector
    static func gemmMul(_ x: GemmVector, _ y: GemmVector) -> GemmVector
    /// The packed path's blocking at a CPU level (CTapeGradKernels/gemm.c).
    static func gemmBlocking(_ level: tg_cpu_level) -> tg_gemm_blocking
    /// Packs rows×kc of op(A) starting at `a` as mr-row micro-panels (`tg_sgemm_pack_a`).
    static func gemmPackA(_ level: tg_cpu_level, _ trans: Bool, _ a: UnsafePointer<Self>, _ lda: Int, _ rows: Int, _ kc: Int,
                          _ mr: Int, _ dst: UnsafeMutablePointer<Self>)
    /// Packs kc×cols of op(B) starting at `b` as nr-column micro-panels (`tg_sgemm_pack_b`).
    static func gemmPackB(_ level: tg_cpu_level, _ trans: Bool, _ b: UnsafePointer<Self>, _ ldb: Int, _ kc: Int, _ cols: Int,
                          _ nr: Int, _ dst: UnsafeMutablePointer<Self>)
    /// Runs the level's micro-kernel over a packed block (`tg_sgemm_macro`).
    static func gemmMacro(_ level: tg_cpu_level, _ kc: Int, _ rows: Int, _ cols: Int,
                          _ packedA: UnsafePointer<Self>, _ packedB: UnsafePointer<Self>,
                          _ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ alpha: Self, _ beta: Self)
}

extension Float: GemmScalar {
    typealias GemmVector = SIMD16<Float>
    @inline(__always) static var gemmLanes: Int { 16 }
    @inline(__always) static var gemmDirectMax: Int { 262144 }
    @inline(__always) static func gemmSplat(_ x: Float) -> SIMD16<Float> { SIMD16(repeating: x) }
    @inline(__always) static func gemmMulAdd(_ x: SIMD16<Float>, _ y: SIMD16<Float>, _ acc: SIMD16<Float>) -> SIMD16<Float> {
        acc + x * y
    }
    @inline(__always) static func gemmMul(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> { x * y }
    @inline(__always) static func gemmBlocking(_ level: tg_cpu_level) -> tg_gemm_blocking { tg_sgemm_blocking(level) }
    @inline(__always) static func gemmPackA(_ level: tg_cpu_level, _ trans: Bool, _ a: UnsafePointer<Float>, _ lda: Int, _ rows: Int,
                                            _ kc: Int, _ mr: Int, _ dst: UnsafeMutablePointer<Float>) {
        tg_sgemm_pack_a(level, trans ? 1 : 0, a, lda, rows, kc, mr, dst)
    }
    @inline(__always) static func gemmPackB(_ level: tg_cpu_level, _ trans: Bool, _ b: UnsafePointer<Float>, _ ldb: Int, _ kc: Int,
                                            _ cols: Int, _ nr: Int, _ dst: UnsafeMutablePointer<Float>) {
        tg_sgemm_pack_b(level, trans ? 1 : 0, b, ldb, kc, cols, nr, dst)
    }
    @inline(__always) static func gemmMacro(_ level: tg_cpu_level, _ kc: Int, _ rows: Int, _ cols: Int,
                                            _ packedA: UnsafePointer<Float>, _ packedB: UnsafePointer<Float>,
                                            _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float) {
        tg_sgemm_macro(level, kc, rows, cols, packedA, packedB, c, ldc, alpha, beta)
    }
}

extension Double: GemmScalar {
    typealias GemmVector = SIMD8<Double>
    @inline(__always) static var gemmLanes: Int { 8 }
    @inline(__always) static var gemmDirectMax: Int { 65536 }
    @inline(__always) static func gemmSplat(_ x: Double) -> SIMD8<Double> { SIMD8(repeating: x) }
    @inline(__always) static func gemmMulAdd(_ x: SIMD8<Double>, _ y: SIMD8<Double>, _ acc: SIMD8<Double>) -> SIMD8<Double> {
        acc + x * y
    }
    @inline(__always) static func gemmMul(_ x: SIMD8<Double>, _ y: SIMD8<Double>) -> SIMD8<Double> { x * y }
    @inline(__always) static func gemmBlocking(_ level: tg_cpu_level) -> tg_gemm_blocking { tg_dgemm_blocking(level) }
    @inline(__always) static func gemmPackA(_ level: tg_cpu_level, _ trans: Bool, _ a: UnsafePointer<Double>, _ lda: Int, _ rows: Int,
                                            _ kc: Int, _ mr: Int, _ dst: UnsafeMutablePointer<Double>) {
        tg_dgemm_pack_a(level, trans ? 1 : 0, a, lda, rows, kc, mr, dst)
    }
    @inline(__always) static func gemmPackB(_ level: tg_cpu_level, _ trans: Bool, _ b: UnsafePointer<Double>, _ ldb: Int, _ kc: Int,
                                            _ cols: Int, _ nr: Int, _ dst: UnsafeMutablePointer<Double>) {
        tg_dgemm_pack_b(level, trans ? 1 : 0, b, ldb, kc, cols, nr, dst)
    }
    @inline(__always) static func gemmMacro(_ level: tg_cpu_level, _ kc: Int, _ rows: Int, _ cols: Int,
                                            _ packedA: UnsafePointer<Double>, _ packedB: UnsafePointer<Double>,
                                            _ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ alpha: Double, _ beta: Double) {
        tg_dgemm_macro(level, kc, rows, cols, packedA, packedB, c, ldc, alpha, beta)
    }
}

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
    gemmStore(c, T.gemmMulAdd(vb, gemmLoad(c), v0))
    gemmStore(c + lanes, T.gemmMulAdd(vb, gemmLoad(c + lanes), v1))
}

@inline(__always) func gemmCeilDiv(_ x: Int, _ y: Int) -> Int { (x + y - 1) / y }
@inline(__always) func gemmRoundUp(_ x: Int, _ y: Int) -> Int { gemmCeilDiv(x, y) * y }

// MARK: - Driver

func gemmDriver<T: GemmScalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                               alpha: T, a: UnsafePointer<T>, lda: Int,
                               b: UnsafePointer<T>, ldb: Int,
                               beta: T, c: UnsafeMutablePointer<T>, ldc: Int, threads: Int,
                               level: tg_cpu_level, packed: Bool = false) {
    precondition(m >= 0 && n >= 0 && k >= 0, "Gemm: negative dimension")
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
        gemmScale(m: m, n: n, beta: beta, c: c, ldc: ldc)
        return
    }
    if !packed && (m &* n &* k <= T.gemmDirectMax || m == 1 || n == 1) {
        gemmDirect(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    gemmBlocked(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: max(1, threads), level: level)
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
                    acc0 = T.gemmMulAdd(s, gemmLoad(bp), acc0)
                    acc1 = T.gemmMulAdd(s, gemmLoad(bp + lanes), acc1)
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
                    acc = T.gemmMulAdd(T.gemmSplat(ai[p &* aCol]), gemmLoad(bp), acc)
                    bp += ldb
                }
                let r = T.gemmMul(va, acc)
                gemmStore(crow + j, beta == 0 ? r : T.gemmMulAdd(vb, gemmLoad(crow + j), r))
                j &+= lanes
            }
            if j < n {
                // Ragged end of the row: full vectors from the zero-padded copy of B's last columns.
                var acc = T.GemmVector()
                var bp = UnsafePointer(tail!)
                for p in 0..<k {
                    acc = T.gemmMulAdd(T.gemmSplat(ai[p &* aCol]), gemmLoad(bp), acc)
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
                        acc = T.gemmMulAdd(gemmLoad(ai + p), gemmLoad(bj + p), acc)
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
    let a: UnsafePointer<T>
    let b: UnsafePointer<T>
    let c: UnsafeMutablePointer<T>
    let packedB: UnsafeMutablePointer<T>
    let packedA: UnsafeMutablePointer<T>   // one MC×KC block per worker
    let aStride: Int
}

/// The packed path: blocking and threading here, packing and the micro-kernels in C
/// (CTapeGradKernels/gemm.c), all at one CPU level for the whole call (the packing layout
/// depends on it).
func gemmBlocked<T: GemmScalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                alpha: T, a: UnsafePointer<T>, lda: Int,
                                b: UnsafePointer<T>, ldb: Int,
                                beta: T, c: UnsafeMutablePointer<T>, ldc: Int, threads: Int,
                                level: tg_cpu_level) {
    let blocking = T.gemmBlocking(level)
    let mr = blocking.mr, nr = blocking.nr
    // Equal KC slabs (k = 1000 → 4 × 250, not 3 × 256 + 232), so every pass over C does a full
    // share of work; up to kc_single one slab, because saving a read+write pass over C can beat
    // the spill of the B micro-panel from L1 to L2 (Docs/Performance.md).
    let slabs = k <= blocking.kc_single ? 1 : gemmCeilDiv(k, blocking.kc)
    let kcMax = gemmRoundUp(gemmCeilDiv(k, slabs), 8)
    let ncMax = min(gemmRoundUp(blocking.nc, nr), gemmRoundUp(n, nr))

    // Row blocks: a multiple of `threads` equal blocks when m allows, else split columns.
    var mBlocks = gemmCeilDiv(m, blocking.mc)
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
    let buf = GemmBuffers(a: a, b: b, c: c, packedB: packedB, packedA: packedB + bCount, aStride: aStride)
    // op(A)[i][p] and op(B)[p][j] as offsets, so the C packers get a pointer to a block's corner.
    let aRow = transA ? 1 : lda, aCol = transA ? lda : 1
    let bRow = transB ? 1 : ldb, bCol = transB ? ldb : 1

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
                if p0 < p1 {
                    let col0 = jc + p0 * nr
                    T.gemmPackB(level, transB, buf.b + pc * bRow + col0 * bCol, ldb, kc,
                                min(p1 * nr, nc) - p0 * nr, nr, buf.packedB + p0 * nr * kc)
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
                        T.gemmPackA(level, transA, buf.a + ic * aRow + pc * aCol, lda, rows, kc, mr, aBuf)
                        packedRowBlock = mb
                    }
                    let jp0 = part * nPanels / nParts, jp1 = (part + 1) * nPanels / nParts
                    if jp0 < jp1 {
                        T.gemmMacro(level, kc, rows, min(jp1 * nr, nc) - jp0 * nr, aBuf,
                                    buf.packedB + jp0 * nr * kc, buf.c + ic * ldc + jc + jp0 * nr, ldc,
                                    alpha, betaNow)
                    }
                }
            }
            pc += kc
        }
        jc += nc
    }
}
