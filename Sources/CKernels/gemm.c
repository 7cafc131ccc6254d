// The blocked SGEMM driver, the packed-operand formats and the work split over threads.
#include "ck_internal.h"

#include <string.h>

int ck_gemm_mr(void) { return CK_MR; }
int ck_gemm_nr(void) { return CK_NR; }

// Packed A (all of it, as the driver reads it): for each K block [pc, pc + kc) in turn, the
// micro-panels of CK_MR rows over the padded height: A(i, p) at
//   mpad·pc + (i / MR)·MR·kc + (p − pc)·MR + i % MR.
// Packed B likewise with strips of CK_NR columns: B(p, j) at npad·pc + (j / NR)·NR·kc + (p − pc)·NR + j % NR.
size_t ck_packed_a_count(ptrdiff_t m, ptrdiff_t k) { return (size_t)(ck_round_up(m, CK_MR) * k); }
size_t ck_packed_b_count(ptrdiff_t k, ptrdiff_t n) { return (size_t)(ck_round_up(n, CK_NR) * k); }

void ck_pack_a(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, float gain, float *dst) {
    const ptrdiff_t mpad = ck_round_up(m, CK_MR), kcb = ck_kc_block(k);
    for (ptrdiff_t pc = 0; pc < k; pc += kcb) {
        const ptrdiff_t kc = ck_min(kcb, k - pc);
        for (ptrdiff_t i0 = 0; i0 < mpad; i0 += CK_MR) {
            float *d = dst + mpad * pc + i0 * kc;
            for (ptrdiff_t p = 0; p < kc; p++)
                for (int i = 0; i < CK_MR; i++)
                    d[p * CK_MR + i] = i0 + i < m ? a[(i0 + i) * lda + pc + p] * gain : 0.0f;
        }
    }
}

void ck_pack_b(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t ldb, int transposed, float gain, float *dst) {
    const ptrdiff_t npad = ck_round_up(n, CK_NR), kcb = ck_kc_block(k);
    for (ptrdiff_t pc = 0; pc < k; pc += kcb) {
        const ptrdiff_t kc = ck_min(kcb, k - pc);
        for (ptrdiff_t j0 = 0; j0 < npad; j0 += CK_NR) {
            float *d = dst + npad * pc + j0 * kc;
            for (ptrdiff_t p = 0; p < kc; p++)
                for (int j = 0; j < CK_NR; j++) {
                    const ptrdiff_t jj = j0 + j, pp = pc + p;
                    d[p * CK_NR + j] = jj < n ? (transposed ? b[jj * ldb + pp] : b[pp * ldb + jj]) * gain : 0.0f;
                }
        }
    }
}

void ck_gemm_rect(struct ck_context *ctx, int worker, const ck_gemm_problem *p, ptrdiff_t m0, ptrdiff_t m1,
                  ptrdiff_t n0, ptrdiff_t n1, float *c, ptrdiff_t ldc) {
    if (m1 <= m0 || n1 <= n0) return;
    const ck_ops *ops = ck_context_ops(ctx);
    const ptrdiff_t K = p->k, kcb = ck_kc_block(K);
    if (K == 0) {
        for (ptrdiff_t i = m0; i < m1; i++) {
            float *cr = c + (i - m0) * ldc;
            const float s = p->row_scale ? p->row_scale[i / p->row_scale_div] : 1.0f;
            for (ptrdiff_t j = 0; j < n1 - n0; j++) {
                float v = p->accumulate ? cr[j] : 0.0f;
                if (p->row_scale) v = v * s;
                cr[j] = v;
            }
        }
        return;
    }
    const ptrdiff_t mpad = ck_round_up(p->m, CK_MR), npad = ck_round_up(p->n, CK_NR);
    float *bbuf = p->b_kind == CK_B_PACKED ? NULL : ck_scratch_get(ctx, worker, CK_SLOT_PACK_B, CK_PACK_B_FLOATS);
    float *abuf = p->a_packed ? NULL : ck_scratch_get(ctx, worker, CK_SLOT_PACK_A, CK_PACK_A_FLOATS);
    float tile[CK_MR * CK_NR] __attribute__((aligned(64)));
    float rs[CK_MR];
    for (ptrdiff_t jc = n0; jc < n1; jc += CK_NC) {
        const ptrdiff_t nc = ck_min(CK_NC, n1 - jc);
        for (ptrdiff_t pc = 0; pc < K; pc += kcb) {
            const ptrdiff_t kc = ck_min(kcb, K - pc);
            const int first = pc == 0, last = pc + kc >= K;
            const float *bp;
            if (p->b_kind == CK_B_PACKED) {
                bp = p->b + npad * pc + jc * kc; // jc is a multiple of CK_NR (see ck_gemm_split)
            } else {
                ops->pack_b(p, pc, kc, jc, nc, bbuf);
                bp = bbuf;
            }
            int flags = (first && !p->accumulate) ? 0 : CK_UKR_ACC;
            if (last && p->row_scale) flags |= CK_UKR_SCALE;
            for (ptrdiff_t ic = m0; ic < m1; ic += CK_MC) {
                const ptrdiff_t mc = ck_min(CK_MC, m1 - ic);
                const float *ap;
                if (p->a_packed) {
                    ap = p->a + mpad * pc + ic * kc; // ic is a multiple of CK_MR
                } else {
                    ops->pack_a(p, ic, mc, pc, kc, abuf);
                    ap = abuf;
                }
                for (ptrdiff_t jr = 0; jr < nc; jr += CK_NR) {
                    const ptrdiff_t nr = ck_min(CK_NR, nc - jr);
                    const float *bs = bp + jr * kc;
                    for (ptrdiff_t ir = 0; ir < mc; ir += CK_MR) {
                        const ptrdiff_t mr = ck_min(CK_MR, mc - ir);
                        const float *as = ap + ir * kc;
                        float *cp = c + (ic + ir - m0) * ldc + (jc + jr - n0);
                        if (flags & CK_UKR_SCALE)
                            for (ptrdiff_t i = 0; i < mr; i++) rs[i] = p->row_scale[(ic + ir + i) / p->row_scale_div];
                        if (nr == CK_NR) {
                            ops->ukr(kc, as, bs, cp, ldc, flags, rs, (int)mr);
                        } else {
                            // Edge tile: the same micro-kernel into a buffer, then the same store
                            // arithmetic, so an element's value does not depend on the tiling.
                            ops->ukr(kc, as, bs, tile, CK_NR, 0, NULL, CK_MR);
                            for (ptrdiff_t i = 0; i < mr; i++)
                                for (ptrdiff_t j = 0; j < nr; j++) {
                                    float v = tile[i * CK_NR + j];
                                    if (flags & CK_UKR_ACC) v = cp[i * ldc + j] + v;
                                    if (flags & CK_UKR_SCALE) v = v * rs[i];
                                    cp[i * ldc + j] = v;
                                }
                        }
                    }
                }
            }
        }
    }
}

void ck_gemm_packed_rect(struct ck_context *ctx, int worker, const float *a, const float *b, ptrdiff_t m, ptrdiff_t n,
                         ptrdiff_t k, ptrdiff_t m0, ptrdiff_t m1, float *c, ptrdiff_t ldc) {
    ck_gemm_problem p;
    memset(&p, 0, sizeof p);
    p.m = m;
    p.n = n;
    p.k = k;
    p.a = a;
    p.a_packed = 1;
    p.b_kind = CK_B_PACKED;
    p.b = b;
    p.row_scale_div = 1;
    ck_gemm_rect(ctx, worker, &p, m0, m1, 0, n, c, ldc);
}

void ck_gemm_reserve(struct ck_context *ctx) {
    ck_scratch_reserve(ctx, CK_SLOT_PACK_A, CK_PACK_A_FLOATS);
    ck_scratch_reserve(ctx, CK_SLOT_PACK_B, CK_PACK_B_FLOATS);
}

void ck_piece(ptrdiff_t total, ptrdiff_t unit, int parts, int i, ptrdiff_t *lo, ptrdiff_t *hi) {
    const ptrdiff_t units = (total + unit - 1) / unit;
    *lo = ck_min(units * i / parts * unit, total);
    *hi = ck_min(units * (i + 1) / parts * unit, total);
}

int ck_parts(int threads, double flops) {
    if (threads <= 1 || flops < 1e6) return 1;
    // Large products get a few pieces per thread, taken dynamically: when another process holds a
    // core for a while, the other threads take the remaining pieces. Pieces never change results.
    return threads * (flops >= 4e8 ? 4 : flops >= 1e8 ? 2 : 1);
}

// Splits only over M and N (never over K: each element's reduction stays in one piece, in the
// fixed K-block order). Pieces are whole micro-tiles. Among the factorisations tm × tn of the
// piece count, it minimises a rough per-piece time: micro-kernel work (16 multiply-adds per cycle)
// plus the packing each piece repeats: a piece packs B for its own columns (all of them when
// splitting M) and A for its own rows once per NC columns. So tall-skinny products (few rows, many
// pixels) split columns, and wide-K, few-column ones split rows.
void ck_gemm_split(int threads, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, int a_cheap, int b_cheap, int *tm, int *tn) {
    *tm = 1;
    *tn = 1;
    // A product of few rows (a dense layer at batch 1) is bound by reading its big operand, not
    // by arithmetic: its size counts as work too, so both threads stream half of it.
    const double flops = 2.0 * (double)m * (double)n * (double)k, operands = 16.0 * (double)k * (double)ck_max(m, n);
    const int parts = ck_parts(threads, flops > operands ? flops : operands);
    const ptrdiff_t mu = (m + CK_MR - 1) / CK_MR, nu = (n + CK_NR - 1) / CK_NR;
    for (int t = parts; t > 1; t--) {
        double best = -1;
        for (int a = 1; a <= t; a++) {
            if (t % a != 0) continue;
            const int b = t / a;
            if (a > mu || b > nu) continue;
            const double mp = (double)((mu + a - 1) / a * CK_MR), np = (double)((nu + b - 1) / b * CK_NR);
            double cost = mp * np * (double)k / 16.0;
            if (!b_cheap) cost += np * (double)k * 0.5;
            if (!a_cheap) cost += mp * (double)k * 0.5 * (double)((ptrdiff_t)np + CK_NC - 1) / CK_NC;
            if (best < 0 || cost < best * 0.999) {
                best = cost;
                *tm = a;
                *tn = b;
            }
        }
        if (best >= 0) return;
    }
}

typedef struct sgemm_job {
    struct ck_context *ctx;
    ck_gemm_problem p;
    float *c;
    ptrdiff_t ldc;
    int tm, tn;
} sgemm_job;

static void sgemm_task(void *arg, int task, int worker) {
    sgemm_job *j = arg;
    ptrdiff_t m0, m1, n0, n1;
    ck_piece(j->p.m, CK_MR, j->tm, task / j->tn, &m0, &m1);
    ck_piece(j->p.n, CK_NR, j->tn, task % j->tn, &n0, &n1);
    ck_gemm_rect(j->ctx, worker, &j->p, m0, m1, n0, n1, j->c + m0 * j->ldc + n0, j->ldc);
}

void ck_sgemm(ck_context *ctx, const ck_gemm_args *a) {
    if (a->m <= 0 || a->n <= 0) return;
    sgemm_job j;
    memset(&j, 0, sizeof j);
    j.ctx = ctx;
    j.p.m = a->m;
    j.p.n = a->n;
    j.p.k = a->k;
    j.p.a = a->a;
    j.p.lda = a->lda;
    j.p.a_packed = a->a_packed;
    j.p.b = a->b;
    j.p.ldb = a->ldb;
    j.p.b_kind = a->b_packed ? CK_B_PACKED : CK_B_ROWMAJOR;
    j.p.accumulate = a->accumulate;
    j.p.row_scale = a->row_scale;
    j.p.row_scale_div = a->row_scale_div > 0 ? a->row_scale_div : 1;
    j.c = a->c;
    j.ldc = a->ldc;
    ck_gemm_split(ck_context_threads(ctx), a->m, a->n, a->k, a->a_packed, a->b_packed, &j.tm, &j.tn);
    ck_gemm_reserve(ctx);
    ck_parallel(ctx, j.tm * j.tn, sgemm_task, &j);
}
