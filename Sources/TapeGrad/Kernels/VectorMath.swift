// Vectorised elementwise functions for Float. libm's expf is a scalar call per element (through
// the PLT): on the ML-100K-shaped I-AutoRec epoch, sigmoid's 841K exponentials were 13% of the
// time (sigmoid 8%, expf 3.5%, its PLT stub 1.2%; perf, 1 thread). The vector code lives in C
// (CTapeGradKernels/vectormath.c), compiled for each CPU level and chosen at run time: Swift
// without target flags could only use the baseline's SSE2 here (Docs/Performance.md). Double
// keeps libm: its users are gradient checks and tests, not hot loops.

import CTapeGradKernels

extension Kernels {
    /// eˣ for 16 Floats in Swift SIMD, for callers that work on vectors in registers (main's
    /// softmax uses it): Cephes' expf (Cody–Waite reduction by ln 2 in two parts, a degree-5
    /// polynomial on [−ln2/2, ln2/2], scaling by 2ⁿ through the exponent bits); relative error
    /// below 2·10⁻⁷. Returns 0 below −87.34, +∞ above 88.38, and NaN for NaN. Without target flags
    /// it runs at the baseline ISA (SSE2 on x86-64, half the speed of the C sigmoid's AVX2 path).
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
        let nBits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
        var result = y * unsafeBitCast((nBits &+ 127) &<< 23, to: SIMD16<Float>.self)
        result.replace(with: 0, where: x .< low)
        result.replace(with: .infinity, where: x .> high)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// The logistic function 1 / (1 + e⁻ˣ) over a buffer at the process's CPU level, without
    /// overflow for any x; within 2·10⁻⁷ relative error of libm's expf-based value. `out` must
    /// hold `x.count` elements.
    static func sigmoid(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        sigmoid(x, into: out, level: CPULevel.current)
    }

    /// `sigmoid(_:into:)` at a given level (clamped to the hardware's), for tests of every level.
    static func sigmoid(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>,
                        level: CPULevel) {
        precondition(out.count >= x.count, "sigmoid: output buffer of \(out.count) for \(x.count) inputs")
        guard let src = x.baseAddress, let dst = out.baseAddress, x.count > 0 else { return }
        tg_sigmoid_f32(min(level, CPULevel.hardware).cValue, src, dst, x.count)
    }
}
