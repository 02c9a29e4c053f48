/// A dense, row-major array of any rank, with value semantics.
///
/// Storage is a Swift array, so copies are cheap and copy-on-write: a tensor captured by a
/// pullback stays valid however the caller later mutates its own copy. Rank 0 is a scalar,
/// rank 1 a vector, rank 2 a matrix (rows × columns); higher ranks are supported by the
/// elementwise ops and reductions over all elements.
public struct Tensor<Scalar: TensorScalar>: Sendable {
    /// The extent of each dimension, outermost first. `[]` for a scalar.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Scalar]

    /// Creates a tensor from its shape and row-major elements.
    public init(shape: [Int], scalars: [Scalar]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor(shape:scalars:): negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor(shape:scalars:): shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A vector.
    public init(_ scalars: [Scalar]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A matrix from its rows, which must all have the same length.
    public init(_ rows: [[Scalar]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "Tensor(rows:): rows have different lengths")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// A rank-0 tensor (a scalar).
    public init(scalar: Scalar) {
        self.init(shape: [], scalars: [scalar])
    }

    /// A tensor of the given shape with every element equal to `value`.
    public init(repeating value: Scalar, shape: [Int]) {
        self.init(shape: shape, scalars: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// Zeros of the given shape.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// Ones of the given shape.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// A tensor of the given shape with elements drawn uniformly from `[lower, upper)`.
    public static func uniform(_ shape: [Int], lower: Scalar = 0, upper: Scalar = 1,
                               generator: inout SplitMix64) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Scalar](repeating: 0, count: count)
        let width = Double(upper - lower)
        for i in 0..<count { values[i] = lower + Scalar(generator.nextUnit() * width) }
        return Tensor(shape: shape, scalars: values)
    }

    /// A tensor of the given shape with elements drawn from a normal distribution.
    public static func normal(_ shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1,
                              generator: inout SplitMix64) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Scalar](repeating: 0, count: count)
        for i in 0..<count { values[i] = mean + standardDeviation * Scalar(generator.nextNormal()) }
        return Tensor(shape: shape, scalars: values)
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }
    /// The number of elements.
    public var count: Int { scalars.count }
    /// The only element of a tensor with one element (of any rank), e.g. a loss.
    public var scalar: Scalar {
        precondition(scalars.count == 1, "Tensor.scalar: tensor of shape \(shape) has \(scalars.count) elements")
        return scalars[0]
    }

    /// The element at a row and column of a matrix.
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(rank == 2, "Tensor[row, column]: tensor has shape \(shape), not a matrix")
            return scalars[row * shape[1] + column]
        }
        set {
            precondition(rank == 2, "Tensor[row, column]: tensor has shape \(shape), not a matrix")
            scalars[row * shape[1] + column] = newValue
        }
    }

    /// The same elements viewed with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// The matrix transpose.
    public var transposed: Tensor {
        precondition(rank == 2, "Tensor.transposed: needs a matrix, got shape \(shape)")
        let (rows, columns) = (shape[0], shape[1])
        var result = [Scalar](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                Kernels.transpose(src.baseAddress!, rows: rows, columns: columns, into: dst.baseAddress!)
            }
        }
        return Tensor(shape: [columns, rows], scalars: result)
    }

    /// The same values in another floating-point type.
    public func converted<Other: TensorScalar>(to: Other.Type = Other.self) -> Tensor<Other> {
        Tensor<Other>(shape: shape, scalars: scalars.map { Other($0) })
    }

    /// True when the shapes match and every pair of elements differs by at most
    /// `absoluteTolerance + relativeTolerance · |other|` (NaNs are never equal).
    public func isApproximatelyEqual(to other: Tensor, absoluteTolerance: Scalar = 1e-6,
                                     relativeTolerance: Scalar = 1e-5) -> Bool {
        guard shape == other.shape else { return false }
        for (a, b) in zip(scalars, other.scalars) {
            if a == b { continue }  // also equal infinities
            let difference = abs(a - b)
            if !(difference <= absoluteTolerance + relativeTolerance * abs(b)) { return false }
        }
        return true
    }
}

extension Tensor: Equatable {
    /// Exact equality of shape and elements.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape followed by the elements, nested by dimension; long dimensions are elided in
    /// the middle so a large tensor still prints in a few lines.
    public var description: String {
        func format(_ x: Scalar) -> String {
            let d = Double(x)
            if d == d.rounded() && abs(d) < 1e15 { return String(Int64(d)) }
            return "\(x)"
        }
        func render(_ offset: Int, _ dims: ArraySlice<Int>) -> String {
            guard let first = dims.first else { return format(scalars[offset]) }
            let inner = dims.dropFirst().reduce(1, *)
            let indices: [Int?] = first <= 8 ? Array(0..<first) : [0, 1, 2, nil, first - 3, first - 2, first - 1]
            let parts = indices.map { i in i.map { render(offset + $0 * inner, dims.dropFirst()) } ?? "…" }
            let separator = dims.count > 1 ? ",\n " : ", "
            return "[" + parts.joined(separator: separator) + "]"
        }
        return "Tensor\(shape) " + render(0, shape[...])
    }
}
