// Subnormal ("denormal") floats make x86 arithmetic 10–100× slower per operation (microcode
// assists). Training produces them: products of small gradients and sigmoid derivatives fall
// below 1.2e-38 in Float. Measured on the ML-1M-shaped I-AutoRec epoch: 0.42 s in epoch 1, then
// 0.6–1.0 s from epoch 2 on with subnormals; a flat 0.42–0.47 s with them flushed to zero, and
// the same losses to six digits. Flushing is what PyTorch's `set_flush_denormal(True)` and most
// BLAS builds do; the error it introduces is below 1.2e-38 per value.

#if arch(x86_64) && canImport(Glibc)
import Glibc
#endif

/// The x86 MXCSR bits for flush-to-zero (results) and denormals-are-zero (inputs).
private let flushBits: UInt32 = 0x8040

/// Runs `body` with subnormal floats treated as zero on this thread (and, through
/// ``parallelFor(_:threads:_:)``, on the threads the kernels fan out to), then restores the
/// thread's previous mode. Training loops wrap their work in it; a no-op where the processor
/// has no such mode (non-x86 builds).
public func withDenormalsFlushedToZero<R>(_ body: () throws -> R) rethrows -> R {
    let previous = denormalMode()
    setDenormalMode(flushing: true)
    defer { setDenormalMode(flushing: previous) }
    return try body()
}

/// Whether subnormals are flushed to zero on the calling thread.
public func denormalMode() -> Bool {
    #if arch(x86_64) && canImport(Glibc)
    var env = fenv_t()
    fegetenv(&env)
    return env.__mxcsr & flushBits == flushBits
    #else
    return false
    #endif
}

/// Sets the calling thread's mode (both FTZ and DAZ, or neither).
func setDenormalMode(flushing: Bool) {
    #if arch(x86_64) && canImport(Glibc)
    var env = fenv_t()
    fegetenv(&env)
    let wanted = flushing ? env.__mxcsr | flushBits : env.__mxcsr & ~flushBits
    if wanted != env.__mxcsr {
        env.__mxcsr = wanted
        fesetenv(&env)
    }
    #endif
}
