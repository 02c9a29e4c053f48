#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// The element types a ``Tensor`` can hold: `Float` for speed, `Double` for gradient checks.
///
/// The protocol adds what generic numeric code cannot get from `BinaryFloatingPoint` alone:
/// the elementary functions (the C library's are overloaded per type, so generic code cannot
/// call them) and the entry point of the dense matrix-multiply kernel, which is written
/// separately for each type so that it is fully specialised and vectorised.
public protocol TensorScalar: BinaryFloatingPoint, SIMDScalar, Codable, Sendable, LosslessStringConvertible {
    /// e^x.
    static func exp(_ x: Self) -> Self
    /// The natural logarithm.
    static func log(_ x: Self) -> Self
    /// The hyperbolic tangent.
    static func tanh(_ x: Self) -> Self
    /// xʸ.
    static func pow(_ x: Self, _ y: Self) -> Self
    /// The name of this type in the safetensors format (`F32`, `F64`).
    static var dtypeName: String { get }

    /// Row-major `C = alpha · op(A) · op(B) + beta · C`; see ``Gemm``.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int, threads: Int)
}

extension Float: TensorScalar {
    /// e^x.
    public static func exp(_ x: Float) -> Float { libmExpf(x) }
    /// The natural logarithm.
    public static func log(_ x: Float) -> Float { libmLogf(x) }
    /// The hyperbolic tangent.
    public static func tanh(_ x: Float) -> Float { libmTanhf(x) }
    /// xʸ.
    public static func pow(_ x: Float, _ y: Float) -> Float { libmPowf(x, y) }
    /// `F32`.
    public static var dtypeName: String { "F32" }
    /// Forwards to ``Gemm/sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:)``.
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) {
        Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads)
    }
}

extension Double: TensorScalar {
    /// e^x.
    public static func exp(_ x: Double) -> Double { libmExp(x) }
    /// The natural logarithm.
    public static func log(_ x: Double) -> Double { libmLog(x) }
    /// The hyperbolic tangent.
    public static func tanh(_ x: Double) -> Double { libmTanh(x) }
    /// xʸ.
    public static func pow(_ x: Double, _ y: Double) -> Double { libmPow(x, y) }
    /// `F64`.
    public static var dtypeName: String { "F64" }
    /// Forwards to ``Gemm/dgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:)``.
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int, threads: Int) {
        Gemm.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads)
    }
}

// The C library's functions, reached from file scope where the names are not shadowed by the
// static requirements above.
@inline(__always) private func libmExpf(_ x: Float) -> Float { expf(x) }
@inline(__always) private func libmLogf(_ x: Float) -> Float { logf(x) }
@inline(__always) private func libmTanhf(_ x: Float) -> Float { tanhf(x) }
@inline(__always) private func libmPowf(_ x: Float, _ y: Float) -> Float { powf(x, y) }
@inline(__always) private func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) private func libmTanh(_ x: Double) -> Double { tanh(x) }
@inline(__always) private func libmPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
