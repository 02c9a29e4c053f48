// Every CPU level of the C kernels that this machine supports, run side by side: GEMM through
// the packed path and the direct path at each level is checked against the naive Double product (the bound of
// GemmTests) and against the portable level, and the vectorised sigmoid against libm. The level
// is a parameter of the kernel entry, never the process-wide setting, so these tests can run in
// parallel with everything else. The portable level runs on every machine, so arm64 and older
// x86 paths are tested wherever the suite runs.

import Foundation
import Testing
@testable import TapeGrad

/// The levels this machine can run (the higher ones are skipped, not faked).
let supportedLevels = CPULevel.allCases.filter { $0 <= CPULevel.hardware }

/// GEMM at `level`; `packed` sends even the smallest products through the packed path, otherwise
/// small ones take the direct kernel of that level.
func levelGemmS(_ level: CPULevel, packed: Bool = true) -> GemmTestCall<Float> {
    { Gemm.sgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9,
                 beta: $10, c: $11, ldc: $12, threads: $13, level: level, packed: packed) }
}

func levelGemmD(_ level: CPULevel, packed: Bool = true) -> GemmTestCall<Double> {
    { Gemm.dgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9,
                 beta: $10, c: $11, ldc: $12, threads: $13, level: level, packed: packed) }
}

/// Runs one case at `level` and at the portable level on the same inputs and returns how many
/// elements differ by more than the tolerance: 2·(k + 2)·ε·(|alpha|·Σ|a·b| + |beta·c|), i.e. both
/// within the rounding error a length-k sum may accumulate (FMA vs separate multiply-add and
/// different summation orders account for the difference).
func levelDifference<T: BinaryFloatingPoint>(_ t: GemmTestCase, level: CPULevel, seed: UInt64,
                                             _ call: (CPULevel) -> GemmTestCall<T>) -> Int {
    var rng = SplitMix64(seed: seed)
    let aRows = t.transA ? t.k : t.m, aCols = t.transA ? t.m : t.k
    let bRows = t.transB ? t.n : t.k, bCols = t.transB ? t.k : t.n
    let lda = aCols + t.padA, ldb = bCols + t.padB, ldc = t.n + t.padC
    let a = (0..<max(1, aRows * lda)).map { _ in T(rng.unit()) }
    let b = (0..<max(1, bRows * ldb)).map { _ in T(rng.unit()) }
    let c0 = (0..<max(1, t.m * ldc)).map { _ in T(rng.unit()) }
    func run(_ level: CPULevel) -> [T] {
        var c = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    call(level)(t.transA, t.transB, t.m, t.n, t.k, T(t.alpha), pa.baseAddress!, lda, pb.baseAddress!, ldb,
                                T(t.beta), pc.baseAddress!, ldc, 2)
                }
            }
        }
        return c
    }
    let fast = run(level), portable = run(.portable)
    let eps = Double(T.ulpOfOne)
    var wrong = 0
    for i in 0..<t.m {
        for j in 0..<t.n {
            var mag = 0.0
            for p in 0..<t.k {
                let x = Double(t.transA ? a[p * lda + i] : a[i * lda + p])
                let y = Double(t.transB ? b[j * ldb + p] : b[p * ldb + j])
                mag += abs(x * y)
            }
            let tolerance = 2 * Double(t.k + 2) * eps * (abs(t.alpha) * mag + abs(t.beta * Double(c0[i * ldc + j])))
            if !(abs(Double(fast[i * ldc + j]) - Double(portable[i * ldc + j])) <= tolerance) { wrong += 1 }
        }
    }
    return wrong
}

@Suite("CPU levels")
struct CPULevelTests {
    @Test("the detected level is at least portable and TAPEGRAD_CPU cannot raise it")
    func levels() {
        #expect(supportedLevels.first == .portable)
        #expect(CPULevel.current <= CPULevel.hardware)
        #expect(CPULevel.allCases.map(\.description) == ["portable", "avx2", "avx512", "avx512bf16"])
    }

    @Test("packed sgemm/dgemm at each level: small, odd and ragged shapes, all transposes, alpha/beta",
          arguments: supportedLevels)
    func packedSmall(level: CPULevel) {
        for (i, t) in gemmRandomCases(count: 150, seed: 11, sizes: gemmSmallSizes).enumerated() {
            #expect(gemmCheckCase(t, threads: 1 + i % 2, seed: UInt64(i), levelGemmS(level)) == 0, "\(level) sgemm \(t)")
            #expect(gemmCheckCase(t, threads: 1 + i % 2, seed: UInt64(i), levelGemmD(level)) == 0, "\(level) dgemm \(t)")
        }
    }

    @Test("direct (unpacked) sgemm/dgemm at each level: small, odd shapes, all transposes, alpha/beta",
          arguments: supportedLevels)
    func directSmall(level: CPULevel) {
        for (i, t) in gemmRandomCases(count: 200, seed: 14, sizes: gemmSmallSizes).enumerated() {
            #expect(gemmCheckCase(t, threads: 1, seed: UInt64(i), levelGemmS(level, packed: false)) == 0, "\(level) sgemm \(t)")
            #expect(gemmCheckCase(t, threads: 1, seed: UInt64(i), levelGemmD(level, packed: false)) == 0, "\(level) dgemm \(t)")
        }
        // Single rows and columns (GEMV shapes) always take the direct kernel.
        for (i, (m, n, k)) in [(1, 100, 243), (243, 1, 100), (1, 37, 5), (29, 1, 64)].enumerated() {
            for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                let t = GemmTestCase(transA: transA, transB: transB, m: m, n: n, k: k, alpha: -1.5, beta: 0.5,
                                     padA: 2, padB: 1, padC: 1)
                #expect(gemmCheckCase(t, threads: 1, seed: UInt64(i), levelGemmS(level, packed: false)) == 0, "\(level) sgemm \(t)")
                #expect(gemmCheckCase(t, threads: 1, seed: UInt64(i), levelGemmD(level, packed: false)) == 0, "\(level) dgemm \(t)")
            }
        }
    }

    @Test("packed sgemm/dgemm at each level: shapes across tiles and blocks", arguments: supportedLevels)
    func packedBlocked(level: CPULevel) {
        for (i, t) in gemmRandomCases(count: 24, seed: 12, sizes: gemmBlockedSizes).enumerated() {
            #expect(gemmCheckCase(t, threads: 1 + i % 2, seed: UInt64(i), levelGemmS(level)) == 0, "\(level) sgemm \(t)")
            #expect(gemmCheckCase(t, threads: 1 + i % 2, seed: UInt64(i), levelGemmD(level)) == 0, "\(level) dgemm \(t)")
        }
        // Several KC slabs (k > 512), several row blocks, a column block edge, every transpose.
        var seed: UInt64 = 200
        for (m, n, k) in [(300, 20, 1100), (13, 4133, 21), (150, 70, 600)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let t = GemmTestCase(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, beta: -0.5,
                                         padA: 1, padB: 2, padC: 3)
                    seed += 1
                    #expect(gemmCheckCase(t, threads: 2, seed: seed, levelGemmS(level)) == 0, "\(level) sgemm \(t)")
                    #expect(gemmCheckCase(t, threads: 2, seed: seed, levelGemmD(level)) == 0, "\(level) dgemm \(t)")
                }
            }
        }
    }

    /// Tasks claimed by 1, 2 or 3 workers: row blocks split (m = 150 with 2 or 3 threads), columns
    /// split (m = 7), k over several KC slabs. The workers take tasks in whatever order the
    /// scheduler lets them, so the result must be right and bit-identical for every thread count.
    @Test("claimed GEMM tasks at each level: correct, and the same bits for 1, 2 and 3 threads",
          arguments: supportedLevels)
    func claimedTasks(level: CPULevel) {
        var seed: UInt64 = 300
        for (m, n, k) in [(150, 40, 1100), (7, 90, 1100), (61, 20, 2600)] {
            let t = GemmTestCase(transA: m == 7, transB: m == 61, m: m, n: n, k: k, alpha: 1.25, beta: 0.5,
                                 padA: 1, padB: 2, padC: 3)
            seed += 1
            #expect(gemmCheckCase(t, threads: 3, seed: seed, levelGemmS(level)) == 0, "\(level) sgemm \(t)")
            #expect(gemmCheckCase(t, threads: 2, seed: seed, levelGemmD(level)) == 0, "\(level) dgemm \(t)")
            var rng = SplitMix64(seed: seed)
            let a = (0..<(m * k)).map { _ in Float(rng.unit()) }
            let b = (0..<(k * n)).map { _ in Float(rng.unit()) }
            func product(threads: Int) -> [Float] {
                var c = [Float](repeating: 1, count: m * n)
                levelGemmS(level)(false, false, m, n, k, 1, a, k, b, n, 0.5, &c, n, threads)
                return c
            }
            let one = product(threads: 1)
            for threads in [2, 3] {
                #expect(product(threads: threads) == one, "\(level) m \(m) n \(n) k \(k): \(threads) threads differ from 1")
            }
        }
    }

    @Test("each level agrees with the portable level", arguments: supportedLevels.filter { $0 != .portable })
    func agreesWithPortable(level: CPULevel) {
        for (i, t) in gemmRandomCases(count: 40, seed: 13, sizes: gemmBlockedSizes + [7, 12, 16, 33]).enumerated() {
            #expect(levelDifference(t, level: level, seed: UInt64(i), { levelGemmS($0) }) == 0, "\(level) sgemm \(t)")
            #expect(levelDifference(t, level: level, seed: UInt64(i), { levelGemmD($0) }) == 0, "\(level) dgemm \(t)")
        }
    }

    @Test("sigmoid at each level: within 4·10⁻⁷ of libm, specials, every ragged length", arguments: supportedLevels)
    func sigmoid(level: CPULevel) {
        var rng = SplitMix64(seed: 5)
        for count in Array(0...40) + [1000, 4099] {
            var x = (0..<count).map { _ in Float(rng.unit() * 30) }
            let specials: [Float] = [.nan, .infinity, -.infinity, -100, 100, -87.5, 88.5, 0, -0.0, 1e-30]
            for (i, s) in specials.enumerated() where i < count { x[i * count / specials.count] = s }
            var y = [Float](repeating: -1, count: count + 1)   // one guard element
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    Kernels.sigmoid(px, into: UnsafeMutableBufferPointer(rebasing: py[0..<count]), level: level)
                }
            }
            #expect(y[count] == -1, "\(level): wrote past the end at count \(count)")
            for i in 0..<count {
                let v = Double(x[i])
                if v.isNaN { #expect(y[i].isNaN); continue }
                let expected = v >= 0 ? 1 / (1 + Foundation.exp(-v)) : Foundation.exp(v) / (1 + Foundation.exp(v))
                let ok = abs(Double(y[i]) - expected) <= 4e-7 * expected || (expected < 1e-37 && y[i] == 0)
                #expect(ok, "\(level): sigmoid(\(x[i])) = \(y[i]), expected \(expected)")
            }
        }
    }
}
