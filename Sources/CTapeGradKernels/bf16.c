// Float ↔ bfloat16 conversion (see CTapeGradKernels.h).
//
// bfloat16 is the upper 16 bits of an IEEE float: the same sign and 8-bit exponent, 7 stored
// fraction bits. Rounding to nearest, ties to even, is an integer addition on the float's bits:
// add 0x7FFF plus the lowest kept bit, then drop the low 16 bits. That is exact for normal and
// subnormal numbers alike (a carry out of the fraction increments the exponent, which is the
// correctly rounded result, up to infinity for the largest floats); infinities stay infinite.
// NaNs would be carried into the exponent or turned into infinities by that addition, so they
// are truncated instead and made quiet (fraction bit 6 set), keeping the sign.
//
// Written as a plain loop on 16-lane vectors and compiled per level like sparse.c; the
// conversion is a streaming pass, so no level-specific instruction (vcvtneps2bf16, which also
// flushes subnormal inputs to zero) is needed.

#include "CTapeGradKernels.h"

#include <string.h>

typedef uint32_t v16u __attribute__((vector_size(64)));
typedef uint16_t v16h __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) uint16_t round_one(uint32_t u) {
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static inline __attribute__((always_inline)) void convert(const float *src, tg_bf16 *dst, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16u u;
        memcpy(&u, src + i, sizeof u);
        v16u rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
        v16u quiet = (u >> 16) | 0x0040u;
        v16u nan = (v16u)((u & 0x7FFFFFFFu) > 0x7F800000u);  // all ones where NaN
        v16u r = (quiet & nan) | (rounded & ~nan);
        v16h h = __builtin_convertvector(r, v16h);
        memcpy(dst + i, &h, sizeof h);
    }
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, src + i, sizeof u);
        dst[i] = round_one(u);
    }
}

static void convert_portable(const float *src, tg_bf16 *dst, ptrdiff_t n) { convert(src, dst, n); }
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void convert_avx2(const float *src, tg_bf16 *dst, ptrdiff_t n) {
    convert(src, dst, n);
}
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
static void convert_avx512(const float *src, tg_bf16 *dst, ptrdiff_t n) {
    convert(src, dst, n);
}
#endif

void tg_f32_to_bf16_at(tg_cpu_level level, const float *src, tg_bf16 *dst, ptrdiff_t n) {
    tg_cpu_level hardware = tg_cpu_level_detect();
    if (level > hardware) level = hardware;
#if defined(__x86_64__)
    switch (level) {
    case TG_CPU_AVX512: case TG_CPU_AVX512_BF16: convert_avx512(src, dst, n); return;
    case TG_CPU_AVX2: convert_avx2(src, dst, n); return;
    default: break;
    }
#endif
    convert_portable(src, dst, n);
}

void tg_f32_to_bf16(const float *src, tg_bf16 *dst, ptrdiff_t n) {
    tg_f32_to_bf16_at(tg_cpu_level_get(), src, dst, n);
}

void tg_bf16_to_f32(const tg_bf16 *src, float *dst, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)src[i] << 16;
        memcpy(dst + i, &u, sizeof u);
    }
}
