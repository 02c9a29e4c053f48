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

/// Register and cache blocking of the packed GEMM at one level: the micro-kernel's tile is
/// `mr` rows × `nr` columns of C; `mc`×`kc` of op(A) and `kc`×`nc` of op(B) are packed at once;
/// a depth up to `kc_single` runs as one slab (one pass over C) instead of being split.
typedef struct tg_gemm_blocking {
    long mr, nr, mc, kc, nc, kc_single;
} tg_gemm_blocking;

/// The Float GEMM blocking of `level`; the packing and macro-kernel calls of that level use it.
tg_gemm_blocking tg_sgemm_blocking(tg_cpu_level level);
/// The Double GEMM blocking of `level`.
tg_gemm_blocking tg_dgemm_blocking(tg_cpu_level level);

/// Packs `rows`×`kc` of op(A) as `mr`-row micro-panels, each k-major (mr values per k), zero-padding
/// the last one. `a` points at the block's first element op(A)[0][0]: `a[i*lda + p]` when not
/// transposed, `a[p*lda + i]` when `trans`. `dst` holds ceil(rows/mr)·mr·kc values.
void tg_sgemm_pack_a(tg_cpu_level level, int trans, const float *a, long lda, long rows, long kc, long mr, float *dst);
/// Packs `kc`×`cols` of op(B) as `nr`-column micro-panels, each k-major, zero-padding the last.
/// `b` points at op(B)[0][0]: `b[p*ldb + j]`, or `b[j*ldb + p]` when `trans`.
void tg_sgemm_pack_b(tg_cpu_level level, int trans, const float *b, long ldb, long kc, long cols, long nr, float *dst);
/// C[rows×cols] = alpha·A·B + beta·C over a packed A block and packed B micro-panels of depth
/// `kc`, with the micro-kernel of `level` (whose blocking gave the packing's mr/nr). With
/// beta == 0, C is not read.
void tg_sgemm_macro(tg_cpu_level level, long kc, long rows, long cols, const float *packed_a,
                    const float *packed_b, float *c, long ldc, float alpha, float beta);

/// Double version of `tg_sgemm_pack_a`.
void tg_dgemm_pack_a(tg_cpu_level level, int trans, const double *a, long lda, long rows, long kc, long mr, double *dst);
/// Double version of `tg_sgemm_pack_b`.
void tg_dgemm_pack_b(tg_cpu_level level, int trans, const double *b, long ldb, long kc, long cols, long nr, double *dst);
/// Double version of `tg_sgemm_macro`.
void tg_dgemm_macro(tg_cpu_level level, long kc, long rows, long cols, const double *packed_a,
                    const double *packed_b, double *c, long ldc, double alpha, double beta);

/// Atomically adds `value` to `*counter` and returns the previous value. The GEMM's workers
/// claim their next task with it (Swift's own atomics need macOS 15 on Apple platforms).
long tg_fetch_add(long *counter, long value);

/// C = alpha·op(A)·op(B) + beta·C without packing, for small products (row-major, BLAS
/// semantics; with beta == 0, C is not read), at `level`. `trans*` are 0 or 1.
void tg_sgemm_direct(tg_cpu_level level, int transA, int transB, long m, long n, long k, float alpha,
                     const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);
/// Double version of `tg_sgemm_direct`.
void tg_dgemm_direct(tg_cpu_level level, int transA, int transB, long m, long n, long k, double alpha,
                     const double *a, long lda, const double *b, long ldb, double beta, double *c, long ldc);

/// out[i] = 1 / (1 + e^−x[i]) for i < n, without overflow for any x (NaN stays NaN), through a
/// vectorised exponential within 2·10⁻⁷ relative error of libm's, at `level`. `out` may be `x`.
void tg_sigmoid_f32(tg_cpu_level level, const float *x, float *out, long n);
/// Asks for the cache line holding `p` ahead of its use (a hint: no fault, no effect on results).
/// The sparse tile walk uses it for the next rows' entries, which no hardware prefetcher predicts.
static inline void tg_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

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
