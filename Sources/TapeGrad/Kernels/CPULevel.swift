// CPULevel.swift: the instruction-set level the C kernels (CTapeGradKernels) run at.

import CTapeGradKernels

/// The instruction-set level at which the C kernels in CTapeGradKernels run. The package is
/// built without CPU-specific flags; each hot kernel is compiled for every level and the best
/// one this CPU supports is chosen at run time, so a binary built on one machine runs
/// everywhere and is fast where the CPU allows. Set the environment variable `TAPEGRAD_CPU`
/// (`portable`, `avx2`, `avx512`, `avx512bf16`) to run at a lower level than the hardware's.
public enum CPULevel: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Plain C with the baseline vector width (SSE2 on x86-64, NEON on arm64): any CPU.
    case portable = 0
    /// AVX2 + FMA (Haswell, Zen 1–3 and later).
    case avx2 = 1
    /// AVX-512 F/BW/DQ/VL (Skylake-X, Zen 4 and later).
    case avx512 = 2
    /// AVX-512 with the BF16 instructions (Cooper Lake, Zen 4 and later).
    case avx512bf16 = 3

    /// The level the kernels use: the hardware's, lowered by `TAPEGRAD_CPU` if set. Benchmarks
    /// print it so that a number can be traced to the code that produced it.
    public static var current: CPULevel { CPULevel(tg_cpu_level_get()) }

    /// The highest level this CPU supports, ignoring `TAPEGRAD_CPU`.
    public static var hardware: CPULevel { CPULevel(tg_cpu_level_detect()) }

    /// The name `TAPEGRAD_CPU` accepts for this level.
    public var description: String { String(cString: tg_cpu_level_name(cValue)) }

    public static func < (lhs: CPULevel, rhs: CPULevel) -> Bool { lhs.rawValue < rhs.rawValue }

    init(_ level: tg_cpu_level) { self = CPULevel(rawValue: Int(level.rawValue)) ?? .portable }

    var cValue: tg_cpu_level { tg_cpu_level(rawValue: UInt32(rawValue)) }
}
