// The packed GEMM kernels: packing and the register-blocked micro-kernels, one per CPU level.
//
// The blocking and the threading stay in Swift (Gemm.swift). This file holds what must be
// compiled for several instruction sets: the micro-kernel that keeps an MR×NR tile of C in
// registers, the macro-kernel that runs it over a packed block, and the packing of op(A) and
// op(B) into the micro-panel layout that the micro-kernel of the chosen level reads.
//
// Layout. A packed A block is a sequence of MR-row micro-panels, each stored k-major (MR values
// per k); a packed B slab is a sequence of NR-column micro-panels, k-major (NR values per k).
// Ragged edges are zero-padded, so the micro-kernel never branches; edge tiles of C go through
// a small temporary.
//
// Micro-kernels. A tile row of C is two vectors (NR = 2 · lanes); per k the kernel loads two
// vectors of B, broadcasts MR values of A and issues 2·MR fused multiply-adds into 2·MR
// independent accumulators, enough to cover the FMA latency on both FMA pipes.
//   AVX2+FMA (16 ymm):   Float 6×16, Double 6×8   — 12 accumulators + 2 B + 1 broadcast.
//   AVX-512 (32 zmm):    Float 12×32, Double 12×16 — 24 accumulators + 2 B + 1 broadcast.
//   portable:            Float 4×8, Double 4×4 in plain C, which compilers vectorise for the
//                        baseline (SSE2 on x86-64, NEON on arm64).
// FMAs are explicit intrinsics, so no fast-math flag is needed; the portable kernel uses
// separate multiply and add (what the baseline has), so its results differ from the vector
// levels' in the last bits.
#include "CTapeGradKernels.h"

#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define TG_X86 1
#include <immintrin.h>
#define TG_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TG_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#else
#define TG_X86 0
#endif

typedef void (*tg_sukr)(long kc, const float *a, const float *b, float *c, long ldc, float alpha, float beta);
typedef void (*tg_dukr)(long kc, const double *a, const double *b, double *c, long ldc, double alpha, double beta);

// MARK: - Blocking

// AVX2 (Zen 3: 32 KiB L1d, 512 KiB L2 per core): a KC×NR micro-panel of B (512×16 Float, 32 KiB)
// is reused from L1 across the MC/MR micro-panels of A, the MC×KC block of A (144×512 Float,
// 288 KiB) stays in L2, the KC×NC slab of B lives in L3. KC = 512 rather than BLIS's 256: it
// halves the passes over C, which measured 10–15% faster when k is large and n small
// (3706×6040×500) and no slower elsewhere (Docs/Performance.md). The AVX-512 values suit the
// larger caches of the CPUs that have it (48 KiB L1d, 1–2 MiB L2; measured on Zen 4 with the
// earlier Swift kernel). `kc_single` is the largest k run as one slab. NC = 2048 (a 4 MiB slab
// of B at KC = 512) rather than 4080: with the 8 MiB slab, packing B took 10–12 ms instead of
// 6.6–8.5 and the 3706×500×6040 product ran about 5% slower on one thread (Docs/Performance.md).
tg_gemm_blocking tg_sgemm_blocking(tg_cpu_level level) {
    switch (level) {
    case TG_CPU_AVX512:
    case TG_CPU_AVX512_BF16: return (tg_gemm_blocking){12, 32, 480, 256, 4096, 512};
    case TG_CPU_AVX2: return (tg_gemm_blocking){6, 16, 144, 512, 2048, 512};
    case TG_CPU_PORTABLE: break;
    }
    return (tg_gemm_blocking){4, 8, 128, 256, 4096, 256};
}

tg_gemm_blocking tg_dgemm_blocking(tg_cpu_level level) {
    switch (level) {
    case TG_CPU_AVX512:
    case TG_CPU_AVX512_BF16: return (tg_gemm_blocking){12, 16, 240, 256, 4096, 512};
    case TG_CPU_AVX2: return (tg_gemm_blocking){6, 8, 72, 512, 2048, 512};
    case TG_CPU_PORTABLE: break;
    }
    return (tg_gemm_blocking){4, 4, 64, 256, 4096, 256};
}

// MARK: - Packing (plain C: memory-bound, the baseline ISA suffices)

#define TG_PACK(T, NAME_A, NAME_B)                                                                   \
static void NAME_A(int trans, const T *a, long lda, long rows, long kc, long mr, T *restrict dst) {         \
    for (long r0 = 0; r0 < rows; r0 += mr) {                                                          \
        long r = rows - r0 < mr ? rows - r0 : mr;                                                     \
        T *d = dst + r0 * kc;                                                                         \
        if (trans) {                                                                                  \
            /* op(A)[i][p] = a[p*lda + i]: MR contiguous values per k. */                             \
            for (long p = 0; p < kc; p++) {                                                           \
                const T *src = a + p * lda + r0;                                                      \
                T *dp = d + p * mr;                                                                   \
                long i = 0;                                                                           \
                for (; i < r; i++) dp[i] = src[i];                                                    \
                for (; i < mr; i++) dp[i] = 0;                                                        \
            }                                                                                         \
        } else {                                                                                      \
            /* op(A)[i][p] = a[i*lda + p]: MR row streams, written k-major. */                        \
            const T *src = a + r0 * lda;                                                              \
            for (long p = 0; p < kc; p++) {                                                           \
                T *dp = d + p * mr;                                                                   \
                long i = 0;                                                                           \
                for (; i < r; i++) dp[i] = src[i * lda + p];                                          \
                for (; i < mr; i++) dp[i] = 0;                                                        \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
}                                                                                                     \
static void NAME_B(int trans, const T *b, long ldb, long kc, long cols, long nr, T *restrict dst) {         \
    for (long j0 = 0; j0 < cols; j0 += nr) {                                                          \
        long w = cols - j0 < nr ? cols - j0 : nr;                                                     \
        T *d = dst + j0 * kc;                                                                         \
        if (!trans) {                                                                                 \
            /* op(B)[p][j] = b[p*ldb + j]: NR contiguous values per k; full panels are copied in */   \
            /* one sweep along B's rows below, which reads B sequentially. */                         \
            if (w == nr) continue;                                                                    \
            for (long p = 0; p < kc; p++) {                                                           \
                const T *src = b + p * ldb + j0;                                                      \
                T *dp = d + p * nr;                                                                   \
                long j = 0;                                                                           \
                for (; j < w; j++) dp[j] = src[j];                                                    \
                for (; j < nr; j++) dp[j] = 0;                                                        \
            }                                                                                         \
        } else {                                                                                      \
            /* op(B)[p][j] = b[j*ldb + p]: NR column streams, written k-major. */                     \
            const T *src = b + j0 * ldb;                                                              \
            for (long p = 0; p < kc; p++) {                                                           \
                T *dp = d + p * nr;                                                                   \
                long j = 0;                                                                           \
                for (; j < w; j++) dp[j] = src[j * ldb + p];                                          \
                for (; j < nr; j++) dp[j] = 0;                                                        \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    if (!trans) {                                                                                     \
        const long full = cols / nr;                                                                  \
        for (long p = 0; p < kc; p++) {                                                               \
            const T *src = b + p * ldb;                                                               \
            for (long jp = 0; jp < full; jp++)                                                        \
                memcpy(dst + jp * nr * kc + p * nr, src + jp * nr, (size_t)nr * sizeof(T));           \
        }                                                                                             \
    }                                                                                                 \
}

TG_PACK(float, s_pack_a_portable, s_pack_b_portable)
TG_PACK(double, d_pack_a_portable, d_pack_b_portable)

// MARK: - Portable micro-kernels

// Written with the GCC/Clang vector extension (16-byte vectors: SSE2 on x86-64, NEON on arm64)
// because the loop form left the accumulators to the SLP vectoriser, which shuffled them
// between registers every k step (6.5 GFLOP/s on Zen 3 for Float).
typedef float tg_v4f __attribute__((vector_size(16)));
typedef double tg_v2d __attribute__((vector_size(16)));

#define TG_PORTABLE_UKR(T, V, NAME, MR, NV)                                                          \
static void NAME(long kc, const T *restrict a, const T *restrict b, T *restrict c, long ldc,         \
                 T alpha, T beta) {                                                                   \
    enum { LANES = sizeof(V) / sizeof(T), NR = NV * LANES };                                          \
    V acc[MR][NV];                                                                                    \
    for (int i = 0; i < MR; i++)                                                                      \
        for (int v = 0; v < NV; v++) acc[i][v] = (V){0};                                              \
    for (long p = 0; p < kc; p++) {                                                                   \
        V bv[NV];                                                                                     \
        memcpy(bv, b, sizeof bv);                                                                     \
        for (int i = 0; i < MR; i++) {                                                                \
            V s = (V){0} + a[i];                                                                      \
            for (int v = 0; v < NV; v++) acc[i][v] += s * bv[v];                                      \
        }                                                                                             \
        a += MR;                                                                                      \
        b += NR;                                                                                      \
    }                                                                                                 \
    for (int i = 0; i < MR; i++) {                                                                    \
        T *row = c + i * ldc;                                                                         \
        for (int v = 0; v < NV; v++) {                                                                \
            V x = acc[i][v] * alpha;                                                                  \
            if (beta != 0) {                                                                          \
                V old;                                                                                \
                memcpy(&old, row + v * LANES, sizeof old);                                            \
                x += beta * old;                                                                      \
            }                                                                                         \
            memcpy(row + v * LANES, &x, sizeof x);                                                    \
        }                                                                                             \
    }                                                                                                 \
}

// Without FMA in the baseline, `acc += s * b` must stay a separate multiply and add: with
// contraction allowed, a compiler targeting a CPU with FMA would produce different bits.
#pragma clang fp contract(off)
TG_PORTABLE_UKR(float, tg_v4f, s_ukr_portable, 4, 2)
TG_PORTABLE_UKR(double, tg_v2d, d_ukr_portable, 4, 2)
#pragma clang fp contract(on)

#if TG_X86

// MARK: - AVX2 + FMA micro-kernels (6 rows × 2 ymm)

// One k step for row I: broadcast A[I], two FMAs into the row's accumulators.
#define TG_AVX2_ROW(I, SET1, FMA, PA, B0, B1) \
    { __typeof__(B0) t = SET1(PA[I]); c##I##0 = FMA(t, B0, c##I##0); c##I##1 = FMA(t, B1, c##I##1); }

#define TG_STORE_ROW(I, V, LOAD, STORE, MUL, FMA, LANES)                      \
    {                                                                         \
        __typeof__(c##I##0) x0 = MUL(va, c##I##0), x1 = MUL(va, c##I##1);     \
        V *row = c + (I) * ldc;                                               \
        if (beta != 0) {                                                      \
            x0 = FMA(vb, LOAD(row), x0);                                      \
            x1 = FMA(vb, LOAD(row + LANES), x1);                              \
        }                                                                     \
        STORE(row, x0);                                                       \
        STORE(row + LANES, x1);                                               \
    }

#define TG_AVX2_UKR(T, NAME, VEC, SETZERO, SET1, LOAD, STORE, MUL, FMA, LANES)                       \
TG_TARGET_AVX2 static void NAME(long kc, const T *restrict a, const T *restrict b, T *restrict c,    \
                                long ldc, T alpha, T beta) {                                          \
    VEC c00 = SETZERO(), c01 = SETZERO(), c10 = SETZERO(), c11 = SETZERO();                           \
    VEC c20 = SETZERO(), c21 = SETZERO(), c30 = SETZERO(), c31 = SETZERO();                           \
    VEC c40 = SETZERO(), c41 = SETZERO(), c50 = SETZERO(), c51 = SETZERO();                           \
    for (int i = 0; i < 6; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);               \
    /* Unrolled by 4 with A prefetched 16 k steps ahead: 1024³ went from 49–66 to 63–74 GFLOP */      \
    /* per CPU-second in five alternated pairs on the loaded Zen 3 (other shapes within noise). */    \
    _Pragma("clang loop unroll_count(4)")                                                             \
    for (long p = 0; p < kc; p++) {                                                                   \
        _mm_prefetch((const char *)(a + 96), _MM_HINT_T0);                                            \
        VEC b0 = LOAD(b), b1 = LOAD(b + LANES);                                                       \
        TG_AVX2_ROW(0, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(1, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(2, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(3, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(4, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(5, SET1, FMA, a, b0, b1)                                                          \
        a += 6;                                                                                       \
        b += 2 * LANES;                                                                               \
    }                                                                                                 \
    VEC va = SET1(alpha), vb = SET1(beta);                                                            \
    TG_STORE_ROW(0, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(1, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(2, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(3, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(4, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(5, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
}

TG_AVX2_UKR(float, s_ukr_avx2, __m256, _mm256_setzero_ps, _mm256_set1_ps, _mm256_loadu_ps,
            _mm256_storeu_ps, _mm256_mul_ps, _mm256_fmadd_ps, 8)
TG_AVX2_UKR(double, d_ukr_avx2, __m256d, _mm256_setzero_pd, _mm256_set1_pd, _mm256_loadu_pd,
            _mm256_storeu_pd, _mm256_mul_pd, _mm256_fmadd_pd, 4)

// MARK: - AVX-512 micro-kernels (12 rows × 2 zmm)

#define TG_AVX512_UKR(T, NAME, VEC, SETZERO, SET1, LOAD, STORE, MUL, FMA, LANES)                     \
TG_TARGET_AVX512 static void NAME(long kc, const T *restrict a, const T *restrict b, T *restrict c,  \
                                  long ldc, T alpha, T beta) {                                        \
    VEC c00 = SETZERO(), c01 = SETZERO(), c10 = SETZERO(), c11 = SETZERO();                           \
    VEC c20 = SETZERO(), c21 = SETZERO(), c30 = SETZERO(), c31 = SETZERO();                           \
    VEC c40 = SETZERO(), c41 = SETZERO(), c50 = SETZERO(), c51 = SETZERO();                           \
    VEC c60 = SETZERO(), c61 = SETZERO(), c70 = SETZERO(), c71 = SETZERO();                           \
    VEC c80 = SETZERO(), c81 = SETZERO(), c90 = SETZERO(), c91 = SETZERO();                           \
    VEC c100 = SETZERO(), c101 = SETZERO(), c110 = SETZERO(), c111 = SETZERO();                       \
    for (int i = 0; i < 12; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);              \
    for (long p = 0; p < kc; p++) {                                                                   \
        VEC b0 = LOAD(b), b1 = LOAD(b + LANES);                                                       \
        TG_AVX2_ROW(0, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(1, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(2, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(3, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(4, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(5, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(6, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(7, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(8, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(9, SET1, FMA, a, b0, b1)                                                          \
        TG_AVX2_ROW(10, SET1, FMA, a, b0, b1)                                                         \
        TG_AVX2_ROW(11, SET1, FMA, a, b0, b1)                                                         \
        a += 12;                                                                                      \
        b += 2 * LANES;                                                                               \
    }                                                                                                 \
    VEC va = SET1(alpha), vb = SET1(beta);                                                            \
    TG_STORE_ROW(0, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(1, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(2, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(3, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(4, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(5, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(6, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(7, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(8, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(9, T, LOAD, STORE, MUL, FMA, LANES)                                                  \
    TG_STORE_ROW(10, T, LOAD, STORE, MUL, FMA, LANES)                                                 \
    TG_STORE_ROW(11, T, LOAD, STORE, MUL, FMA, LANES)                                                 \
}

TG_AVX512_UKR(float, s_ukr_avx512, __m512, _mm512_setzero_ps, _mm512_set1_ps, _mm512_loadu_ps,
              _mm512_storeu_ps, _mm512_mul_ps, _mm512_fmadd_ps, 16)
TG_AVX512_UKR(double, d_ukr_avx512, __m512d, _mm512_setzero_pd, _mm512_set1_pd, _mm512_loadu_pd,
              _mm512_storeu_pd, _mm512_mul_pd, _mm512_fmadd_pd, 8)

#endif  // TG_X86

#if TG_X86
// Six rows of op(A), not transposed: eight k steps at a time, the 6×8 block is transposed in
// registers into eight k-major groups of six (the scalar loop does this 48 loads at a time and
// was 10% of the 3706×6040×500 product).
TG_TARGET_AVX2 static void s_pack_a6_avx2(const float *a, long lda, long kc, float *restrict d) {
    const float *r0 = a, *r1 = a + lda, *r2 = a + 2 * lda, *r3 = a + 3 * lda, *r4 = a + 4 * lda,
                *r5 = a + 5 * lda;
    long p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 x0 = _mm256_loadu_ps(r0 + p), x1 = _mm256_loadu_ps(r1 + p);
        __m256 x2 = _mm256_loadu_ps(r2 + p), x3 = _mm256_loadu_ps(r3 + p);
        __m256 x4 = _mm256_loadu_ps(r4 + p), x5 = _mm256_loadu_ps(r5 + p);
        __m256 u0 = _mm256_unpacklo_ps(x0, x1), u1 = _mm256_unpackhi_ps(x0, x1);
        __m256 u2 = _mm256_unpacklo_ps(x2, x3), u3 = _mm256_unpackhi_ps(x2, x3);
        // v_q: rows 0-3 of k steps q (low half) and q+4 (high half).
        __m256 v0 = _mm256_shuffle_ps(u0, u2, 0x44), v1 = _mm256_shuffle_ps(u0, u2, 0xEE);
        __m256 v2 = _mm256_shuffle_ps(u1, u3, 0x44), v3 = _mm256_shuffle_ps(u1, u3, 0xEE);
        // t: the (row 4, row 5) pairs of k steps 0,1 | 4,5 (t4) and 2,3 | 6,7 (t5).
        __m256 t4 = _mm256_unpacklo_ps(x4, x5), t5 = _mm256_unpackhi_ps(x4, x5);
        float *o = d + p * 6;
        __m128 lo4 = _mm256_castps256_ps128(t4), hi4 = _mm256_extractf128_ps(t4, 1);
        __m128 lo5 = _mm256_castps256_ps128(t5), hi5 = _mm256_extractf128_ps(t5, 1);
        _mm_storeu_ps(o + 0, _mm256_castps256_ps128(v0)); _mm_storel_pi((__m64 *)(o + 4), lo4);
        _mm_storeu_ps(o + 6, _mm256_castps256_ps128(v1)); _mm_storeh_pi((__m64 *)(o + 10), lo4);
        _mm_storeu_ps(o + 12, _mm256_castps256_ps128(v2)); _mm_storel_pi((__m64 *)(o + 16), lo5);
        _mm_storeu_ps(o + 18, _mm256_castps256_ps128(v3)); _mm_storeh_pi((__m64 *)(o + 22), lo5);
        _mm_storeu_ps(o + 24, _mm256_extractf128_ps(v0, 1)); _mm_storel_pi((__m64 *)(o + 28), hi4);
        _mm_storeu_ps(o + 30, _mm256_extractf128_ps(v1, 1)); _mm_storeh_pi((__m64 *)(o + 34), hi4);
        _mm_storeu_ps(o + 36, _mm256_extractf128_ps(v2, 1)); _mm_storel_pi((__m64 *)(o + 40), hi5);
        _mm_storeu_ps(o + 42, _mm256_extractf128_ps(v3, 1)); _mm_storeh_pi((__m64 *)(o + 46), hi5);
    }
    for (; p < kc; p++) {
        float *o = d + p * 6;
        o[0] = r0[p]; o[1] = r1[p]; o[2] = r2[p]; o[3] = r3[p]; o[4] = r4[p]; o[5] = r5[p];
    }
}
#endif

void tg_sgemm_pack_a(tg_cpu_level level, int trans, const float *a, long lda, long rows, long kc,
                     long mr, float *dst) {
#if TG_X86
    if (level == TG_CPU_AVX2 && !trans && mr == 6) {
        long full = rows / 6;
        for (long ip = 0; ip < full; ip++) s_pack_a6_avx2(a + ip * 6 * lda, lda, kc, dst + ip * 6 * kc);
        if (rows > full * 6)
            s_pack_a_portable(0, a + full * 6 * lda, lda, rows - full * 6, kc, mr, dst + full * 6 * kc);
        return;
    }
#endif
    (void)level;
    s_pack_a_portable(trans, a, lda, rows, kc, mr, dst);
}

void tg_sgemm_pack_b(tg_cpu_level level, int trans, const float *b, long ldb, long kc, long cols,
                     long nr, float *dst) {
    (void)level;
    s_pack_b_portable(trans, b, ldb, kc, cols, nr, dst);
}

void tg_dgemm_pack_a(tg_cpu_level level, int trans, const double *a, long lda, long rows, long kc,
                     long mr, double *dst) {
    (void)level;
    d_pack_a_portable(trans, a, lda, rows, kc, mr, dst);
}

void tg_dgemm_pack_b(tg_cpu_level level, int trans, const double *b, long ldb, long kc, long cols,
                     long nr, double *dst) {
    (void)level;
    d_pack_b_portable(trans, b, ldb, kc, cols, nr, dst);
}

// MARK: - Macro-kernels

// The micro-kernel for a level and its tile; the blocking functions above give the same MR/NR.
static tg_sukr s_ukr(tg_cpu_level level) {
#if TG_X86
    if (level >= TG_CPU_AVX512) return s_ukr_avx512;
    if (level == TG_CPU_AVX2) return s_ukr_avx2;
#endif
    (void)level;
    return s_ukr_portable;
}

static tg_dukr d_ukr(tg_cpu_level level) {
#if TG_X86
    if (level >= TG_CPU_AVX512) return d_ukr_avx512;
    if (level == TG_CPU_AVX2) return d_ukr_avx2;
#endif
    (void)level;
    return d_ukr_portable;
}

// B micro-panel outer, A micro-panels inner: each B micro-panel stays in L1 while the packed A
// block streams from L2. Edge tiles are computed into `tmp` and then merged with alpha/beta.
#define TG_MACRO(T, NAME, BLOCKING, UKR)                                                             \
void NAME(tg_cpu_level level, long kc, long rows, long cols, const T *packed_a, const T *packed_b,  \
          T *c, long ldc, T alpha, T beta) {                                                          \
    tg_gemm_blocking blk = BLOCKING(level);                                                           \
    const long mr = blk.mr, nr = blk.nr;                                                              \
    __typeof__(UKR(level)) ukr = UKR(level);                                                          \
    _Alignas(64) T tmp[12 * 32];                                                                      \
    for (long j0 = 0; j0 < cols; j0 += nr) {                                                          \
        const long w = cols - j0 < nr ? cols - j0 : nr;                                               \
        const T *bp = packed_b + j0 * kc;                                                             \
        for (long i0 = 0; i0 < rows; i0 += mr) {                                                      \
            const long h = rows - i0 < mr ? rows - i0 : mr;                                           \
            const T *ap = packed_a + i0 * kc;                                                         \
            T *cp = c + i0 * ldc + j0;                                                                \
            if (h == mr && w == nr) {                                                                 \
                ukr(kc, ap, bp, cp, ldc, alpha, beta);                                                \
            } else {                                                                                  \
                ukr(kc, ap, bp, tmp, nr, 1, 0);                                                       \
                for (long i = 0; i < h; i++) {                                                        \
                    T *crow = cp + i * ldc;                                                           \
                    const T *trow = tmp + i * nr;                                                     \
                    if (beta == 0) {                                                                  \
                        for (long j = 0; j < w; j++) crow[j] = alpha * trow[j];                       \
                    } else {                                                                          \
                        for (long j = 0; j < w; j++) crow[j] = alpha * trow[j] + beta * crow[j];      \
                    }                                                                                 \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
}

TG_MACRO(float, tg_sgemm_macro, tg_sgemm_blocking, s_ukr)
TG_MACRO(double, tg_dgemm_macro, tg_dgemm_blocking, d_ukr)

// MARK: - Task claiming

long tg_fetch_add(long *counter, long value) { return __atomic_fetch_add(counter, value, __ATOMIC_RELAXED); }

// MARK: - Direct path for small products

// Small products skip packing: a 4-row × 2-vector tile of C (then, for the rest, one or two
// vectors along a row) is accumulated in registers over the whole k loop and written once. Columns of a transposed B, and the ragged
// end of a row, are dot products. One body, written over a GCC/Clang vector type and
// instantiated per level (32-byte vectors split in two for the portable path); the compiler may
// contract its multiply-adds into FMAs at the AVX2 and AVX-512 levels only.
#define TG_DIRECT_BODY(T, VF)                                                                        \
    enum { W = sizeof(VF) / sizeof(T) };                                                              \
    const long aRow = transA ? 1 : lda, aCol = transA ? lda : 1;                                      \
    long i = 0;                                                                                       \
    if (!transB) {                                                                                    \
        /* Four rows at a time share each vector of B: eight independent accumulators. */           \
        for (; i + 4 <= m; i += 4) {                                                                  \
            const T *a0 = a + i * aRow;                                                               \
            for (long j = 0; j + 2 * W <= n; j += 2 * W) {                                            \
                VF acc[4][2] = {{{0}}};                                                               \
                const T *bp = b + j;                                                                  \
                for (long p = 0; p < k; p++, bp += ldb) {                                             \
                    VF b0, b1;                                                                        \
                    memcpy(&b0, bp, sizeof b0);                                                       \
                    memcpy(&b1, bp + W, sizeof b1);                                                   \
                    for (int r = 0; r < 4; r++) {                                                     \
                        VF s = (VF){0} + a0[r * aRow + p * aCol];                                     \
                        acc[r][0] += s * b0;                                                          \
                        acc[r][1] += s * b1;                                                          \
                    }                                                                                 \
                }                                                                                     \
                for (int r = 0; r < 4; r++) {                                                         \
                    T *cr = c + (i + r) * ldc + j;                                                    \
                    for (int h = 0; h < 2; h++) {                                                     \
                        VF x = acc[r][h] * alpha;                                                     \
                        if (beta != 0) {                                                              \
                            VF old;                                                                   \
                            memcpy(&old, cr + h * W, sizeof old);                                     \
                            x += beta * old;                                                          \
                        }                                                                             \
                        memcpy(cr + h * W, &x, sizeof x);                                             \
                    }                                                                                 \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
        /* The rest of each row of that block: one row at a time below, from column n0. */          \
    }                                                                                                 \
    const long n0 = transB ? 0 : n / (2 * W) * (2 * W);                                               \
    for (long r = 0; r < m; r++) {                                                                    \
        T *crow = c + r * ldc;                                                                        \
        const T *ai = a + r * aRow;                                                                   \
        long j = r < i ? n0 : 0;                                                                      \
        if (!transB) {                                                                                \
            for (; j + 2 * W <= n; j += 2 * W) {                                                      \
                VF acc0 = {0}, acc1 = {0};                                                            \
                const T *bp = b + j;                                                                  \
                for (long p = 0; p < k; p++, bp += ldb) {                                             \
                    VF s = (VF){0} + ai[p * aCol], b0, b1;                                            \
                    memcpy(&b0, bp, sizeof b0);                                                       \
                    memcpy(&b1, bp + W, sizeof b1);                                                   \
                    acc0 += s * b0;                                                                   \
                    acc1 += s * b1;                                                                   \
                }                                                                                     \
                VF r0 = acc0 * alpha, r1 = acc1 * alpha;                                              \
                if (beta != 0) {                                                                      \
                    VF c0, c1;                                                                        \
                    memcpy(&c0, crow + j, sizeof c0);                                                 \
                    memcpy(&c1, crow + j + W, sizeof c1);                                             \
                    r0 += beta * c0;                                                                  \
                    r1 += beta * c1;                                                                  \
                }                                                                                     \
                memcpy(crow + j, &r0, sizeof r0);                                                     \
                memcpy(crow + j + W, &r1, sizeof r1);                                                 \
            }                                                                                         \
            for (; j + W <= n; j += W) {                                                              \
                VF acc = {0};                                                                         \
                const T *bp = b + j;                                                                  \
                for (long p = 0; p < k; p++, bp += ldb) {                                             \
                    VF s = (VF){0} + ai[p * aCol], b0;                                                \
                    memcpy(&b0, bp, sizeof b0);                                                       \
                    acc += s * b0;                                                                    \
                }                                                                                     \
                VF r = acc * alpha;                                                                   \
                if (beta != 0) {                                                                      \
                    VF c0;                                                                            \
                    memcpy(&c0, crow + j, sizeof c0);                                                 \
                    r += beta * c0;                                                                   \
                }                                                                                     \
                memcpy(crow + j, &r, sizeof r);                                                       \
            }                                                                                         \
        }                                                                                             \
        for (; j < n; j++) {                                                                          \
            const T *bj = transB ? b + j * ldb : b + j;                                               \
            const long bStep = transB ? 1 : ldb;                                                      \
            long p = 0;                                                                               \
            T sum = 0;                                                                                \
            if (!transA && transB) {                                                                  \
                /* Both operands contiguous along k: a vector dot product. */                         \
                VF acc = {0};                                                                         \
                for (; p + W <= k; p += W) {                                                          \
                    VF x, y;                                                                          \
                    memcpy(&x, ai + p, sizeof x);                                                     \
                    memcpy(&y, bj + p, sizeof y);                                                     \
                    acc += x * y;                                                                     \
                }                                                                                     \
                for (int l = 0; l < W; l++) sum += acc[l];                                            \
            }                                                                                         \
            for (; p < k; p++) sum += ai[p * aCol] * bj[p * bStep];                                   \
            crow[j] = beta == 0 ? alpha * sum : alpha * sum + beta * crow[j];                         \
        }                                                                                             \
    }

#define TG_DIRECT_ARGS(T)                                                                            \
    int transA, int transB, long m, long n, long k, T alpha, const T *a, long lda, const T *b,       \
        long ldb, T beta, T *c, long ldc

typedef double tg_v4d __attribute__((vector_size(32)));
typedef float tg_v8f __attribute__((vector_size(32)));

#pragma clang fp contract(off)
static void s_direct_portable(TG_DIRECT_ARGS(float)) { TG_DIRECT_BODY(float, tg_v8f) }
static void d_direct_portable(TG_DIRECT_ARGS(double)) { TG_DIRECT_BODY(double, tg_v4d) }
#pragma clang fp contract(on)

#if TG_X86
typedef float tg_v16f __attribute__((vector_size(64)));
typedef double tg_v8d __attribute__((vector_size(64)));

#pragma clang fp contract(fast)
TG_TARGET_AVX2 static void s_direct_avx2(TG_DIRECT_ARGS(float)) { TG_DIRECT_BODY(float, tg_v8f) }
TG_TARGET_AVX2 static void d_direct_avx2(TG_DIRECT_ARGS(double)) { TG_DIRECT_BODY(double, tg_v4d) }
TG_TARGET_AVX512 static void s_direct_avx512(TG_DIRECT_ARGS(float)) { TG_DIRECT_BODY(float, tg_v16f) }
TG_TARGET_AVX512 static void d_direct_avx512(TG_DIRECT_ARGS(double)) { TG_DIRECT_BODY(double, tg_v8d) }
#pragma clang fp contract(on)
#endif

void tg_sgemm_direct(tg_cpu_level level, TG_DIRECT_ARGS(float)) {
#if TG_X86
    if (level >= TG_CPU_AVX512) { s_direct_avx512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
    if (level == TG_CPU_AVX2) { s_direct_avx2(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
#endif
    (void)level;
    s_direct_portable(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void tg_dgemm_direct(tg_cpu_level level, TG_DIRECT_ARGS(double)) {
#if TG_X86
    if (level >= TG_CPU_AVX512) { d_direct_avx512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
    if (level == TG_CPU_AVX2) { d_direct_avx2(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
#endif
    (void)level;
    d_direct_portable(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
