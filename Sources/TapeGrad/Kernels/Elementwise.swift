// Elementwise and broadcasting loops. They are `@inline(__always)` so that each public op that
// calls them (itself specialised for Float and Double) gets a private copy with its closure
// inlined, which the compiler vectorises.

/// Internal loops shared by the ops.
enum Kernels {
    /// Runs `body` over `0..<count`: in one piece below 2¹⁸ elements, else in contiguous
    /// chunks on the kernel threads; an element's result never depends on the split. For loops
    /// whose work is written out in the body (gradient sums): `map` and `zip` stay serial,
    /// because a closure passed through to the threads is called per element instead of being
    /// inlined and vectorised (measured: `map` rose from below 0.5% to 5.9% of an ML-1M epoch).
    @inline(__always)
    static func forElementChunks(_ count: Int, _ body: (Range<Int>) -> Void) {
        if count < 1 << 18 || Parallelism.threads <= 1 { body(0..<count); return }
        Parallelism.forChunks(count, grain: 1 << 16, body)
    }

    /// `result[i] = f(x[i])`.
    @inline(__always)
    static func map<S: TensorScalar>(_ x: [S], _ f: (S) -> S) -> [S] {
        [S](unsafeUninitializedCapacity: x.count) { out, initialized in
            x.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = f(src[i]) }
            }
            initialized = x.count
        }
    }

    /// `result[i] = f(x[i], y[i])` for arrays of equal length.
    @inline(__always)
    static func zip<S: TensorScalar>(_ x: [S], _ y: [S], _ f: (S, S) -> S) -> [S] {
        precondition(x.count == y.count)
        return [S](unsafeUninitializedCapacity: x.count) { out, initialized in
            x.withUnsafeBufferPointer { a in
                y.withUnsafeBufferPointer { b in
                    for i in 0..<a.count { out[i] = f(a[i], b[i]) }
                }
            }
            initialized = x.count
        }
    }

    /// The NumPy broadcast of two shapes, or nil when they are incompatible: dimensions are
    /// aligned from the right, and a dimension of 1 (or a missing one) stretches to the other.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 0, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard da == db || da == 1 || db == 1 else { return nil }
            result[i] = da == 1 ? db : da
        }
        return result
    }

    /// Row-major strides of `shape` placed in a result of rank `rank`, with 0 for every
    /// dimension that is broadcast.
    static func broadcastStrides(_ shape: [Int], rank: Int, resultShape: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: rank)
        var step = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let r = i + rank - shape.count
            strides[r] = shape[i] == 1 && resultShape[r] != 1 ? 0 : step
            step *= shape[i]
        }
        return strides
    }

    /// `f` applied to two tensors broadcast against each other (NumPy rules).
    /// Fast paths: equal shapes, one operand with a single element, and a row vector against
    /// the last dimension (a bias add), which together cover every op in AutoRec.
    @inline(__always)
    static func broadcast<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>, op: String,
                                           _ f: (S, S) -> S) -> Tensor<S> {
        if a.shape == b.shape { return Tensor(shape: a.shape, scalars: zip(a.scalars, b.scalars, f)) }
        guard let shape = broadcastShape(a.shape, b.shape) else {
            preconditionFailure("\(op): shapes \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        let count = shape.reduce(1, *)
        if b.count == 1, a.shape == shape {
            let y = b.scalars[0]
            return Tensor(shape: shape, scalars: map(a.scalars) { f($0, y) })
        }
        if a.count == 1, b.shape == shape {
            let x = a.scalars[0]
            return Tensor(shape: shape, scalars: map(b.scalars) { f(x, $0) })
        }
        let result = [S](unsafeUninitializedCapacity: count) { out, initialized in
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    let last = shape.last ?? 1
                    if a.shape == shape, pb.count == last {  // matrix ⊕ row vector
                        var base = 0
                        while base < count {
                            for j in 0..<last { out[base + j] = f(pa[base + j], pb[j]) }
                            base += last
                        }
                    } else if b.shape == shape, pa.count == last {  // row vector ⊕ matrix
                        var base = 0
                        while base < count {
                            for j in 0..<last { out[base + j] = f(pa[j], pb[base + j]) }
                            base += last
                        }
                    } else {
                        let rank = shape.count
                        let sa = broadcastStrides(a.shape, rank: rank, resultShape: shape)
                        let sb = broadcastStrides(b.shape, rank: rank, resultShape: shape)
                        var index = [Int](repeating: 0, count: rank)
                        var ia = 0, ib = 0
                        for o in 0..<count {
                            out[o] = f(pa[ia], pb[ib])
                            var d = rank - 1
                            while d >= 0 {
                                index[d] += 1; ia += sa[d]; ib += sb[d]
                                if index[d] < shape[d] { break }
                                ia -= sa[d] * shape[d]; ib -= sb[d] * shape[d]; index[d] = 0
                                d -= 1
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        return Tensor(shape: shape, scalars: result)
    }

    /// Sums `x` (of a broadcast shape) down to `shape`: the adjoint of broadcasting, used by
    /// every pullback whose forward broadcast an operand.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func unbroadcast<S: TensorScalar>(_ x: Tensor<S>, to shape: [Int]) -> Tensor<S> {
        if x.shape == shape { return x }
        let target = shape.reduce(1, *)
        if target == 1 { return Tensor(shape: shape, scalars: [sum(x.scalars)]) }
        var out = [S](repeating: 0, count: target)
        let last = x.shape.last ?? 1
        x.scalars.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                if target == last, shape.last == last {  // summing rows of a matrix into a row
                    var base = 0
                    while base < px.count {
                        for j in 0..<last { po[j] += px[base + j] }
                        base += last
                    }
                } else {
                    let rank = x.rank
                    let strides = broadcastStrides(shape, rank: rank, resultShape: x.shape)
                    var index = [Int](repeating: 0, count: rank)
                    var io = 0
                    for i in 0..<px.count {
                        po[io] += px[i]
                        var d = rank - 1
                        while d >= 0 {
                            index[d] += 1; io += strides[d]
                            if index[d] < x.shape[d] { break }
                            io -= strides[d] * x.shape[d]; index[d] = 0
                            d -= 1
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// The sum of all elements, accumulated in Double so long Float sums keep their precision.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func sum<S: TensorScalar>(_ x: [S]) -> S {
        var total = 0.0
        x.withUnsafeBufferPointer { p in
            var i = 0
            // Blocks of 8 partial sums vectorise and bound the rounding error growth.
            var partial = SIMD8<Double>()
            while i + 8 <= p.count {
                partial += SIMD8<Double>(Double(p[i]), Double(p[i + 1]), Double(p[i + 2]), Double(p[i + 3]),
                                         Double(p[i + 4]), Double(p[i + 5]), Double(p[i + 6]), Double(p[i + 7]))
                i += 8
            }
            total = partial.sum()
            while i < p.count { total += Double(p[i]); i += 1 }
        }
        return S(total)
    }

    /// Out-of-place matrix transpose in cache-sized tiles.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func transpose<S: TensorScalar>(_ src: UnsafePointer<S>, rows: Int, columns: Int,
                                           into dst: UnsafeMutablePointer<S>) {
        let tile = 32
        Parallelism.forChunks((rows + tile - 1) / tile, grain: 64) { blocks in
            for bi in blocks {
                let i0 = bi * tile, i1 = min(i0 + tile, rows)
                var j0 = 0
                while j0 < columns {
                    let j1 = min(j0 + tile, columns)
                    for i in i0..<i1 {
                        for j in j0..<j1 { dst[j * rows + i] = src[i * columns + j] }
                    }
                    j0 = j1
                }
            }
        }
    }
}
