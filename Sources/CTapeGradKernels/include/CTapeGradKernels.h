// CTapeGradKernels: the few hot kernels that must choose CPU features at run time.
//
// Swift has no per-function target attribute, and a package that passes `-target-cpu` through
// `unsafeFlags` cannot be used as a versioned dependency. So the kernels whose speed depends on
// AVX2/FMA or AVX-512 are written in C here, each compiled for several CPU levels with
// `__attribute__((target(...)))` beside a portable version, and the best level this CPU supports
// is chosen once at run time (`tg_cpu_level`).
#ifndef C_TAPEGRAD_KERNELS_H
#define C_TAPEGRAD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

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

// MARK: - bfloat16

/// A bfloat16 number: the upper 16 bits of an IEEE single (sign, 8-bit exponent, 7 fraction bits).
typedef uint16_t tg_bf16;

/// `dst[i] = bf16(src[i])` for i < n, rounded to nearest with ties to even; subnormals are
/// rounded like normal numbers (not flushed), infinities kept, NaNs kept as quiet NaNs of the
/// same sign.
void tg_f32_to_bf16(const float *src, tg_bf16 *dst, ptrdiff_t n);

/// `tg_f32_to_bf16` compiled for `level` (clamped to the hardware's), for tests.
void tg_f32_to_bf16_at(tg_cpu_level level, const float *src, tg_bf16 *dst, ptrdiff_t n);

/// `dst[i] = float(src[i])`: exact (a shift by 16 bits).
void tg_bf16_to_f32(const tg_bf16 *src, float *dst, ptrdiff_t n);

// MARK: - Sparse products, one row tile at a time
//
// The tiling and the threads are the caller's (Sources/TapeGrad/Kernels/Sparse.swift); these
// are the loops over one row's entries inside one column block. `columns` and `values` point at
// the tile's first entry; a gathered operand (w, b) has k floats (or bf16s) per row. The results
// have the same bits at every CPU level; the rounding order is described in sparse.c.

/// `out[0..<k] += Σ_p values[p] · w[columns[p], 0..<k]` over p < count, each output element
/// adding the terms in order (a multiplication, then an addition).
void tg_spmm_row_f32(const int32_t *columns, const float *values, ptrdiff_t count, const float *w, ptrdiff_t k,
                     float *out);
/// As `tg_spmm_row_f32` with `w` in bfloat16 (widened exactly; accumulation in float).
void tg_spmm_row_bf16(const int32_t *columns, const float *values, ptrdiff_t count, const tg_bf16 *w, ptrdiff_t k,
                      float *out);

/// `out[p] = a[0..<k] · b[columns[p], 0..<k]` for p < count.
void tg_sddmm_row_f32(const int32_t *columns, ptrdiff_t count, const float *a, const float *b, ptrdiff_t k,
                      float *out);
/// As `tg_sddmm_row_f32` with `b` in bfloat16.
void tg_sddmm_row_bf16(const int32_t *columns, ptrdiff_t count, const float *a, const tg_bf16 *b, ptrdiff_t k,
                       float *out);

/// The fused decoder + square-loss residual: for p < count, with j = columns[p],
/// `residual[p] = a · b[j] + bias[j] − target[p]`, and `grad[0..<k] += residual[p] · b[j]`
/// (in order, as `tg_spmm_row_f32`).
void tg_affine_residual_row_f32(const int32_t *columns, ptrdiff_t count, const float *a, const float *b,
                                const float *bias, const float *target, ptrdiff_t k, float *residual, float *grad);
/// As `tg_affine_residual_row_f32` with `b` in bfloat16.
void tg_affine_residual_row_bf16(const int32_t *columns, ptrdiff_t count, const float *a, const tg_bf16 *b,
                                 const float *bias, const float *target, ptrdiff_t k, float *residual, float *grad);

/// The row kernels compiled for one level, for tests that run every level the CPU has against
/// the portable one (the functions above dispatch on `tg_cpu_level_get()` instead).
typedef struct tg_sparse_kernels {
    void (*spmm_f32)(const int32_t *, const float *, ptrdiff_t, const float *, ptrdiff_t, float *);
    void (*spmm_bf16)(const int32_t *, const float *, ptrdiff_t, const tg_bf16 *, ptrdiff_t, float *);
    void (*sddmm_f32)(const int32_t *, ptrdiff_t, const float *, const float *, ptrdiff_t, float *);
    void (*sddmm_bf16)(const int32_t *, ptrdiff_t, const float *, const tg_bf16 *, ptrdiff_t, float *);
    void (*residual_f32)(const int32_t *, ptrdiff_t, const float *, const float *, const float *, const float *,
                         ptrdiff_t, float *, float *);
    void (*residual_bf16)(const int32_t *, ptrdiff_t, const float *, const tg_bf16 *, const float *, const float *,
                          ptrdiff_t, float *, float *);
} tg_sparse_kernels;

/// The kernels of `level`, or of the highest level the hardware has when `level` is above it.
const tg_sparse_kernels *tg_sparse_kernels_for(tg_cpu_level level);

#ifdef __cplusplus
}
#endif

#endif
