// The inner loops of the sparse products (see CTapeGradKernels.h and, for the tiling and
// threading around them, Sources/TapeGrad/Kernels/Sparse.swift).
//
// Every kernel body is written once, as an always-inlined function on 16-float vectors (clang's
// vector extension), and compiled three times: for AVX-512, for AVX2+FMA and portably. Inlined
// into a function with a `target` attribute, the same vector code becomes zmm, ymm or
// xmm/NEON instructions; the compiler chooses registers, we choose the blocking per level.
//
// Rounding is part of the contract, identical at every level and equal to the former Swift
// kernels: an spmm output element adds its row's terms in storage order as `acc + v · w`,
// a multiplication then an addition (no fused multiply-add, hence the pragma); a dot product
// runs four 16-lane fused multiply-add accumulators over 64-element steps, then the first over
// 16-element steps, sums ((a0 + a1) + (a2 + a3)) lane by lane from lane 0, then adds the tail
// products one by one. The portable build gets its fused multiply-adds from `fmaf` (an
// instruction on arm64 and on x86-64 CPUs that have FMA), so it gives the same bits.
//
// The bf16 variants read the gathered operand as bfloat16 (the upper half of a float): a
// widening is a zero-extension to 32 bits and a shift left by 16 (vpmovzxwd + vpslld on x86),
// after which the arithmetic is the float arithmetic above.

#include "CTapeGradKernels.h"

#include <string.h>

#pragma clang fp contract(off)
// The helpers below pass 64-byte vectors by value, which clang warns changes the ABI between
// levels; they are always inlined, so no call with that ABI exists.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16f __attribute__((vector_size(64)));
typedef uint32_t v16u __attribute__((vector_size(64)));
typedef uint16_t v16h __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
#define AVX2 __attribute__((target("avx2,fma")))

INLINE v16f load_f32(const float *p) { v16f v; memcpy(&v, p, sizeof v); return v; }
INLINE void store_f32(float *p, v16f v) { memcpy(p, &v, sizeof v); }
INLINE v16f splat(float x) { return (v16f){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }

INLINE v16f load_bf16(const tg_bf16 *p) {
    v16h h;
    memcpy(&h, p, sizeof h);
    return (v16f)(__builtin_convertvector(h, v16u) << 16);
}

INLINE float widen(tg_bf16 h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

// Loads 16 elements of a gathered row of either type (`BF16` is a compile-time constant).
#define LOAD_ROW(BF16, p, j) ((BF16) ? load_bf16((const tg_bf16 *)(p) + (j)) : load_f32((const float *)(p) + (j)))
#define ROW_AT(BF16, p, j) ((BF16) ? widen(((const tg_bf16 *)(p))[j]) : ((const float *)(p))[j])
#define ROW_ADDRESS(BF16, base, row, k) \
    ((BF16) ? (const void *)((const tg_bf16 *)(base) + (ptrdiff_t)(row) * (k)) : (const void *)((const float *)(base) + (ptrdiff_t)(row) * (k)))

// MARK: - spmm

// out[0..<16·N] += Σ_p values[p] · w[columns[p], j0 ..< j0 + 16·N], the N vectors of the output
// held in registers for the whole list of entries.
INLINE void spmm_chunk(int n_vectors, int bf16, const int32_t *columns, const float *values, ptrdiff_t count,
                       const void *w, ptrdiff_t k, ptrdiff_t j0, float *out) {
    v16f acc[8];
    for (int i = 0; i < n_vectors; i++) acc[i] = load_f32(out + j0 + 16 * i);
    for (ptrdiff_t p = 0; p < count; p++) {
        v16f v = splat(values[p]);
        const void *row = ROW_ADDRESS(bf16, w, columns[p], k);
        for (int i = 0; i < n_vectors; i++) acc[i] = acc[i] + v * LOAD_ROW(bf16, row, j0 + 16 * i);
    }
    for (int i = 0; i < n_vectors; i++) store_f32(out + j0 + 16 * i, acc[i]);
}

// The whole row: chunks of `wide` vectors, then single vectors, then the scalar tail.
INLINE void spmm_row(int wide, int bf16, const int32_t *columns, const float *values, ptrdiff_t count,
                     const void *w, ptrdiff_t k, float *out) {
    ptrdiff_t j = 0;
    for (; j + 16 * wide <= k; j += 16 * wide) spmm_chunk(wide, bf16, columns, values, count, w, k, j, out);
    for (; j + 16 <= k; j += 16) spmm_chunk(1, bf16, columns, values, count, w, k, j, out);
    if (j < k) {
        for (ptrdiff_t p = 0; p < count; p++) {
            float v = values[p];
            const void *row = ROW_ADDRESS(bf16, w, columns[p], k);
            for (ptrdiff_t c = j; c < k; c++) out[c] = out[c] + v * ROW_AT(bf16, row, c);
        }
    }
}

// MARK: - dot products

INLINE float lane_sum(v16f v) {
    float s = -0.0f;
    for (int i = 0; i < 16; i++) s += v[i];
    return s;
}

INLINE v16f fma16(v16f a, v16f b, v16f c) { return __builtin_elementwise_fma(a, b, c); }

// x[0..<k] · y[0..<k] in the order described at the top of the file.
INLINE float dot(int bf16, const float *x, const void *y, ptrdiff_t k) {
    v16f a0 = splat(0), a1 = splat(0), a2 = splat(0), a3 = splat(0);
    ptrdiff_t j = 0;
    for (; j + 64 <= k; j += 64) {
        a0 = fma16(load_f32(x + j), LOAD_ROW(bf16, y, j), a0);
        a1 = fma16(load_f32(x + j + 16), LOAD_ROW(bf16, y, j + 16), a1);
        a2 = fma16(load_f32(x + j + 32), LOAD_ROW(bf16, y, j + 32), a2);
        a3 = fma16(load_f32(x + j + 48), LOAD_ROW(bf16, y, j + 48), a3);
    }
    for (; j + 16 <= k; j += 16) a0 = fma16(load_f32(x + j), LOAD_ROW(bf16, y, j), a0);
    float s = lane_sum((a0 + a1) + (a2 + a3));
    for (; j < k; j++) s += x[j] * ROW_AT(bf16, y, j);
    return s;
}

// Four dot products sharing the loads of x (for the levels with registers enough: 16
// accumulators). Each result has exactly the rounding of `dot`.
INLINE void dot4(int bf16, const float *x, const void *y0, const void *y1, const void *y2, const void *y3,
                 ptrdiff_t k, float out[4]) {
    v16f a[4][4];
    const void *y[4] = {y0, y1, y2, y3};
    for (int e = 0; e < 4; e++) for (int i = 0; i < 4; i++) a[e][i] = splat(0);
    ptrdiff_t j = 0;
    for (; j + 64 <= k; j += 64) {
        for (int i = 0; i < 4; i++) {
            v16f xi = load_f32(x + j + 16 * i);
            for (int e = 0; e < 4; e++) a[e][i] = fma16(xi, LOAD_ROW(bf16, y[e], j + 16 * i), a[e][i]);
        }
    }
    for (; j + 16 <= k; j += 16) {
        v16f x0 = load_f32(x + j);
        for (int e = 0; e < 4; e++) a[e][0] = fma16(x0, LOAD_ROW(bf16, y[e], j), a[e][0]);
    }
    for (int e = 0; e < 4; e++) {
        float s = lane_sum((a[e][0] + a[e][1]) + (a[e][2] + a[e][3]));
        for (ptrdiff_t t = j; t < k; t++) s += x[t] * ROW_AT(bf16, y[e], t);
        out[e] = s;
    }
}

// MARK: - sddmm and the fused residual

INLINE void sddmm_row(int share, int bf16, const int32_t *columns, ptrdiff_t count, const float *a, const void *b,
                      ptrdiff_t k, float *out) {
    ptrdiff_t p = 0;
    if (share) {
        for (; p + 4 <= count; p += 4) {
            dot4(bf16, a, ROW_ADDRESS(bf16, b, columns[p], k), ROW_ADDRESS(bf16, b, columns[p + 1], k),
                 ROW_ADDRESS(bf16, b, columns[p + 2], k), ROW_ADDRESS(bf16, b, columns[p + 3], k), k, out + p);
        }
    }
    for (; p < count; p++) out[p] = dot(bf16, a, ROW_ADDRESS(bf16, b, columns[p], k), k);
}

// Entries in groups of up to four: their residuals, then their terms of the gradient row while
// their rows of b are in L1. Each gradient element adds the terms in storage order, multiply
// then add, as spmm does.
INLINE void residual_row(int share, int bf16, const int32_t *columns, ptrdiff_t count, const float *a, const void *b,
                         const float *bias, const float *target, ptrdiff_t k, float *residual, float *grad) {
    for (ptrdiff_t p = 0; p < count; ) {
        int n = count - p < 4 ? (int)(count - p) : 4;
        const void *rows[4];
        float e[4] = {0, 0, 0, 0};
        for (int q = 0; q < n; q++) rows[q] = ROW_ADDRESS(bf16, b, columns[p + q], k);
        if (share && n == 4) {
            dot4(bf16, a, rows[0], rows[1], rows[2], rows[3], k, e);
        } else {
            for (int q = 0; q < n; q++) e[q] = dot(bf16, a, rows[q], k);
        }
        for (int q = 0; q < n; q++) {
            e[q] = e[q] + bias[columns[p + q]] - target[p + q];
            residual[p + q] = e[q];
        }
        ptrdiff_t c = 0;
        for (; c + 16 <= k; c += 16) {
            v16f acc = load_f32(grad + c);
            for (int q = 0; q < n; q++) acc = acc + splat(e[q]) * LOAD_ROW(bf16, rows[q], c);
            store_f32(grad + c, acc);
        }
        for (; c < k; c++) {
            float v = grad[c];
            for (int q = 0; q < n; q++) v = v + e[q] * ROW_AT(bf16, rows[q], c);
            grad[c] = v;
        }
        p += n;
    }
}

// MARK: - Instances per level and the dispatch

// Blocking per level: spmm keeps `wide` 16-float vectors of the output in registers (AVX-512:
// 8 zmm = 128 columns; AVX2: 6 × 2 ymm = 96 columns of its 16 ymm; portable: 3 × 4 xmm), and
// the dot products share the loads of a's row between four entries where 16 accumulators fit
// in registers (AVX-512's 32 zmm).
#define INSTANCES(LEVEL, ATTR, WIDE, SHARE)                                                                           \
    ATTR static void spmm_f32_##LEVEL(const int32_t *c, const float *v, ptrdiff_t n, const float *w, ptrdiff_t k,    \
                                      float *out) { spmm_row(WIDE, 0, c, v, n, w, k, out); }                           \
    ATTR static void spmm_bf16_##LEVEL(const int32_t *c, const float *v, ptrdiff_t n, const tg_bf16 *w, ptrdiff_t k, \
                                       float *out) { spmm_row(WIDE, 1, c, v, n, w, k, out); }                          \
    ATTR static void sddmm_f32_##LEVEL(const int32_t *c, ptrdiff_t n, const float *a, const float *b, ptrdiff_t k,   \
                                       float *out) { sddmm_row(SHARE, 0, c, n, a, b, k, out); }                        \
    ATTR static void sddmm_bf16_##LEVEL(const int32_t *c, ptrdiff_t n, const float *a, const tg_bf16 *b,             \
                                        ptrdiff_t k, float *out) { sddmm_row(SHARE, 1, c, n, a, b, k, out); }          \
    ATTR static void residual_f32_##LEVEL(const int32_t *c, ptrdiff_t n, const float *a, const float *b,             \
                                          const float *bias, const float *t, ptrdiff_t k, float *r, float *g) {        \
        residual_row(SHARE, 0, c, n, a, b, bias, t, k, r, g);                                                          \
    }                                                                                                                  \
    ATTR static void residual_bf16_##LEVEL(const int32_t *c, ptrdiff_t n, const float *a, const tg_bf16 *b,          \
                                           const float *bias, const float *t, ptrdiff_t k, float *r, float *g) {       \
        residual_row(SHARE, 1, c, n, a, b, bias, t, k, r, g);                                                          \
    }

INSTANCES(portable, , 3, 0)
static const tg_sparse_kernels kernels_portable = {
    spmm_f32_portable, spmm_bf16_portable, sddmm_f32_portable, sddmm_bf16_portable,
    residual_f32_portable, residual_bf16_portable,
};
#if defined(__x86_64__)
INSTANCES(avx2, AVX2, 6, 0)
INSTANCES(avx512, AVX512, 8, 1)
static const tg_sparse_kernels kernels_avx2 = {
    spmm_f32_avx2, spmm_bf16_avx2, sddmm_f32_avx2, sddmm_bf16_avx2, residual_f32_avx2, residual_bf16_avx2,
};
static const tg_sparse_kernels kernels_avx512 = {
    spmm_f32_avx512, spmm_bf16_avx512, sddmm_f32_avx512, sddmm_bf16_avx512, residual_f32_avx512, residual_bf16_avx512,
};
#define DISPATCH(NAME, ...)                                                           \
    switch (tg_cpu_level_get()) {                                                     \
    case TG_CPU_AVX512: case TG_CPU_AVX512_BF16: return NAME##_avx512(__VA_ARGS__);  \
    case TG_CPU_AVX2: return NAME##_avx2(__VA_ARGS__);                                \
    default: return NAME##_portable(__VA_ARGS__);                                     \
    }
#else
#define DISPATCH(NAME, ...) return NAME##_portable(__VA_ARGS__);
#endif

const tg_sparse_kernels *tg_sparse_kernels_for(tg_cpu_level level) {
    tg_cpu_level hardware = tg_cpu_level_detect();
    if (level > hardware) level = hardware;
    switch (level) {
#if defined(__x86_64__)
    case TG_CPU_AVX512: case TG_CPU_AVX512_BF16: return &kernels_avx512;
    case TG_CPU_AVX2: return &kernels_avx2;
#endif
    default: return &kernels_portable;
    }
}

void tg_spmm_row_f32(const int32_t *columns, const float *values, ptrdiff_t count, const float *w, ptrdiff_t k,
                     float *out) {
    DISPATCH(spmm_f32, columns, values, count, w, k, out)
}

void tg_spmm_row_bf16(const int32_t *columns, const float *values, ptrdiff_t count, const tg_bf16 *w, ptrdiff_t k,
                      float *out) {
    DISPATCH(spmm_bf16, columns, values, count, w, k, out)
}

void tg_sddmm_row_f32(const int32_t *columns, ptrdiff_t count, const float *a, const float *b, ptrdiff_t k,
                      float *out) {
    DISPATCH(sddmm_f32, columns, count, a, b, k, out)
}

void tg_sddmm_row_bf16(const int32_t *columns, ptrdiff_t count, const float *a, const tg_bf16 *b, ptrdiff_t k,
                       float *out) {
    DISPATCH(sddmm_bf16, columns, count, a, b, k, out)
}

void tg_affine_residual_row_f32(const int32_t *columns, ptrdiff_t count, const float *a, const float *b,
                                const float *bias, const float *target, ptrdiff_t k, float *residual, float *grad) {
    DISPATCH(residual_f32, columns, count, a, b, bias, target, k, residual, grad)
}

void tg_affine_residual_row_bf16(const int32_t *columns, ptrdiff_t count, const float *a, const tg_bf16 *b,
                                 const float *bias, const float *target, ptrdiff_t k, float *residual, float *grad) {
    DISPATCH(residual_bf16, columns, count, a, b, bias, target, k, residual, grad)
}
