// The AVX2 + FMA path: a hand-written 6×16 micro-kernel and peak probe, plus kernels_body.h
// compiled again with target("avx2,fma") so the vectoriser may use 8-wide registers and FMA.
// Nothing here runs unless ck_host_isa() found AVX2 and FMA (see context.c).
#include "ck_internal.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define CK_TARGET __attribute__((target("avx2,fma")))
#define CK_NAME(x) x##_avx2
#include "kernels_body.h"
#include "winograd_body.h"
#include "winograd_up_body.h"

// C[6×16] (=|+=) Σ_p a[p·6 + i] · B(p, j): 12 ymm accumulators, 2 B loads and 6 broadcasts per
// step of p; each accumulator lane is one output element summed over p in order. B(p, ·) is the
// packed strip b + 16·p, or, for the direct convolution (off ≠ NULL), b + off[p] read in place.
// Inlined into the two entry points below, so each gets its own loop with the test folded away.
CK_TARGET static inline __attribute__((always_inline)) void
ukr_6x16_core(ptrdiff_t kc, const float *restrict a, const float *restrict b, const ptrdiff_t *restrict off,
              float *restrict c, ptrdiff_t ldc, int flags, const float *restrict rs, int mr) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int i = 0; i < mr; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
#define CK_STEP(P)                                                                                 \
    do {                                                                                           \
        const float *bp = off ? b + off[(P)] : b + (P) * 16;                                       \
        const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);                      \
        __m256 av = _mm256_broadcast_ss(a + (P) * 6 + 0);                                          \
        c00 = _mm256_fmadd_ps(av, b0, c00);                                                        \
        c01 = _mm256_fmadd_ps(av, b1, c01);                                                        \
        av = _mm256_broadcast_ss(a + (P) * 6 + 1);                                                 \
        c10 = _mm256_fmadd_ps(av, b0, c10);                                                        \
        c11 = _mm256_fmadd_ps(av, b1, c11);                                                        \
        av = _mm256_broadcast_ss(a + (P) * 6 + 2);                                                 \
        c20 = _mm256_fmadd_ps(av, b0, c20);                                                        \
        c21 = _mm256_fmadd_ps(av, b1, c21);                                                        \
        av = _mm256_broadcast_ss(a + (P) * 6 + 3);                                                 \
        c30 = _mm256_fmadd_ps(av, b0, c30);                                                        \
        c31 = _mm256_fmadd_ps(av, b1, c31);                                                        \
        av = _mm256_broadcast_ss(a + (P) * 6 + 4);                                                 \
        c40 = _mm256_fmadd_ps(av, b0, c40);                                                        \
        c41 = _mm256_fmadd_ps(av, b1, c41);                                                        \
        av = _mm256_broadcast_ss(a + (P) * 6 + 5);                                                 \
        c50 = _mm256_fmadd_ps(av, b0, c50);                                                        \
        c51 = _mm256_fmadd_ps(av, b1, c51);                                                        \
    } while (0)
    ptrdiff_t p = 0;
    for (; p + 4 <= kc; p += 4) {
        if (!off) _mm_prefetch((const char *)(b + 16 * 16), _MM_HINT_T0);
        CK_STEP(0);
        CK_STEP(1);
        CK_STEP(2);
        CK_STEP(3);
        a += 4 * 6;
        if (off) off += 4;
        else b += 4 * 16;
    }
    for (; p < kc; p++) {
        CK_STEP(0);
        a += 6;
        if (off) off += 1;
        else b += 16;
    }
#undef CK_STEP
    // The store of the first mr rows: exactly the arithmetic of the edge-tile merge in gemm.c
    // (C + acc, then · rs[i]).
#define CK_STORE(I, V0, V1)                                                                        \
    do {                                                                                           \
        if ((I) >= mr) break;                                                                      \
        float *cr = c + (I) * ldc;                                                                 \
        __m256 v0 = V0, v1 = V1;                                                                   \
        if (flags & CK_UKR_ACC) {                                                                  \
            v0 = _mm256_add_ps(_mm256_loadu_ps(cr), v0);                                           \
            v1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), v1);                                       \
        }                                                                                          \
        if (flags & CK_UKR_SCALE) {                                                                \
            const __m256 s = _mm256_set1_ps(rs[I]);                                                \
            v0 = _mm256_mul_ps(v0, s);                                                             \
            v1 = _mm256_mul_ps(v1, s);                                                             \
        }                                                                                          \
        _mm256_storeu_ps(cr, v0);                                                                  \
        _mm256_storeu_ps(cr + 8, v1);                                                              \
    } while (0)
    CK_STORE(0, c00, c01);
    CK_STORE(1, c10, c11);
    CK_STORE(2, c20, c21);
    CK_STORE(3, c30, c31);
    CK_STORE(4, c40, c41);
    CK_STORE(5, c50, c51);
#undef CK_STORE
}

CK_TARGET static void ukr_6x16_avx2(ptrdiff_t kc, const float *restrict a, const float *restrict b, float *restrict c,
                                    ptrdiff_t ldc, int flags, const float *restrict rs, int mr) {
    ukr_6x16_core(kc, a, b, NULL, c, ldc, flags, rs, mr);
}

CK_TARGET static void ukr_direct_6x16_avx2(ptrdiff_t kc, const float *restrict a, const float *restrict bb,
                                           const ptrdiff_t *restrict off, float *restrict c, ptrdiff_t ldc, int flags,
                                           const float *restrict rs, int mr) {
    ukr_6x16_core(kc, a, bb, off, c, ldc, flags, rs, mr);
}

// 12 independent FMA chains on 8-wide registers (more than latency × throughput = 4 × 2).
CK_TARGET static double fma_probe_avx2(long iterations) {
    __m256 acc[12];
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps(0.001f * (float)i);
    const __m256 m = _mm256_set1_ps(0.9999999f), add = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; it++) {
        acc[0] = _mm256_fmadd_ps(acc[0], m, add);
        acc[1] = _mm256_fmadd_ps(acc[1], m, add);
        acc[2] = _mm256_fmadd_ps(acc[2], m, add);
        acc[3] = _mm256_fmadd_ps(acc[3], m, add);
        acc[4] = _mm256_fmadd_ps(acc[4], m, add);
        acc[5] = _mm256_fmadd_ps(acc[5], m, add);
        acc[6] = _mm256_fmadd_ps(acc[6], m, add);
        acc[7] = _mm256_fmadd_ps(acc[7], m, add);
        acc[8] = _mm256_fmadd_ps(acc[8], m, add);
        acc[9] = _mm256_fmadd_ps(acc[9], m, add);
        acc[10] = _mm256_fmadd_ps(acc[10], m, add);
        acc[11] = _mm256_fmadd_ps(acc[11], m, add);
    }
    __m256 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    volatile float sink = out[0];
    (void)sink;
    return (double)iterations * 12 * 8 * 2;
}

const ck_ops ck_ops_avx2 = {
    .ukr = ukr_6x16_avx2,
    .ukr_direct = ukr_direct_6x16_avx2,
    .pad_row = pad_row_avx2,
    .pack_a = pack_a_avx2,
    .pack_b = pack_b_avx2,
    .col2im = col2im_avx2,
    .fir_plane = fir_plane_avx2,
    .fir_hpass = fir_hpass_avx2,
    .fir_vpass = fir_vpass_avx2,
    .epilogue_plane = epilogue_plane_avx2,
    .fma_probe = fma_probe_avx2,
    .wino_input = wino_input_avx2,
    .wino_output = wino_output_avx2,
    .wup_input = wup_input_avx2,
    .wup_output = wup_output_avx2,
};
#endif
