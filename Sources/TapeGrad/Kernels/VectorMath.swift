// Vectorised elementwise functions for Float. libm's expf is a scalar call per element (through
// the PLT): on the ML-100K-shaped I-AutoRec epoch, sigmoid's 841K exponentials were 13% of the
// time (sigmoid 8%, expf 3.5%, its PLT stub 1.2%; perf, 1 thread). The vector code lives in C
// (CTapeGradKernels/vectormath.c), compiled for each CPU level and chosen at run time: Swift
// without target flags could only use the baseline's SSE2 here (Docs/Performance.md). Double
// keeps libm: its users are gradient checks and tests, not hot loops.

import CTapeGradKernels

extension Kernels {
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
