// CPU feature detection for the run-time kernel dispatch (see CTapeGradKernels.h).
#include "CTapeGradKernels.h"

#include <stdlib.h>
#include <string.h>

tg_cpu_level tg_cpu_level_detect(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
        if (__builtin_cpu_supports("avx512bf16")) return TG_CPU_AVX512_BF16;
        return TG_CPU_AVX512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return TG_CPU_AVX2;
#endif
    return TG_CPU_PORTABLE;
}

static tg_cpu_level clamp(tg_cpu_level level) {
    tg_cpu_level hardware = tg_cpu_level_detect();
    return level > hardware ? hardware : level;
}

static int parse(const char *name, tg_cpu_level *level) {
    static const struct { const char *name; tg_cpu_level level; } names[] = {
        {"portable", TG_CPU_PORTABLE}, {"generic", TG_CPU_PORTABLE}, {"avx2", TG_CPU_AVX2},
        {"avx512", TG_CPU_AVX512}, {"avx512bf16", TG_CPU_AVX512_BF16},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) { *level = names[i].level; return 1; }
    }
    return 0;
}

// -1: not yet detected. Races are benign: every thread computes the same value.
static volatile int current = -1;

tg_cpu_level tg_cpu_level_get(void) {
    int level = current;
    if (level >= 0) return (tg_cpu_level)level;
    tg_cpu_level detected = tg_cpu_level_detect();
    const char *override = getenv("TAPEGRAD_CPU");
    tg_cpu_level requested;
    if (override && parse(override, &requested)) detected = clamp(requested);
    current = (int)detected;
    return detected;
}

tg_cpu_level tg_cpu_level_set(tg_cpu_level level) {
    tg_cpu_level effective = clamp(level);
    current = (int)effective;
    return effective;
}

const char *tg_cpu_level_name(tg_cpu_level level) {
    switch (level) {
    case TG_CPU_PORTABLE: return "portable";
    case TG_CPU_AVX2: return "avx2";
    case TG_CPU_AVX512: return "avx512";
    case TG_CPU_AVX512_BF16: return "avx512bf16";
    }
    return "unknown";
}
