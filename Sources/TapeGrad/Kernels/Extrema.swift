// The max/min reductions: values and the position each came from, which the pullback needs.

extension Kernels {
    /// The best element along the middle axis of x viewed as [outer, length, inner], by
    /// `better(candidate, best)`, with the position along the axis it was found at. Scanning
    /// in order with a strict comparison keeps the first of equal elements; a NaN wins over
    /// any number (the first NaN), so NaN propagates as in NumPy and PyTorch.
    @inline(__always)
    static func extremum<S: TensorScalar>(_ x: UnsafePointer<S>, outer: Int, length: Int, inner: Int,
                                          values: UnsafeMutablePointer<S>, positions: UnsafeMutablePointer<Int>,
                                          better: (S, S) -> Bool) {
        for o in 0..<outer {
            let base = x + o * length * inner
            let best = values + o * inner, at = positions + o * inner
            for i in 0..<inner { best[i] = base[i]; at[i] = 0 }
            for k in 1..<max(length, 1) {
                let row = base + k * inner
                for i in 0..<inner {
                    let v = row[i], b = best[i]
                    if better(v, b) || (v != v && b == b) { best[i] = v; at[i] = k }
                }
            }
        }
    }
}
