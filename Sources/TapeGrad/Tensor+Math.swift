// Tensor-level operations: the forward computations of the ops, usable directly for inference
// (no tape, nothing recorded). The differentiable versions in Ops/ call these.

extension Tensor {
    /// Elementwise sum with NumPy broadcasting.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { Kernels.broadcast(lhs, rhs, op: "add") { $0 + $1 } }
    /// Elementwise difference with NumPy broadcasting.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { Kernels.broadcast(lhs, rhs, op: "subtract") { $0 - $1 } }
    /// Elementwise product with NumPy broadcasting.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { Kernels.broadcast(lhs, rhs, op: "multiply") { $0 * $1 } }
    /// Elementwise quotient with NumPy broadcasting.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { Kernels.broadcast(lhs, rhs, op: "divide") { $0 / $1 } }
    /// Elementwise negation.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static prefix func - (x: Tensor) -> Tensor { Tensor(shape: x.shape, scalars: Kernels.map(x.scalars) { -$0 }) }
    /// Every element times a scalar.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (lhs: Tensor, rhs: Scalar) -> Tensor { Tensor(shape: lhs.shape, scalars: Kernels.map(lhs.scalars) { $0 * rhs }) }
    /// Every element times a scalar.
    public static func * (lhs: Scalar, rhs: Tensor) -> Tensor { rhs * lhs }
    /// A scalar added to every element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (lhs: Tensor, rhs: Scalar) -> Tensor { Tensor(shape: lhs.shape, scalars: Kernels.map(lhs.scalars) { $0 + rhs }) }
    /// A scalar added to every element.
    public static func + (lhs: Scalar, rhs: Tensor) -> Tensor { rhs + lhs }

    /// Adds `other` (same shape) into this tensor without allocating: gradient accumulation.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "Tensor.add: shapes \(shape) and \(other.shape) differ")
        scalars.withUnsafeMutableBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                Kernels.forElementChunks(a.count) { range in
                    for i in range { a[i] += b[i] }
                }
            }
        }
    }

    /// The sum of all elements, as a rank-0 tensor.
    public func sum() -> Tensor { Tensor(scalar: Kernels.sum(scalars)) }

    /// The mean of all elements, as a rank-0 tensor (NaN for an empty tensor).
    public func mean() -> Tensor { Tensor(scalar: Kernels.sum(scalars) / Scalar(count)) }

    /// Sums over one axis of a matrix: axis 0 sums the rows (result: one value per column),
    /// axis 1 sums each row (result: one value per row). The axis is removed from the shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(alongAxis axis: Int) -> Tensor {
        precondition(rank == 2 && (axis == 0 || axis == 1), "Tensor.sum(alongAxis:): axis \(axis) of shape \(shape)")
        let (rows, columns) = (shape[0], shape[1])
        if axis == 0 { return Kernels.unbroadcast(self, to: [columns]) }
        var out = [Scalar](repeating: 0, count: rows)
        scalars.withUnsafeBufferPointer { p in
            for i in 0..<rows {
                var s: Scalar = 0
                for j in 0..<columns { s += p[i * columns + j] }
                out[i] = s
            }
        }
        return Tensor(shape: [rows], scalars: out)
    }

    /// The mean over one axis of a matrix; see ``sum(alongAxis:)``.
    public func mean(alongAxis axis: Int) -> Tensor {
        precondition(rank == 2 && (axis == 0 || axis == 1), "Tensor.mean(alongAxis:): axis \(axis) of shape \(shape)")
        return sum(alongAxis: axis) * (1 / Scalar(shape[axis]))
    }

    /// Every element squared.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func squared() -> Tensor { Tensor(shape: shape, scalars: Kernels.map(scalars) { $0 * $0 }) }

    /// The sum of squared elements (the squared Frobenius norm), accumulated in Double.
    /// Summed in fixed chunks of 2¹⁴ elements with eight Double lanes each, chunk sums added in
    /// order: vectorised and spread over threads, yet the same result for any thread count. (A
    /// single serial Double sum ran at one add per 4 cycles: 80 ms per step for AutoRec's 70M
    /// weights on the ML-10M shape.)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sumOfSquares() -> Scalar {
        let chunk = 1 << 14
        let chunks = (count + chunk - 1) / chunk
        guard chunks > 0 else { return 0 }
        var partials = [Double](repeating: 0, count: chunks)
        scalars.withUnsafeBufferPointer { p in
            partials.withUnsafeMutableBufferPointer { out in
                Parallelism.forChunks(chunks, grain: 16) { range in
                    for c in range {
                        let end = min(p.count, (c + 1) * chunk)
                        var i = c * chunk
                        var lanes = SIMD8<Double>()
                        while i + 8 <= end {
                            let x = SIMD8<Double>(Double(p[i]), Double(p[i + 1]), Double(p[i + 2]), Double(p[i + 3]),
                                                  Double(p[i + 4]), Double(p[i + 5]), Double(p[i + 6]), Double(p[i + 7]))
                            lanes += x * x
                            i += 8
                        }
                        var total = lanes.sum()
                        while i < end { total += Double(p[i]) * Double(p[i]); i += 1 }
                        out[c] = total
                    }
                }
            }
        }
        return Scalar(partials.reduce(0, +))
    }
}

/// Elementwise e^x.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func exp<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    Tensor(shape: x.shape, scalars: Kernels.map(x.scalars) { Scalar.exp($0) })
}

/// Elementwise natural logarithm.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func log<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    Tensor(shape: x.shape, scalars: Kernels.map(x.scalars) { Scalar.log($0) })
}

/// Elementwise logistic function 1 / (1 + e^-x), computed without overflow for any x:
/// for x < 0 it uses e^x / (1 + e^x), so the exponential never exceeds 1. Float runs a vector
/// at a time through a vectorised exponential (`Kernels.sigmoid`, C kernels chosen by CPU
/// level, within 2·10⁻⁷ of libm); Double uses libm.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sigmoid<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    if Scalar.self == Float.self {
        let floats = unsafeBitCast(x.scalars, to: [Float].self)
        let out = [Float](unsafeUninitializedCapacity: floats.count) { buffer, initialized in
            floats.withUnsafeBufferPointer { Kernels.sigmoid($0, into: buffer) }
            initialized = floats.count
        }
        return Tensor(shape: x.shape, scalars: unsafeBitCast(out, to: [Scalar].self))
    }
    return Tensor(shape: x.shape, scalars: Kernels.map(x.scalars) { v in
        let e = Scalar.exp(-abs(v))
        return v >= 0 ? 1 / (1 + e) : e / (1 + e)
    })
}

/// Elementwise hyperbolic tangent.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func tanh<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    Tensor(shape: x.shape, scalars: Kernels.map(x.scalars) { Scalar.tanh($0) })
}

/// Elementwise max(x, 0).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func relu<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    Tensor(shape: x.shape, scalars: Kernels.map(x.scalars) { $0 > 0 ? $0 : 0 })
}

/// The matrix product op(a) · op(b), where op transposes when asked. Shapes: a is m×k (k×m
/// when transposed), b is k×n (n×k when transposed); the result is m×n.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func matmul<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>,
                           transposeA: Bool = false, transposeB: Bool = false) -> Tensor<Scalar> {
    precondition(a.rank == 2 && b.rank == 2, "matmul: needs matrices, got shapes \(a.shape) and \(b.shape)")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    precondition(k == k2, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let result = [Scalar](unsafeUninitializedCapacity: m * n) { out, initialized in
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                if k == 0 {
                    for i in 0..<(m * n) { out[i] = 0 }
                } else if m > 0 && n > 0 {
                    Scalar.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k,
                                alpha: 1, a: pa.baseAddress!, lda: a.shape[1],
                                b: pb.baseAddress!, ldb: b.shape[1],
                                beta: 0, c: out.baseAddress!, ldc: n, threads: Parallelism.threads)
                }
            }
        }
        initialized = m * n
    }
    return Tensor(shape: [m, n], scalars: result)
}
