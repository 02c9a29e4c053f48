// CTapeGradKernels: the few hot kernels that must choose CPU features at run time.
//
// Swift has no per-function target attribute, and a package that passes `-target-cpu` through
// `unsafeFlags` cannot be used as a versioned dependency. So the kernels whose speed depends on
// AVX2/FMA or AVX-512 are written in C here, each compiled for several CPU levels with
// `__attribute__((target(...)))` beside a portable version, and the best level this CPU supports
// is chosen once at run time (`tg_cpu_level`).
#ifndef C_TAPEGRAD_KERNELS_H
#define C_TAPEGRAD_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction-set levels the kernels are compiled for, in increasing order.
typedef enum tg_cpu_level {
    /// Plain C, no ISA extension assumed: any CPU (arm64, older x86-64).
    TG_CPU_PORTABLE = 0,
    /// x86-64 with AVX2 and FMA (Haswell, Zen 1-3 and later).
    TG_CPU_AVX2 = 1,
    /// x86-64 with AVX-512 F/BW/DQ/VL (Skylake-X, Zen 4 and later).
    TG_CPU_AVX512 = 2,
    /// AVX-512 plus the BF16 instructions (`vdpbf16ps`, `vcvtne2ps2bf16`; Cooper Lake, Zen 4+).
    TG_CPU_AVX512_BF16 = 3,
} tg_cpu_level;

/// The best level this CPU supports, lowered by the environment variable `TAPEGRAD_CPU`
/// (`portable`, `avx2`, `avx512` or `avx512bf16`) when it names a lower one; a higher level than
/// the CPU has is ignored. Detected once; later calls return the cached value.
tg_cpu_level tg_cpu_level_get(void);

/// The highest level the hardware supports, ignoring `TAPEGRAD_CPU`.
tg_cpu_level tg_cpu_level_detect(void);

/// Overrides the level for this process (tests use it to run every path on one machine);
/// values above the hardware's level are clamped to it. Returns the level now in effect.
tg_cpu_level tg_cpu_level_set(tg_cpu_level level);

/// A short name for a level (`portable`, `avx2`, `avx512`, `avx512bf16`).
const char *tg_cpu_level_name(tg_cpu_level level);

#ifdef __cplusplus
}
#endif

#endif
