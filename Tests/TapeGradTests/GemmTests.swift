// Tests for Gemm.sgemm / Gemm.dgemm and parallelFor: every result is compared with a naive
// triple loop in Double, over random shapes that hit both the direct path and the packed,
// blocked path (ragged tiles, several KC slabs, several row blocks), all four transpose
// combinations, padded strides, general alpha/beta, and 1 or 2 threads.

import Testing
import TapeGrad

/// The package's seeded generator, so failures reproduce; `unit` in [-1, 1).
extension SplitMix64 {
    mutating func unit() -> Double { nextUnit() * 2 - 1 }
    mutating func below(_ n: Int) -> Int { nextInt(below: n) }
}

struct GemmTestCase: CustomStringConvertible {
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int
    var alpha: Double, beta: Double
    var padA: Int, padB: Int, padC: Int
    var description: String {
        "\(transA ? "T" : "N")\(transB ? "T" : "N") m=\(m) n=\(n) k=\(k) alpha=\(alpha) beta=\(beta) pads=\(padA),\(padB),\(padC)"
    }
}

typealias GemmTestCall<T> = @Sendable (Bool, Bool, Int, Int, Int, T, UnsafePointer<T>, Int, UnsafePointer<T>, Int,
                         T, UnsafeMutablePointer<T>, Int, Int) -> Void

let gemmTestS: GemmTestCall<Float> = {
    Gemm.sgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9,
               beta: $10, c: $11, ldc: $12, threads: $13)
}
let gemmTestD: GemmTestCall<Double> = {
    Gemm.dgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9,
               beta: $10, c: $11, ldc: $12, threads: $13)
}

/// Runs one case and returns the number of wrong elements (0 on success). Padding of A and B is
/// NaN, so reading outside the logical matrices shows up; padding of C must stay untouched; with
/// beta == 0, C starts as NaN, which must not leak into the result.
func gemmCheckCase<T: BinaryFloatingPoint>(_ t: GemmTestCase, threads: Int, seed: UInt64, _ call: GemmTestCall<T>) -> Int {
    var rng = SplitMix64(seed: seed)
    let aRows = t.transA ? t.k : t.m, aCols = t.transA ? t.m : t.k
    let bRows = t.transB ? t.n : t.k, bCols = t.transB ? t.k : t.n
    let lda = aCols + t.padA, ldb = bCols + t.padB, ldc = t.n + t.padC
    var a = [T](repeating: .nan, count: max(1, aRows * lda))
    var b = [T](repeating: .nan, count: max(1, bRows * ldb))
    var c = [T](repeating: 12345, count: max(1, t.m * ldc))
    for i in 0..<aRows { for j in 0..<aCols { a[i * lda + j] = T(rng.unit()) } }
    for i in 0..<bRows { for j in 0..<bCols { b[i * ldb + j] = T(rng.unit()) } }
    for i in 0..<t.m { for j in 0..<t.n { c[i * ldc + j] = t.beta == 0 ? .nan : T(rng.unit()) } }
    let c0 = c
    let alpha = T(t.alpha), beta = T(t.beta)
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                call(t.transA, t.transB, t.m, t.n, t.k, alpha, pa.baseAddress!, lda, pb.baseAddress!, ldb,
                     beta, pc.baseAddress!, ldc, threads)
            }
        }
    }
    let eps = Double(T.ulpOfOne)
    var wrong = 0
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            for i in 0..<t.m {
                for j in 0..<t.n {
                    var sum = 0.0, mag = 0.0
                    for p in 0..<t.k {
                        let x = Double(t.transA ? a[p * lda + i] : a[i * lda + p])
                        let y = Double(t.transB ? b[j * ldb + p] : b[p * ldb + j])
                        sum += x * y
                        mag += abs(x * y)
                    }
                    let old = t.beta == 0 ? 0 : Double(c0[i * ldc + j])
                    let expected = Double(alpha) * sum + Double(beta) * old
                    let bound = 4 * Double(t.k + 2) * eps * (abs(Double(alpha)) * mag + abs(Double(beta) * old)) + 1e-300
                    let got = Double(c[i * ldc + j])
                    if !(abs(got - expected) <= bound) { wrong += 1 }
                }
                for j in t.n..<ldc where c[i * ldc + j] != 12345 { wrong += 1 }  // padding of C untouched
            }
        }
    }
    return wrong
}

/// Random cases with sizes around the kernel's tile and block edges.
func gemmRandomCases(count: Int, seed: UInt64, sizes: [Int]) -> [GemmTestCase] {
    var rng = SplitMix64(seed: seed)
    let alphas = [1.0, -0.5, 2.25, 0.0]
    let betas = [0.0, 1.0, -1.5, 0.5]
    return (0..<count).map { _ in
        GemmTestCase(transA: rng.below(2) == 1, transB: rng.below(2) == 1,
                 m: sizes[rng.below(sizes.count)], n: sizes[rng.below(sizes.count)], k: sizes[rng.below(sizes.count)],
                 alpha: alphas[rng.below(alphas.count)], beta: betas[rng.below(betas.count)],
                 padA: rng.below(3) * 3, padB: rng.below(3) * 5, padC: rng.below(3) * 2)
    }
}

let gemmSmallSizes = [0, 1, 2, 3, 5, 7, 8, 11, 12, 13, 15, 16, 17, 23, 24, 31, 32, 33, 40, 47, 48, 64, 65]
let gemmBlockedSizes = [1, 2, 13, 25, 37, 64, 97, 130, 193, 200, 257]

@Suite("Gemm")
struct GemmTests {
    @Test("sgemm, random small and odd shapes", arguments: [1, 2])
    func sgemmSmall(threads: Int) {
        for (i, t) in gemmRandomCases(count: 300, seed: 1, sizes: gemmSmallSizes).enumerated() {
            #expect(gemmCheckCase(t, threads: threads, seed: UInt64(i), gemmTestS) == 0, "\(t)")
        }
    }

    @Test("dgemm, random small and odd shapes", arguments: [1, 2])
    func dgemmSmall(threads: Int) {
        for (i, t) in gemmRandomCases(count: 300, seed: 2, sizes: gemmSmallSizes).enumerated() {
            #expect(gemmCheckCase(t, threads: threads, seed: UInt64(i), gemmTestD) == 0, "\(t)")
        }
    }

    @Test("sgemm, random shapes on the packed path", arguments: [1, 2])
    func sgemmBlocked(threads: Int) {
        for (i, t) in gemmRandomCases(count: 30, seed: 3, sizes: gemmBlockedSizes).enumerated() {
            #expect(gemmCheckCase(t, threads: threads, seed: UInt64(i), gemmTestS) == 0, "\(t)")
        }
    }

    @Test("dgemm, random shapes on the packed path", arguments: [1, 2])
    func dgemmBlocked(threads: Int) {
        for (i, t) in gemmRandomCases(count: 30, seed: 4, sizes: gemmBlockedSizes).enumerated() {
            #expect(gemmCheckCase(t, threads: threads, seed: UInt64(i), gemmTestD) == 0, "\(t)")
        }
    }

    /// All four transposes at shapes that cross several KC slabs (k > 512), MC row blocks
    /// (m > 480) and NC column blocks (n > 4096), with ragged edges everywhere.
    @Test("all transposes across block boundaries", arguments: [1, 2])
    func acrossBlocks(threads: Int) {
        let shapes = [(500, 20, 300), (13, 4133, 21), (100, 40, 600)]
        var seed: UInt64 = 100
        for (m, n, k) in shapes {
            for transA in [false, true] {
                for transB in [false, true] {
                    let t = GemmTestCase(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, beta: -0.5,
                                     padA: 1, padB: 2, padC: 3)
                    seed += 1
                    #expect(gemmCheckCase(t, threads: threads, seed: seed, gemmTestS) == 0, "sgemm \(t)")
                    #expect(gemmCheckCase(t, threads: threads, seed: seed, gemmTestD) == 0, "dgemm \(t)")
                }
            }
        }
    }

    @Test("degenerate sizes and the products a small MLP uses")
    func degenerate() {
        let cases: [(Int, Int, Int)] = [(0, 0, 0), (0, 5, 3), (5, 0, 3), (5, 3, 0), (1, 1, 1), (1, 1, 0),
                                        (32, 16, 4), (4, 16, 1), (32, 1, 16), (1, 100, 243), (243, 1, 100)]
        for (m, n, k) in cases {
            for (alpha, beta) in [(1.0, 0.0), (1.0, 1.0), (0.0, 2.0), (-2.0, 0.5), (0.0, 0.0)] {
                for transA in [false, true] {
                    for transB in [false, true] {
                        let t = GemmTestCase(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
                                         padA: 0, padB: 1, padC: 1)
                        for threads in [1, 2] {
                            #expect(gemmCheckCase(t, threads: threads, seed: 9, gemmTestS) == 0, "sgemm \(t)")
                            #expect(gemmCheckCase(t, threads: threads, seed: 9, gemmTestD) == 0, "dgemm \(t)")
                        }
                    }
                }
            }
        }
    }

    @Test("exact small integer products")
    func exactProduct() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: .nan, count: 4)
        Gemm.sgemm(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, a: a, lda: 2, b: b, ldb: 2,
                   beta: 0, c: &c, ldc: 2, threads: 1)
        #expect(c == [19, 22, 43, 50])
        // Aᵀ·Bᵀ = (B·A)ᵀ = [23 31; 34 46]
        var d = [Double](repeating: 1, count: 4)
        Gemm.dgemm(transA: true, transB: true, m: 2, n: 2, k: 2, alpha: 1, a: a.map(Double.init), lda: 2,
                   b: b.map(Double.init), ldb: 2, beta: 1, c: &d, ldc: 2, threads: 2)
        #expect(d == [24, 32, 35, 47])
    }
}

@Suite("parallelFor")
struct GemmParallelForTests {
    final class Counts: @unchecked Sendable {
        var hits: [Int]
        init(_ n: Int) { hits = [Int](repeating: 0, count: n) }
    }

    @Test("visits every index exactly once", arguments: [0, 1, 2, 3, 7, 64])
    func visitsEachIndexOnce(count: Int) {
        for threads in [0, 1, 2, 3, 8] {
            let counts = Counts(count)
            counts.hits.withUnsafeMutableBufferPointer { hits in
                parallelFor(count, threads: threads) { i in hits[i] += 1 }
            }
            #expect(counts.hits == [Int](repeating: 1, count: count), "count \(count) threads \(threads)")
        }
    }
}
