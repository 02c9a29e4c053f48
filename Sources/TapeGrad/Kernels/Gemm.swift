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
// Where the code lives. Blocking and threading are here; packing, the micro-kernels and the
// direct path for small products are C (CTapeGradKernels/gemm.c), compiled for every CPU level
// (AVX-512, AVX2+FMA, portable) because the package is built without CPU flags, so that it can
// be used as a versioned dependency. The level is read once per call (`tg_cpu_level_get`, or a
// test's explicit level), and the blocking (MR, NR, MC, KC, NC) comes from the same level, since
// the packed layout depends on the micro-kernel's tile. gemm.c explains the tiles and block sizes.
//
// k is split into equal KC slabs (k = 1000 → 2 × 500 rather than 512 + 488) so every pass over C
// does a full share of work, and k up to `kc_single` runs as one slab, saving a pass over C; n is
// split into equal NC blocks likewise.
//
// Threading. The m rows are divided into a multiple of `threads` MC blocks of equal size; when m
// is too small for that, the NR micro-panels of each B slab are divided among the workers
// instead. A task is one (row block, panel range) of a KC slab; the workers claim tasks one at
// a time from a shared counter, so a worker that the scheduler delays (other processes on a
// shared machine) takes fewer of them instead of holding the others at the barrier. Each
// worker packs its own A block into a private buffer; packing of the shared B slab is itself
// split between the workers. Fork/join is `parallelFor` (Dispatch `concurrentPerform`), twice
// per (NC, KC) pair. Which worker computes a tile does not change how it is computed, so the
// result is the same bits for any thread count.
//
// Small products skip packing altogether (m·n·k ≤ 2^15 for Float, 2^14 for Double, or a single
// row or column of C): the C direct kernel keeps a tile of C in registers over the whole k loop.
// On Zen 3 (AVX2) it matched the packed path up to about 32³ and lost beyond (48³: 13 vs 65
// GFLOP/s, one thread); see Docs/Performance.md.

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

/// What the generic driver needs from an element type: the C kernels (CTapeGradKernels/gemm.c)
/// of that type.
protocol GemmScalar: BinaryFloatingPoint {
    /// Up to this many multiply-adds (m·n·k) the direct loop beats packing (measured).
    static var gemmDirectMax: Int { get }
    /// The unpacked kernel for small products (`tg_sgemm_direct`).
    static func gemmDirect(_ level: tg_cpu_level, _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                           _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                           _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
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
    @inline(__always) static var gemmDirectMax: Int { 32768 }
    @inline(__always) static func gemmDirect(_ level: tg_cpu_level, _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int,
                                             _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                                             _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
                                             _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        tg_sgemm_direct(level, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
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
    @inline(__always) static var gemmDirectMax: Int { 16384 }
    @inline(__always) static func gemmDirect(_ level: tg_cpu_level, _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int,
                                             _ k: Int, _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
                                             _ b: UnsafePointer<Double>, _ ldb: Int, _ beta: Double,
                                             _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        tg_dgemm_direct(level, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
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
        T.gemmDirect(level, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
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

/// Pointers shared by the workers of one blocked call. Unsafe pointers are not Sendable; the
/// workers write disjoint parts of the buffers and of C, separated by the fork/join barriers.
struct GemmBuffers<T: GemmScalar>: @unchecked Sendable {
    let a: UnsafePointer<T>
    let b: UnsafePointer<T>
    let c: UnsafeMutablePointer<T>
    let packedB: UnsafeMutablePointer<T>
    let packedA: UnsafeMutablePointer<T>   // one MC×KC block per worker
    let aStride: Int
    let nextTask: UnsafeMutablePointer<Int>   // the tasks' claim counter (tg_fetch_add)
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
    // Equal NC blocks (n = 6040 → 3 × 2016, not 2048 + 2048 + 1944), rounded to whole panels.
    let ncMax = gemmRoundUp(gemmCeilDiv(n, gemmCeilDiv(n, blocking.nc)), nr)

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
    let nextTask = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    defer { nextTask.deallocate() }
    let buf = GemmBuffers(a: a, b: b, c: c, packedB: packedB, packedA: packedB + bCount, aStride: aStride,
                          nextTask: nextTask)
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
            // Tasks are (row block, panel range) pairs: pack A, run the tile loop. Workers claim
            // them one at a time, so a worker that the scheduler delays takes fewer; every
            // element of C is computed the same way whichever worker takes it, so the result
            // does not depend on the thread count or the timing.
            nextTask.pointee = 0
            parallelFor(workers, threads: workers) { w in
                let aBuf = buf.packedA + w * buf.aStride
                var packedRowBlock = -1
                while true {
                    let t = tg_fetch_add(buf.nextTask, 1)
                    if t >= tasks { break }
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
