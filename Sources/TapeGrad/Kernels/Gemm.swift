// Temporary straightforward GEMM; replaced by the blocked SIMD kernel (issue 5).
import Dispatch

/// Row-major general matrix multiply: C = alpha · op(A) · op(B) + beta · C.
public enum Gemm {
    /// Float GEMM.
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) {
        naive(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
              beta: beta, c: c, ldc: ldc)
    }
    /// Double GEMM.
    public static func dgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Double, a: UnsafePointer<Double>, lda: Int,
                             b: UnsafePointer<Double>, ldb: Int,
                             beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int, threads: Int) {
        naive(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
              beta: beta, c: c, ldc: ldc)
    }
    static func naive<T: BinaryFloatingPoint>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                              alpha: T, a: UnsafePointer<T>, lda: Int,
                                              b: UnsafePointer<T>, ldb: Int,
                                              beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
            for p in 0..<k {
                let aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
                if transB {
                    for j in 0..<n { c[i * ldc + j] += aip * b[j * ldb + p] }
                } else {
                    for j in 0..<n { c[i * ldc + j] += aip * b[p * ldb + j] }
                }
            }
        }
    }
}

/// Runs `body(i)` for every `i` in `0..<count` on up to `threads` threads.
public func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    if threads <= 1 || count <= 1 {
        for i in 0..<count { body(i) }
    } else {
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`; safe because the callers' bodies
/// write disjoint memory and `concurrentPerform` returns only after every iteration.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
