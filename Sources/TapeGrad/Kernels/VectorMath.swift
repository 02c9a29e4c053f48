// Vectorised elementwise functions for Float. libm's expf is a scalar call per element (through
// the PLT): on the ML-100K-shaped I-AutoRec epoch, sigmoid's 841K exponentials were 13% of the
// time (sigmoid 8%, expf 3.5%, its PLT stub 1.2%; perf, 1 thread). Here 16 lanes go through one
// polynomial. Double keeps libm: its users are gradient checks and tests, not hot loops.

extension Kernels {
    /// eˣ for 16 Floats: Cephes' expf (Cody–Waite reduction by ln 2 in two parts, a degree-5
    /// polynomial on [−ln2/2, ln2/2], scaling by 2ⁿ through the exponent bits); relative error
    /// below 2·10⁻⁷. Returns 0 below −87.34 (where eˣ is subnormal, which the training loops
    /// flush to zero anyway), +∞ above 88.38, and NaN for NaN.
    @inline(__always)
    static func exp16(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let high: Float = 88.376_26, low: Float = -87.336_55
        var xc = x
        xc.replace(with: low, where: x .< low)
        xc.replace(with: high, where: x .> high)
        // n = round(x / ln 2) by the 1.5·2²³ trick: adding it rounds to an integer, whose value
        // then sits in the low mantissa bits (no float→int conversion, which the standard
        // library does lane by lane).
        let magic: Float = 12_582_912
        let shifted = xc * 1.442_695_04 + magic
        let n = shifted - magic
        let r = (xc - n * 0.693_359_375) + n * 2.121_944_4e-4
        var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * (r * r) + r + 1
        let nBits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: Int32.self)
        var result = y * unsafeBitCast((nBits &+ 127) &<< 23, to: SIMD16<Float>.self)
        result.replace(with: 0, where: x .< low)
        result.replace(with: .infinity, where: x .> high)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// The logistic function 1 / (1 + e⁻ˣ) over a buffer, 16 lanes at a time, without overflow:
    /// e = e^−|x| ∈ (0, 1], then 1 / (1 + e) for x ≥ 0 and e / (1 + e) for x < 0.
    static func sigmoid(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        @inline(__always)
        func lanes(_ v: SIMD16<Float>) -> SIMD16<Float> {
            let magnitude = unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
            let e = exp16(-magnitude)
            let s = 1 / (1 + e)
            var y = e * s
            y.replace(with: s, where: v .>= 0)
            y.replace(with: v, where: v .!= v)
            return y
        }
        let count = x.count
        guard count > 0, let src = x.baseAddress, let dst = out.baseAddress else { return }
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: lanes(v), as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            var v = SIMD16<Float>()
            for j in 0..<(count - i) { v[j] = src[i + j] }
            let y = lanes(v)
            for j in 0..<(count - i) { dst[i + j] = y[j] }
        }
    }
}
