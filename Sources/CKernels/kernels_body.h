// The loops compiled once per instruction-set path. Included by ops_portable.c (CK_TARGET empty)
// and ops_avx2.c (CK_TARGET = __attribute__((target("avx2,fma")))); CK_NAME(x) gives each copy
// its own names. Written as plain C for the auto-vectoriser: contiguous inner loops, no aliasing.
//
// Rounding: `acc += a * b` may become one FMA where the path has FMA (AVX2, NEON) and a multiply
// plus an add on SSE2; the reduction order is the same on every path.

#ifndef CK_TARGET
#error "define CK_TARGET and CK_NAME before including kernels_body.h"
#endif

// ---------------------------------------------------------------------------------------------
// Portable micro-kernel: the same 6×16 tile as the AVX2 one, computed in two halves of 3 rows so
// the accumulators fit in 16 SSE registers (12 × 4 floats); every element still sums over p in
// order, so the tile split changes nothing numerically. Stores the first mr rows (flags: see
// CK_UKR_ACC, CK_UKR_SCALE).
// ---------------------------------------------------------------------------------------------
CK_TARGET __attribute__((unused)) static void CK_NAME(ukr_generic)(ptrdiff_t kc, const float *restrict a,
                                                                   const float *restrict b, float *restrict c,
                                                                   ptrdiff_t ldc, int flags, const float *restrict rs,
                                                                   int mr) {
    for (int half = 0; half < CK_MR; half += 3) {
        float acc[3][CK_NR];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < CK_NR; j++) acc[i][j] = 0.0f;
        const float *ap = a + half, *bp = b;
        for (ptrdiff_t p = 0; p < kc; p++) {
            for (int i = 0; i < 3; i++) {
                const float ai = ap[i];
                for (int j = 0; j < CK_NR; j++) acc[i][j] += ai * bp[j];
            }
            ap += CK_MR;
            bp += CK_NR;
        }
        for (int i = 0; i < 3 && half + i < mr; i++) {
            float *cr = c + (half + i) * ldc;
            for (int j = 0; j < CK_NR; j++) {
                float v = acc[i][j];
                if (flags & CK_UKR_ACC) v = cr[j] + v;
                if (flags & CK_UKR_SCALE) v = v * rs[half + i];
                cr[j] = v;
            }
        }
    }
}

// The same tile with B read in place: B(p, j) = bb[off[p] + j]. Used by the direct convolution,
// where B's rows are shifted windows of a padded input band (no packing at all).
CK_TARGET __attribute__((unused)) static void CK_NAME(ukr_direct_generic)(ptrdiff_t kc, const float *restrict a,
                                                                          const float *restrict bb,
                                                                          const ptrdiff_t *restrict off, float *restrict c,
                                                                          ptrdiff_t ldc, int flags, const float *restrict rs,
                                                                          int mr) {
    for (int half = 0; half < CK_MR; half += 3) {
        float acc[3][CK_NR];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < CK_NR; j++) acc[i][j] = 0.0f;
        const float *ap = a + half;
        for (ptrdiff_t p = 0; p < kc; p++) {
            const float *bp = bb + off[p];
            for (int i = 0; i < 3; i++) {
                const float ai = ap[i];
                for (int j = 0; j < CK_NR; j++) acc[i][j] += ai * bp[j];
            }
            ap += CK_MR;
        }
        for (int i = 0; i < 3 && half + i < mr; i++) {
            float *cr = c + (half + i) * ldc;
            for (int j = 0; j < CK_NR; j++) {
                float v = acc[i][j];
                if (flags & CK_UKR_ACC) v = cr[j] + v;
                if (flags & CK_UKR_SCALE) v = v * rs[half + i];
                cr[j] = v;
            }
        }
    }
}

// One row of a padded input band: dst[0, pad) = 0, dst[pad + x] = src[x]·scale, then zeros up
// to `wp` (src NULL: the whole row is zero, a row above or below the image).
CK_TARGET static void CK_NAME(pad_row)(const float *restrict src, ptrdiff_t w, float scale, int pad, ptrdiff_t wp,
                                       float *restrict dst) {
    if (!src) {
        for (ptrdiff_t t = 0; t < wp; t++) dst[t] = 0.0f;
        return;
    }
    for (int t = 0; t < pad; t++) dst[t] = 0.0f;
    for (ptrdiff_t x = 0; x < w; x++) dst[pad + x] = src[x] * scale;
    for (ptrdiff_t t = pad + w; t < wp; t++) dst[t] = 0.0f;
}

// ---------------------------------------------------------------------------------------------
// Packing. A block rows [ic, ic + mc) × depth [pc, pc + kc) → micro-panels of CK_MR rows:
// dst[(ir / MR)·MR·kc + p·MR + i]. B block depth × columns [jc, jc + nc) → strips of CK_NR
// columns: dst[(jr / NR)·NR·kc + p·NR + j]. Rows/columns past the edge are zero.
// ---------------------------------------------------------------------------------------------
CK_TARGET static void CK_NAME(pack_a)(const ck_gemm_problem *pr, ptrdiff_t ic, ptrdiff_t mc, ptrdiff_t pc,
                                      ptrdiff_t kc, float *restrict dst) {
    const ptrdiff_t lda = pr->lda;
    for (ptrdiff_t ir = 0; ir < mc; ir += CK_MR) {
        const ptrdiff_t mr = ck_min(CK_MR, pr->m - (ic + ir));
        float *restrict d = dst + ir * kc;
        const float *src = pr->a + (ic + ir) * lda + pc;
        if (mr == CK_MR) {
            for (ptrdiff_t p = 0; p < kc; p++)
                for (int i = 0; i < CK_MR; i++) d[p * CK_MR + i] = src[i * lda + p];
        } else {
            for (ptrdiff_t p = 0; p < kc; p++)
                for (int i = 0; i < CK_MR; i++) d[p * CK_MR + i] = i < mr ? src[i * lda + p] : 0.0f;
        }
    }
}

CK_TARGET static void CK_NAME(pack_b_rowmajor)(const ck_gemm_problem *pr, ptrdiff_t pc, ptrdiff_t kc, ptrdiff_t jc,
                                               ptrdiff_t nc, float *restrict dst) {
    // Row by row (contiguous reads along B's rows), scattering 16-float pieces to the strips.
    const ptrdiff_t ldb = pr->ldb, full = ck_min(nc, pr->n - jc) / CK_NR * CK_NR;
    for (ptrdiff_t p = 0; p < kc; p++) {
        const float *src = pr->b + (pc + p) * ldb + jc;
        const float sc = pr->b_row_scale ? pr->b_row_scale[pc + p] * pr->b_row_scale_gain : 1.0f;
        float *restrict d = dst + p * CK_NR;
        for (ptrdiff_t s = 0; s < full; s += CK_NR) {
            float *restrict dr = d + s * kc;
            for (int j = 0; j < CK_NR; j++) dr[j] = src[s + j] * sc;
        }
        if (full < nc) {
            const ptrdiff_t nr = ck_min(CK_NR, pr->n - (jc + full));
            float *restrict dr = d + full * kc;
            for (int j = 0; j < CK_NR; j++) dr[j] = j < nr ? src[full + j] * sc : 0.0f;
        }
    }
}

// Implicit im2col: B(p, j) = x[i, row0 + oy + ky − pad, ox + kx − pad] (0 outside) · scale[i],
// with p = (i·k + ky)·k + kx and j = oy·ow + ox (output rows from row0). A strip of 16 columns inside one output row reads 16
// consecutive input pixels; strips that wrap rows (narrow maps) take the per-element path.
CK_TARGET static void CK_NAME(pack_b_im2col)(const ck_gemm_problem *pr, ptrdiff_t pc, ptrdiff_t kc, ptrdiff_t jc,
                                             ptrdiff_t nc, float *restrict dst) {
    const ptrdiff_t H = pr->im_h, W = pr->im_w, ow = pr->im_ow, row0 = pr->im_row0;
    const int k = pr->im_k, pad = pr->im_pad, kk = k * k;
    const float *x = pr->b;
    for (ptrdiff_t s = 0; s < nc; s += CK_NR) {
        const ptrdiff_t j0 = jc + s, nr = ck_min(CK_NR, pr->n - j0);
        float *restrict d = dst + s * kc;
        const ptrdiff_t oy0 = row0 + j0 / ow, ox0 = j0 % ow;
        const int one_row = nr == CK_NR && ox0 + CK_NR <= ow;
        ptrdiff_t coy[CK_NR], cox[CK_NR];
        for (int j = 0; j < CK_NR; j++) {
            coy[j] = row0 + (j0 + j) / ow;
            cox[j] = (j0 + j) % ow;
        }
        ptrdiff_t i = pc / kk;
        int r = (int)(pc % kk), ky = r / k, kx = r % k;
        float sc = pr->b_row_scale ? pr->b_row_scale[i] * pr->b_row_scale_gain : 1.0f;
        for (ptrdiff_t p = 0; p < kc; p++) {
            float *restrict dr = d + p * CK_NR;
            const float *xc = x + i * H * W;
            if (one_row) {
                const ptrdiff_t iy = oy0 + ky - pad, ix0 = ox0 + kx - pad;
                if (iy < 0 || iy >= H) {
                    for (int j = 0; j < CK_NR; j++) dr[j] = 0.0f;
                } else if (ix0 >= 0 && ix0 + CK_NR <= W) {
                    const float *src = xc + iy * W + ix0;
                    for (int j = 0; j < CK_NR; j++) dr[j] = src[j] * sc;
                } else {
                    const float *row = xc + iy * W;
                    for (int j = 0; j < CK_NR; j++) {
                        const ptrdiff_t ix = ix0 + j;
                        dr[j] = (ix >= 0 && ix < W) ? row[ix] * sc : 0.0f;
                    }
                }
            } else {
                for (int j = 0; j < CK_NR; j++) {
                    const ptrdiff_t iy = coy[j] + ky - pad, ix = cox[j] + kx - pad;
                    dr[j] = (j < nr && iy >= 0 && iy < H && ix >= 0 && ix < W) ? xc[iy * W + ix] * sc : 0.0f;
                }
            }
            if (++kx == k) {
                kx = 0;
                if (++ky == k) {
                    ky = 0;
                    i++;
                    if (pr->b_row_scale && p + 1 < kc) sc = pr->b_row_scale[i] * pr->b_row_scale_gain;
                }
            }
        }
    }
}

CK_TARGET static void CK_NAME(pack_b)(const ck_gemm_problem *pr, ptrdiff_t pc, ptrdiff_t kc, ptrdiff_t jc,
                                      ptrdiff_t nc, float *restrict dst) {
    if (pr->b_kind == CK_B_IM2COL)
        CK_NAME(pack_b_im2col)(pr, pc, kc, jc, nc, dst);
    else
        CK_NAME(pack_b_rowmajor)(pr, pc, kc, jc, nc, dst);
}

// ---------------------------------------------------------------------------------------------
// col2im for the stride-2 transposed convolution, one output channel: the GEMM rows (ky, kx) of
// this channel hold, for input pixels of rows [iy0, iy0 + rows), the products to scatter to
// y[2·iy + ky, 2·ix + kx]. Every output element receives its contributions in the order
// (iy ascending, kx ascending) whatever the chunking, so results do not depend on it.
// ---------------------------------------------------------------------------------------------
CK_TARGET static void CK_NAME(col2im)(const float *restrict cols, ptrdiff_t ldcols, float *restrict yplane,
                                      ptrdiff_t ow, ptrdiff_t iy0, ptrdiff_t rows, ptrdiff_t w, int k) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const ptrdiff_t iy = iy0 + r;
        for (int ky = 0; ky < k; ky++) {
            float *restrict yr = yplane + (2 * iy + ky) * ow;
            const float *cr = cols + (ptrdiff_t)(ky * k) * ldcols + r * w;
            if (k == 3) {
                const float *restrict c0 = cr, *restrict c1 = cr + ldcols, *restrict c2 = cr + 2 * ldcols;
                yr[0] = yr[0] + c0[0];
                yr[1] = yr[1] + c1[0];
                for (ptrdiff_t ix = 1; ix < w; ix++) {
                    yr[2 * ix] = (yr[2 * ix] + c0[ix]) + c2[ix - 1];
                    yr[2 * ix + 1] = yr[2 * ix + 1] + c1[ix];
                }
                yr[2 * w] = yr[2 * w] + c2[w - 1];
            } else {
                for (int kx = 0; kx < k; kx++) {
                    const float *restrict c = cr + kx * ldcols;
                    for (ptrdiff_t ix = 0; ix < w; ix++) yr[2 * ix + kx] = yr[2 * ix + kx] + c[ix];
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// upfirdn2d on one plane. The padded, zero-stuffed input row s (length uw) is built explicitly;
// then out[ox] = Σ_f s[ox·down + f]·taps[f] (taps already flipped and gain-scaled, f ascending).
// Separable: horizontal passes of the real input rows into a ring of k rows (each row filtered
// once, when an output row first needs it), then a vertical pass over the rows the zero-stuffing
// leaves non-zero. Everything a row needs stays in L1/L2.
// ---------------------------------------------------------------------------------------------
CK_TARGET static void CK_NAME(fir_stuff_row)(const float *restrict x, ptrdiff_t w, int up, int x0, ptrdiff_t uw,
                                             float *restrict s) {
    // Input pixels ix with 0 ≤ ix·up + x0 < uw (negative padding crops).
    ptrdiff_t lo = x0 >= 0 ? 0 : (-x0 + up - 1) / up;
    ptrdiff_t hi = uw - 1 - x0 < 0 ? 0 : (uw - 1 - x0) / up + 1;
    if (hi > w) hi = w;
    if (up == 1) {
        const ptrdiff_t first = lo < hi ? lo + x0 : uw, last = lo < hi ? hi + x0 : uw;
        for (ptrdiff_t t = 0; t < first; t++) s[t] = 0.0f;
        for (ptrdiff_t ix = lo; ix < hi; ix++) s[ix + x0] = x[ix];
        for (ptrdiff_t t = last; t < uw; t++) s[t] = 0.0f;
    } else {
        for (ptrdiff_t t = 0; t < uw; t++) s[t] = 0.0f;
        for (ptrdiff_t ix = lo; ix < hi; ix++) s[ix * up + x0] = x[ix];
    }
}

// dst[ox] (+)= Σ_f s[ox·down + f]·taps[f], f ascending, starting from 0.
CK_TARGET static void CK_NAME(fir_row)(const float *restrict s, const float *restrict taps, int k, int down,
                                       ptrdiff_t ow, float *restrict dst) {
    for (ptrdiff_t ox = 0; ox < ow; ox++) dst[ox] = 0.0f;
    for (int f = 0; f < k; f++) {
        const float tap = taps[f];
        if (down == 1) {
            const float *restrict sf = s + f;
            for (ptrdiff_t ox = 0; ox < ow; ox++) dst[ox] += sf[ox] * tap;
        } else {
            for (ptrdiff_t ox = 0; ox < ow; ox++) dst[ox] += s[ox * down + f] * tap;
        }
    }
}

// The separable FIR (up = down = 1) one row at a time, for the fused transposed convolution +
// FIR: the same arithmetic as fir_plane's separable path. Horizontal pass of one row of a->w
// floats, in place (the result, a->w + pad_x0 + pad_x1 − taps + 1 floats, is no longer);
// work: round_up(uw, 16) floats.
CK_TARGET static void CK_NAME(fir_hpass)(const ck_fir_args *a, float *row, float *work) {
    const ptrdiff_t uw = a->w + a->pad_x0 + a->pad_x1, ow = uw - a->taps + 1;
    CK_NAME(fir_stuff_row)(row, a->w, 1, a->pad_x0, uw, work);
    CK_NAME(fir_row)(work, a->h_taps, a->taps, 1, ow, row);
}

// Vertical pass of one output row from the horizontal passes t[f] of its taps' rows (NULL:
// outside the image), f ascending.
CK_TARGET static void CK_NAME(fir_vpass)(const ck_fir_args *a, const float *const *t, float *restrict y) {
    const ptrdiff_t ow = a->w + a->pad_x0 + a->pad_x1 - a->taps + 1;
    for (ptrdiff_t ox = 0; ox < ow; ox++) y[ox] = 0.0f;
    for (int f = 0; f < a->taps; f++) {
        if (!t[f]) continue;
        const float *restrict tf = t[f], tap = a->v_taps[f];
        for (ptrdiff_t ox = 0; ox < ow; ox++) y[ox] += tf[ox] * tap;
    }
}

CK_TARGET static void CK_NAME(fir_plane)(const ck_fir_args *a, const float *restrict x, float *restrict y,
                                         float *restrict work) {
    const ptrdiff_t h = a->h, w = a->w;
    const int up = a->up, down = a->down, k = a->taps;
    const ptrdiff_t uw = w * up + a->pad_x0 + a->pad_x1, uh = h * up + a->pad_y0 + a->pad_y1;
    const ptrdiff_t ow = (uw - k) / down + 1, oh = (uh - k) / down + 1;
    if (ow <= 0 || oh <= 0) return;
    const ptrdiff_t uw_pad = ck_round_up(uw, 16), ow_pad = ck_round_up(ow, 16);
    if (a->separable) {
        float *restrict s = work, *restrict ring = work + uw_pad;
        ptrdiff_t slot_row[CK_FIR_MAX_TAPS];
        for (int f = 0; f < k; f++) slot_row[f] = -1;
        for (ptrdiff_t oy = 0; oy < oh; oy++) {
            float *restrict yr = y + oy * ow;
            for (ptrdiff_t ox = 0; ox < ow; ox++) yr[ox] = 0.0f;
            for (int f = 0; f < k; f++) {
                const ptrdiff_t sy = oy * down + f - a->pad_y0;
                if (sy < 0 || sy % up != 0 || sy / up >= h) continue;
                const ptrdiff_t iy = sy / up, slot = iy % k;
                float *restrict t = ring + slot * ow_pad;
                if (slot_row[slot] != iy) {
                    CK_NAME(fir_stuff_row)(x + iy * w, w, up, a->pad_x0, uw, s);
                    CK_NAME(fir_row)(s, a->h_taps, k, down, ow, t);
                    slot_row[slot] = iy;
                }
                const float tap = a->v_taps[f];
                for (ptrdiff_t ox = 0; ox < ow; ox++) yr[ox] += t[ox] * tap;
            }
        }
    } else {
        float *restrict rows = work;
        for (ptrdiff_t iy = 0; iy < h; iy++) CK_NAME(fir_stuff_row)(x + iy * w, w, up, a->pad_x0, uw, rows + iy * uw_pad);
        const float *t2 = a->taps2d;
        for (ptrdiff_t oy = 0; oy < oh; oy++) {
            float *restrict yr = y + oy * ow;
            for (ptrdiff_t ox = 0; ox < ow; ox++) yr[ox] = 0.0f;
            for (int fy = 0; fy < k; fy++) {
                const ptrdiff_t sy = oy * down + fy - a->pad_y0;
                if (sy < 0 || sy % up != 0 || sy / up >= h) continue;
                const float *restrict s = rows + (sy / up) * uw_pad;
                for (int fx = 0; fx < k; fx++) {
                    const float tap = t2[fy * k + fx];
                    if (down == 1) {
                        const float *restrict sf = s + fx;
                        for (ptrdiff_t ox = 0; ox < ow; ox++) yr[ox] += sf[ox] * tap;
                    } else {
                        for (ptrdiff_t ox = 0; ox < ow; ox++) yr[ox] += s[ox * down + fx] * tap;
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fused epilogue on one plane. No contraction here: each step rounds exactly as the separate
// Swift ops (noise add, bias + activation, gain, clamp) do, so fusing changes no bit.
// Swift's max(a, b) is `b >= a ? b : a` and min(a, b) is `b < a ? b : a`; mirrored below.
// ---------------------------------------------------------------------------------------------
#define CK_EPI_BODY(NOISE, ACT, ADD)                                                               \
    for (ptrdiff_t j = 0; j < plane; j++) {                                                        \
        float v = x[j] * cs;                                                                       \
        NOISE;                                                                                     \
        v = v + bb;                                                                                \
        ACT;                                                                                       \
        v = v * gain;                                                                              \
        v = (lo >= v) ? lo : v;                                                                    \
        v = (hi < v) ? hi : v;                                                                     \
        ADD;                                                                                       \
        x[j] = v;                                                                                  \
    }
#define CK_EPI_NOISE v = v + noise[j] * strength
#define CK_EPI_NONE (void)0
#define CK_EPI_LRELU v = (v < 0.0f) ? v * alpha : v
#define CK_EPI_RELU v = (0.0f >= v) ? 0.0f : v
#define CK_EPI_ADD v = v + add[j]
#define CK_EPI_ACTS(NOISE, ADD)                                                                    \
    switch (act) {                                                                                 \
    case CK_ACT_LRELU: CK_EPI_BODY(NOISE, CK_EPI_LRELU, ADD) break;                                \
    case CK_ACT_RELU: CK_EPI_BODY(NOISE, CK_EPI_RELU, ADD) break;                                  \
    default: CK_EPI_BODY(NOISE, CK_EPI_NONE, ADD) break;                                           \
    }

CK_TARGET static void CK_NAME(epilogue_plane)(float *restrict x, ptrdiff_t plane, float cs, const float *restrict noise,
                                              float strength, float bb, int act, float alpha, float gain,
                                              float clamp, const float *restrict add) {
#pragma clang fp contract(off)
    // gain == 1 and "no clamp" (±inf) leave every value (and NaN) unchanged, so they need no branch.
    const float lo = clamp >= 0.0f ? -clamp : -__builtin_inff();
    const float hi = clamp >= 0.0f ? clamp : __builtin_inff();
    if (noise) {
        if (add) {
            CK_EPI_ACTS(CK_EPI_NOISE, CK_EPI_ADD)
        } else {
            CK_EPI_ACTS(CK_EPI_NOISE, CK_EPI_NONE)
        }
    } else {
        if (add) {
            CK_EPI_ACTS(CK_EPI_NONE, CK_EPI_ADD)
        } else {
            CK_EPI_ACTS(CK_EPI_NONE, CK_EPI_NONE)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Peak probe, portable form: 12 independent 4-wide multiply-add chains (SSE2: a multiply and an
// add; NEON and AVX2: may contract to FMA), written with vector extensions so they stay in registers.
// ---------------------------------------------------------------------------------------------
typedef float CK_NAME(v4) __attribute__((vector_size(16)));

CK_TARGET __attribute__((unused)) static double CK_NAME(fma_probe_generic)(long iterations) {
    CK_NAME(v4) acc[12];
    for (int i = 0; i < 12; i++) acc[i] = (CK_NAME(v4)){0.001f, 0.002f, 0.003f, 0.004f} * (float)i;
    const CK_NAME(v4) m = {0.9999999f, 0.9999999f, 0.9999999f, 0.9999999f}, add = {1e-7f, 1e-7f, 1e-7f, 1e-7f};
    for (long it = 0; it < iterations; it++) {
        acc[0] = acc[0] * m + add;
        acc[1] = acc[1] * m + add;
        acc[2] = acc[2] * m + add;
        acc[3] = acc[3] * m + add;
        acc[4] = acc[4] * m + add;
        acc[5] = acc[5] * m + add;
        acc[6] = acc[6] * m + add;
        acc[7] = acc[7] * m + add;
        acc[8] = acc[8] * m + add;
        acc[9] = acc[9] * m + add;
        acc[10] = acc[10] * m + add;
        acc[11] = acc[11] * m + add;
    }
    CK_NAME(v4) sum = acc[0];
    for (int i = 1; i < 12; i++) sum += acc[i];
    volatile float sink = sum[0] + sum[1] + sum[2] + sum[3];
    (void)sink;
    return (double)iterations * 12 * 4 * 2;
}
