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
                        let end = Swift.min(p.count, (c + 1) * chunk)
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

/// Elementwise |x|.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func abs<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    Tensor(shape: x.shape, scalars: Kernels.map(x.scalars) { Swift.abs($0) })
}

/// Elementwise √x (NaN below 0).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sqrt<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    Tensor(shape: x.shape, scalars: Kernels.map(x.scalars) { $0.squareRoot() })
}

/// Elementwise xᵖ for a scalar exponent p (the C library's `pow`: a negative x gives NaN unless
/// p is an integer).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func pow<Scalar>(_ x: Tensor<Scalar>, _ p: Scalar) -> Tensor<Scalar> {
    if p == 2 { return x.squared() }
    return Tensor(shape: x.shape, scalars: Kernels.map(x.scalars) { Scalar.pow($0, p) })
}

/// Elementwise aᵇ with NumPy broadcasting.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func pow<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Tensor<Scalar> {
    Kernels.broadcast(a, b, op: "pow") { Scalar.pow($0, $1) }
}

/// Whether `maximum(a, b)` takes a (a ≥ b, or a is NaN) rather than b: ties go to the first
/// argument, and a NaN on either side propagates.
@inline(__always)
func maximumTakesFirst<Scalar: TensorScalar>(_ a: Scalar, _ b: Scalar) -> Bool { a >= b || a != a }

/// Whether `minimum(a, b)` takes a (a ≤ b, or a is NaN).
@inline(__always)
func minimumTakesFirst<Scalar: TensorScalar>(_ a: Scalar, _ b: Scalar) -> Bool { a <= b || a != a }

/// Elementwise maximum with NumPy broadcasting; a NaN on either side gives NaN.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func maximum<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Tensor<Scalar> {
    Kernels.broadcast(a, b, op: "maximum") { maximumTakesFirst($0, $1) ? $0 : $1 }
}

/// Elementwise minimum with NumPy broadcasting; a NaN on either side gives NaN.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func minimum<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Tensor<Scalar> {
    Kernels.broadcast(a, b, op: "minimum") { minimumTakesFirst($0, $1) ? $0 : $1 }
}

/// Softmax along the last axis, computed with the row maximum subtracted (no overflow for
/// any finite logits); each row of the result sums to 1.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func softmax<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    softmaxRows(x, logarithm: false, op: "softmax")
}

/// Log-softmax along the last axis: x − max − log Σ e^{x − max} per row, finite wherever the
/// logits are (log(softmax(x)) would give −∞ where the softmax underflows).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func logSoftmax<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    softmaxRows(x, logarithm: true, op: "logSoftmax")
}

/// The tensor-level `softmax` or `logSoftmax` through the row kernel.
@inline(__always)
func softmaxRows<Scalar: TensorScalar>(_ x: Tensor<Scalar>, logarithm: Bool, op: String) -> Tensor<Scalar> {
    precondition(x.rank >= 1, "\(op): needs a tensor of rank 1 or more, got shape \(x.shape)")
    let columns = x.shape[x.rank - 1]
    let rows = columns == 0 ? 0 : x.count / columns
    let result = [Scalar](unsafeUninitializedCapacity: x.count) { out, initialized in
        x.scalars.withUnsafeBufferPointer { src in
            if x.count > 0 {
                Kernels.softmaxRows(src.baseAddress!, rows: rows, columns: columns, into: out.baseAddress!, logarithm: logarithm)
            }
        }
        initialized = x.count
    }
    return Tensor(shape: x.shape, scalars: result)
}

extension Tensor {
    /// The largest element, as a rank-0 tensor (NaN if any element is NaN).
    public func max() -> Tensor { extremum(alongAxis: nil, greatest: true).values }

    /// The smallest element, as a rank-0 tensor (NaN if any element is NaN).
    public func min() -> Tensor { extremum(alongAxis: nil, greatest: false).values }

    /// The largest elements along `axis`, which is removed from the shape (`amax(dim:)`).
    public func max(alongAxis axis: Int) -> Tensor { extremum(alongAxis: axis, greatest: true).values }

    /// The smallest elements along `axis`, which is removed from the shape.
    public func min(alongAxis axis: Int) -> Tensor { extremum(alongAxis: axis, greatest: false).values }

    /// The max (`greatest`) or min along an axis (or of all elements, for nil) and, for each
    /// result, the position along the axis it came from (the first on ties).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func extremum(alongAxis axis: Int?, greatest: Bool) -> (values: Tensor, positions: [Int]) {
        let op = greatest ? "max" : "min"
        let (outer, length, inner, outShape): (Int, Int, Int, [Int])
        if let axis {
            precondition(axis >= 0 && axis < rank, "\(op)(alongAxis:): axis \(axis) of shape \(shape)")
            (outer, inner) = Kernels.axisView(shape, axis: axis)
            length = shape[axis]
            var s = shape
            s.remove(at: axis)
            outShape = s
        } else {
            (outer, length, inner, outShape) = (1, count, 1, [])
        }
        precondition(length > 0, "\(op): nothing to reduce in a tensor of shape \(shape)")
        var values = [Scalar](repeating: 0, count: outer * inner)
        var positions = [Int](repeating: 0, count: outer * inner)
        if outer * inner > 0 {
            scalars.withUnsafeBufferPointer { x in
                values.withUnsafeMutableBufferPointer { v in
                    positions.withUnsafeMutableBufferPointer { p in
                        if greatest {
                            Kernels.extremum(x.baseAddress!, outer: outer, length: length, inner: inner,
                                             values: v.baseAddress!, positions: p.baseAddress!, better: >)
                        } else {
                            Kernels.extremum(x.baseAddress!, outer: outer, length: length, inner: inner,
                                             values: v.baseAddress!, positions: p.baseAddress!, better: <)
                        }
                    }
                }
            }
        }
        return (Tensor(shape: outShape, scalars: values), positions)
    }
}
