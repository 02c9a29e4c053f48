// Row-wise softmax and log-softmax, their pullbacks and the cross-entropy gradient. A matrix of
// rows × columns is any tensor viewed along its last axis. Rows are independent, so they are
// split over the kernel threads; within a row the loops run over contiguous elements.

extension Kernels {
    /// eˣ in place over `count` elements: Float 16 lanes at a time through ``exp16(_:)``,
    /// Double through libm (its users are gradient checks, not hot loops).
    @inline(__always)
    static func exponentiate<S: TensorScalar>(_ p: UnsafeMutablePointer<S>, count: Int) {
        guard S.self == Float.self else {
            for i in 0..<count { p[i] = S.exp(p[i]) }
            return
        }
        let f = UnsafeMutableRawPointer(p)
        var i = 0
        while i + 16 <= count {
            let v = (f + i * 4).loadUnaligned(as: SIMD16<Float>.self)
            (f + i * 4).storeBytes(of: exp16(v), as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            let floats = f.assumingMemoryBound(to: Float.self)
            var v = SIMD16<Float>()
            for j in 0..<(count - i) { v[j] = floats[i + j] }
            let y = exp16(v)
            for j in 0..<(count - i) { floats[i + j] = y[j] }
        }
    }

    /// Runs `body(row)` for each row, spread over the threads when the matrix is large.
    @inline(__always)
    static func forRows(_ rows: Int, columns: Int, _ body: (Int) -> Void) {
        Parallelism.forChunks(rows, grain: max(1, (1 << 15) / max(columns, 1))) { range in
            for r in range { body(r) }
        }
    }

    /// Softmax (or, with `logarithm`, log-softmax) of each row of x: with m the row's maximum,
    /// yⱼ = e^{xⱼ−m} / Σₖ e^{xₖ−m}, or yⱼ = xⱼ − m − log Σₖ e^{xₖ−m}. Subtracting m changes
    /// nothing mathematically and keeps every exponent ≤ 0: no overflow at any logit, and the
    /// largest term is exactly 1, so the sum is never 0.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func softmaxRows<S: TensorScalar>(_ x: UnsafePointer<S>, rows: Int, columns: Int,
                                             into y: UnsafeMutablePointer<S>, logarithm: Bool) {
        guard columns > 0 else { return }
        forRows(rows, columns: columns) { r in
            let src = x + r * columns, dst = y + r * columns
            var m = src[0]
            for j in 1..<columns { m = Swift.max(m, src[j]) }
            for j in 0..<columns { dst[j] = src[j] - m }
            exponentiate(dst, count: columns)
            var total: S = 0
            for j in 0..<columns { total += dst[j] }
            if logarithm {
                // (x − m) − log Σ rather than x − (m + log Σ): m + log Σ would round at the
                // scale of m (1e-13 at |m| = 1000 in Double) what x − m computes exactly.
                let logTotal = S.log(total)
                for j in 0..<columns { dst[j] = (src[j] - m) - logTotal }
            } else {
                let inverse = 1 / total
                for j in 0..<columns { dst[j] *= inverse }
            }
        }
    }

    /// The pullback of ``softmaxRows(_:rows:columns:into:logarithm:)`` from its output y and the
    /// upstream gradient g, per row: softmax ∂xⱼ = yⱼ (gⱼ − Σₖ gₖ yₖ); log-softmax
    /// ∂xⱼ = gⱼ − e^{yⱼ} Σₖ gₖ (e^{yⱼ} is the softmax).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func softmaxRowsPullback<S: TensorScalar>(_ g: UnsafePointer<S>, output y: UnsafePointer<S>, rows: Int,
                                                     columns: Int, into dx: UnsafeMutablePointer<S>, logarithm: Bool) {
        guard columns > 0 else { return }
        forRows(rows, columns: columns) { r in
            let gr = g + r * columns, yr = y + r * columns, out = dx + r * columns
            if logarithm {
                var total: S = 0
                for j in 0..<columns { total += gr[j] }
                for j in 0..<columns { out[j] = yr[j] }
                exponentiate(out, count: columns)
                for j in 0..<columns { out[j] = gr[j] - out[j] * total }
            } else {
                var dot: S = 0
                for j in 0..<columns { dot += gr[j] * yr[j] }
                for j in 0..<columns { out[j] = yr[j] * (gr[j] - dot) }
            }
        }
    }
}
