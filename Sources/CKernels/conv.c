// Convolutions on the packed SGEMM: conv2d (implicit im2col), the stride-2 transposed
// convolution (GEMM + col2im), demodulation coefficients.
#include "ck_internal.h"

#include <math.h>
#include <string.h>

static void weight_square_sums(ptrdiff_t out_ch, ptrdiff_t in_ch, int kernel, const float *w, float gain,
                               float *wsq_t) {
    const ptrdiff_t kk = (ptrdiff_t)kernel * kernel;
    if (!wsq_t) return;
    for (ptrdiff_t o = 0; o < out_ch; o++)
        for (ptrdiff_t i = 0; i < in_ch; i++) {
            float s = 0;
            const float *wp = w + (o * in_ch + i) * kk;
            for (ptrdiff_t t = 0; t < kk; t++) {
                const float v = wp[t] * gain;
                s += v * v;
            }
            wsq_t[i * out_ch + o] = s;
        }
}

void ck_pack_conv_weights(ptrdiff_t out_ch, ptrdiff_t in_ch, int kernel, const float *w, float gain, float *packed,
                          float *wsq_t) {
    const ptrdiff_t kk = (ptrdiff_t)kernel * kernel;
    // OIHW is already the row-major A [O × I·k·k].
    if (packed) ck_pack_a(out_ch, in_ch * kk, w, in_ch * kk, gain, packed);
    weight_square_sums(out_ch, in_ch, kernel, w, gain, wsq_t);
}

void ck_pack_conv_transpose_weights(ptrdiff_t out_ch, ptrdiff_t in_ch, int kernel, const float *w, float gain,
                                    float *packed, float *wsq_t) {
    const ptrdiff_t kk = (ptrdiff_t)kernel * kernel, m = out_ch * kk, k = in_ch;
    const ptrdiff_t mpad = ck_round_up(m, CK_MR), kcb = ck_kc_block(k);
    for (ptrdiff_t pc = 0; packed && pc < k; pc += kcb) {
        const ptrdiff_t kc = ck_min(kcb, k - pc);
        for (ptrdiff_t i0 = 0; i0 < mpad; i0 += CK_MR) {
            float *d = packed + mpad * pc + i0 * kc;
            for (ptrdiff_t p = 0; p < kc; p++)
                for (int r = 0; r < CK_MR; r++) {
                    const ptrdiff_t row = i0 + r, o = row / kk, t = row % kk, i = pc + p;
                    d[p * CK_MR + r] = row < m ? w[(o * in_ch + i) * kk + t] * gain : 0.0f;
                }
        }
    }
    weight_square_sums(out_ch, in_ch, kernel, w, gain, wsq_t);
}

void ck_demodulation(ptrdiff_t n, ptrdiff_t in_ch, ptrdiff_t out_ch, const float *styles, float gain,
                     const float *wsq_t, float eps, float *d) {
    for (ptrdiff_t s = 0; s < n; s++) {
        float *ds = d + s * out_ch;
        for (ptrdiff_t o = 0; o < out_ch; o++) ds[o] = 0.0f;
        for (ptrdiff_t i = 0; i < in_ch; i++) {
            const float st = styles[s * in_ch + i] * gain, s2 = st * st;
            const float *wr = wsq_t + i * out_ch;
            for (ptrdiff_t o = 0; o < out_ch; o++) ds[o] += s2 * wr[o];
        }
        for (ptrdiff_t o = 0; o < out_ch; o++) ds[o] = 1.0f / sqrtf(ds[o] + eps);
    }
}

// ---------------------------------------------------------------------------------------------
// conv2d: per sample, C[O × oh·ow] = W[O × I·k·k] · im2col(x)[I·k·k × oh·ow], written straight
// into NCHW. Tasks = samples × (row pieces × column pieces).
// ---------------------------------------------------------------------------------------------

typedef struct conv_job {
    struct ck_context *ctx;
    const ck_conv_args *a;
    ck_gemm_problem base;
    ptrdiff_t out_plane;
    int tm, tn;
} conv_job;

static void conv_task(void *arg, int task, int worker) {
    conv_job *j = arg;
    const ck_conv_args *a = j->a;
    const int per = j->tm * j->tn, s = task / per, r = task % per;
    ck_gemm_problem p = j->base;
    p.b = a->x + s * a->c * a->h * a->w;
    if (a->in_scale) p.b_row_scale = a->in_scale + s * a->c;
    if (a->out_scale) p.row_scale = a->out_scale + s * a->out_ch;
    float *y = a->y + s * a->out_ch * j->out_plane;
    ptrdiff_t m0, m1, n0, n1;
    ck_piece(p.m, CK_MR, j->tm, r / j->tn, &m0, &m1);
    ck_piece(p.n, CK_NR, j->tn, r % j->tn, &n0, &n1);
    ck_gemm_rect(j->ctx, worker, &p, m0, m1, n0, n1, y + m0 * j->out_plane + n0, j->out_plane);
}

// ---------------------------------------------------------------------------------------------
// Direct conv2d for wide maps: no im2col. For a band of output rows, the input rows it needs are
// copied once into a zero-padded band (scaled by the input-channel scale on the way, exactly as the
// packer scales), and the micro-kernel reads B(p, ox0 + j) = band[off[p] + ox0 + j] in place, with
// off[p] = (i·bh + ky)·wp + kx. A strip of 16 output pixels never wraps a row. The arithmetic is
// that of the packed path (same values of B, same K blocks, same micro-kernel steps), so the two
// algorithms give identical bits.
// ---------------------------------------------------------------------------------------------

#define CK_BAND_FLOATS (160 * 1024)
#define CK_BAND_SLACK (2 * CK_NR)

typedef struct convd_job {
    struct ck_context *ctx;
    const ck_conv_args *a;
    ptrdiff_t oh, ow, wp, band_rows, row0; // oh output rows from row row0 of the full output
    size_t band_floats, off_floats;
    int tm, tn;
} convd_job;

static void convd_task(void *arg, int task, int worker) {
    convd_job *j = arg;
    const ck_conv_args *a = j->a;
    const ck_ops *ops = ck_context_ops(j->ctx);
    const int k = a->kernel, pad = a->padding, per = j->tm * j->tn, s = task / per, r = task % per;
    const ptrdiff_t C = a->c, H = a->h, W = a->w, M = a->out_ch, K = C * k * k, oh = j->oh, ow = j->ow, wp = j->wp;
    ptrdiff_t m0, m1, y0, y1;
    ck_piece(M, CK_MR, j->tm, r / j->tn, &m0, &m1);
    ck_piece(oh, 1, j->tn, r % j->tn, &y0, &y1);
    if (m1 <= m0 || y1 <= y0) return;
    const float *x = a->x + s * C * H * W;
    const float *in_scale = a->in_scale ? a->in_scale + s * C : NULL;
    const float *row_scale = a->out_scale ? a->out_scale + s * M : NULL;
    float *y = a->y + s * M * oh * ow;
    const ptrdiff_t ldc = oh * ow, kcb = ck_kc_block(K), mpad = ck_round_up(M, CK_MR);
    const ptrdiff_t slack = CK_BAND_SLACK;
    float *band = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK, j->band_floats);
    ptrdiff_t *off = (ptrdiff_t *)ck_scratch_get(j->ctx, worker, CK_SLOT_WORK2, j->off_floats);
    float tile[CK_MR * CK_NR] __attribute__((aligned(64)));
    float rs[CK_MR];
    for (ptrdiff_t by = y0; by < y1; by += j->band_rows) {
        const ptrdiff_t rows = ck_min(j->band_rows, y1 - by), bh = rows + k - 1;
        for (ptrdiff_t i = 0; i < C; i++) {
            const float sc = in_scale ? in_scale[i] * a->in_scale_gain : 1.0f;
            for (ptrdiff_t rr = 0; rr < bh; rr++) {
                const ptrdiff_t iy = j->row0 + by - pad + rr;
                ops->pad_row(iy >= 0 && iy < H ? x + (i * H + iy) * W : NULL, W, sc, pad, wp, band + (i * bh + rr) * wp);
            }
        }
        // Partial strips read past the last row into this slack (those lanes are discarded).
        memset(band + C * bh * wp, 0, (size_t)slack * sizeof(float));
        ptrdiff_t p = 0;
        for (ptrdiff_t i = 0; i < C; i++)
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) off[p++] = (i * bh + ky) * wp + kx;
        for (ptrdiff_t pc = 0; pc < K; pc += kcb) {
            const ptrdiff_t kc = ck_min(kcb, K - pc);
            int flags = pc == 0 ? 0 : CK_UKR_ACC;
            if (pc + kc >= K && row_scale) flags |= CK_UKR_SCALE;
            for (ptrdiff_t ic = m0; ic < m1; ic += CK_MC) {
                const ptrdiff_t mc = ck_min(CK_MC, m1 - ic);
                const float *ap = a->packed + mpad * pc + ic * kc;
                for (ptrdiff_t rr = 0; rr < rows; rr++) {
                    const float *brow = band + rr * wp;
                    float *crow = y + (by + rr) * ow;
                    for (ptrdiff_t ox0 = 0; ox0 < ow; ox0 += CK_NR) {
                        const ptrdiff_t nr = ck_min(CK_NR, ow - ox0);
                        for (ptrdiff_t ir = 0; ir < mc; ir += CK_MR) {
                            const ptrdiff_t mr = ck_min(CK_MR, mc - ir);
                            const float *as = ap + ir * kc;
                            float *cp = crow + (ic + ir) * ldc + ox0;
                            if (flags & CK_UKR_SCALE)
                                for (ptrdiff_t q = 0; q < mr; q++) rs[q] = row_scale[ic + ir + q];
                            if (nr == CK_NR) {
                                ops->ukr_direct(kc, as, brow + ox0, off + pc, cp, ldc, flags, rs, (int)mr);
                            } else {
                                ops->ukr_direct(kc, as, brow + ox0, off + pc, tile, CK_NR, 0, NULL, CK_MR);
                                for (ptrdiff_t q = 0; q < mr; q++)
                                    for (ptrdiff_t t = 0; t < nr; t++) {
                                        float v = tile[q * CK_NR + t];
                                        if (flags & CK_UKR_ACC) v = cp[q * ldc + t] + v;
                                        if (flags & CK_UKR_SCALE) v = v * rs[q];
                                        cp[q * ldc + t] = v;
                                    }
                            }
                        }
                    }
                }
            }
        }
    }
}

static int conv_direct_suits(ptrdiff_t ow) {
    // Whole rows of 16-pixel strips; at most 1/8 of the last strip's lanes wasted per row.
    const ptrdiff_t padded = ck_round_up(ow, CK_NR);
    return ow >= CK_NR && (padded - ow) * 8 <= padded;
}

static void conv2d_direct(ck_context *ctx, const ck_conv_args *a, ptrdiff_t row0, ptrdiff_t oh, ptrdiff_t ow) {
    convd_job j;
    memset(&j, 0, sizeof j);
    j.ctx = ctx;
    j.a = a;
    j.row0 = row0;
    j.oh = oh;
    j.ow = ow;
    j.wp = a->w + 2 * a->padding;
    const int k = a->kernel;
    ptrdiff_t rows = CK_BAND_FLOATS / (a->c * j.wp) - (k - 1);
    j.band_rows = ck_max(1, ck_min(rows, oh));
    const int threads = ck_context_threads(ctx);
    const ptrdiff_t mu = (a->out_ch + CK_MR - 1) / CK_MR;
    const int parts = ck_parts(threads, 2.0 * (double)a->out_ch * (double)(a->c * k * k) * (double)(oh * ow));
    j.tm = 1;
    j.tn = 1;
    if (parts > 1) {
        // Rows of the output when there are enough (each piece copies only its own bands), else
        // output channels.
        if (oh >= 2 * parts) j.tn = parts;
        else if (oh >= 2 * threads) j.tn = threads;
        else j.tm = (int)ck_min(threads, mu);
    }
    j.band_floats = (size_t)(a->c * (j.band_rows + k - 1) * j.wp + CK_BAND_SLACK);
    j.off_floats = (size_t)(a->c * k * k) * sizeof(ptrdiff_t) / sizeof(float) + 1;
    ck_scratch_reserve(ctx, CK_SLOT_WORK, j.band_floats);
    ck_scratch_reserve(ctx, CK_SLOT_WORK2, j.off_floats);
    ck_parallel(ctx, (int)a->n * j.tm * j.tn, convd_task, &j);
}

void ck_conv2d(ck_context *ctx, const ck_conv_args *a) {
    const int k = a->kernel, pad = a->padding;
    const ptrdiff_t full = a->h + 2 * pad - k + 1, ow = a->w + 2 * pad - k + 1;
    // A range of output rows: the rest of the code sees a map of oh rows starting at row0.
    const ptrdiff_t row0 = a->rows > 0 ? a->row0 : 0, oh = a->rows > 0 ? a->rows : full;
    if (a->n <= 0 || a->out_ch <= 0 || oh <= 0 || ow <= 0 || row0 < 0 || row0 + oh > full) return;
    if (a->winograd && k == 3 &&
        (a->algorithm == CK_CONV_WINOGRAD ||
         (a->algorithm == CK_CONV_AUTO && ck_winograd_suits(a->winograd_m, a->c, a->out_ch, oh, ow)))) {
        ck_conv2d_winograd(ctx, a, row0, oh, ow);
        return;
    }
    if (a->algorithm == CK_CONV_DIRECT || (a->algorithm == CK_CONV_AUTO && conv_direct_suits(ow))) {
        conv2d_direct(ctx, a, row0, oh, ow);
        return;
    }
    conv_job j;
    memset(&j, 0, sizeof j);
    j.ctx = ctx;
    j.a = a;
    j.out_plane = oh * ow;
    ck_gemm_problem *p = &j.base;
    p->m = a->out_ch;
    p->n = oh * ow;
    p->k = a->c * k * k;
    p->a = a->packed;
    p->a_packed = 1;
    if (k == 1 && pad == 0 && row0 == 0) {
        p->b_kind = CK_B_ROWMAJOR; // x [I × h·w] is B as it stands
        p->ldb = a->h * a->w;
    } else {
        p->b_kind = CK_B_IM2COL;
        p->im_h = a->h;
        p->im_w = a->w;
        p->im_ow = ow;
        p->im_row0 = row0;
        p->im_k = k;
        p->im_pad = pad;
    }
    p->b_row_scale_gain = a->in_scale_gain;
    p->row_scale_div = 1;
    ck_gemm_split(ck_context_threads(ctx), p->m, p->n, p->k, 1, 0, &j.tm, &j.tn);
    ck_gemm_reserve(ctx);
    ck_parallel(ctx, (int)a->n * j.tm * j.tn, conv_task, &j);
}

// ---------------------------------------------------------------------------------------------
// Transposed convolution, stride 2: per sample, cols[(o, ky, kx) × (iy, ix)] = A · x, then each
// column scatters to y[o, 2iy + ky, 2ix + kx]. A thread owns a range of output channels (so no
// two threads write the same output), and goes through the input in chunks of rows so the
// column buffer stays in L2.
// ---------------------------------------------------------------------------------------------

#define CK_COL_CHUNK_FLOATS (96 * 1024)

typedef struct convt_job {
    struct ck_context *ctx;
    const ck_conv_args *a;
    ck_gemm_problem base;
    ptrdiff_t oh, ow, ounit, chunk_rows;
    size_t cols_floats;
    int pieces;
    // Fused FIR: its output size, and per channel a band of band_rows rows of ow floats.
    ptrdiff_t fh, fw, band_rows;
    size_t band_floats, fir_work;
    // FIR output rows [fy0, fy1) from input rows [iy_begin, iy_end) (all of them unless args->rows).
    ptrdiff_t fy0, fy1, iy_begin, iy_end;
} convt_job;

ptrdiff_t ck_convt_fir_band(struct ck_context *ctx, const ck_conv_args *args, ptrdiff_t s, ptrdiff_t o, ptrdiff_t oh,
                            ptrdiff_t fw, float *band, ptrdiff_t ldb, ptrdiff_t r0, ptrdiff_t done, float *y, ptrdiff_t y_row0,
                            ptrdiff_t oy0, ptrdiff_t oy1, float *work) {
    const ck_ops *ops = ck_context_ops(ctx);
    const ck_fir_args *f = args->fir;
    const ck_epilogue_args *e = args->epilogue;
    const ptrdiff_t kf = f->taps, wb = r0 - (kf - 1);
    for (ptrdiff_t r = ck_max(0, r0); r <= done; r++) ops->fir_hpass(f, band + (r - wb) * ldb, work);
    ptrdiff_t oy = oy0;
    for (; oy < oy1; oy++) {
        if (ck_min(oy - f->pad_y0 + kf - 1, oh - 1) > done) break;
        const float *t[CK_FIR_MAX_TAPS];
        for (ptrdiff_t q = 0; q < kf; q++) {
            const ptrdiff_t r = oy - f->pad_y0 + q;
            t[q] = r >= 0 && r < oh ? band + (r - wb) * ldb : NULL;
        }
        float *row = y + (oy - y_row0) * fw;
        ops->fir_vpass(f, t, row);
        if (e) ck_epilogue_span(ops, e, s, o, row, fw, oy * fw); // while the row is in cache
    }
    return oy;
}

// The fused FIR of one channel after the column chunk of input rows [iy0, iy1) was scattered
// into its band, which holds rows 2·iy0 − (taps − 1) onwards: taps − 1 rows already filtered
// horizontally, then the rows the chunk added to (complete up to 2·iy1 − 1, or to the end).
// Returns the next FIR row to write; the band then moves on to the next chunk. Every channel of
// a piece goes through the same rows.
static ptrdiff_t convt_fir_rows(const convt_job *j, ptrdiff_t s, ptrdiff_t o, float *band, ptrdiff_t iy0, ptrdiff_t iy1,
                                ptrdiff_t next_iy1, float *y, ptrdiff_t oy0, float *work) {
    const ptrdiff_t kf = j->a->fir->taps, ow = j->ow;
    const ptrdiff_t done = iy1 == j->a->h ? j->oh - 1 : 2 * iy1 - 1; // last complete row
    const ptrdiff_t oy = ck_convt_fir_band(j->ctx, j->a, s, o, j->oh, j->fw, band, ow, 2 * iy0, done, y, j->fy0, oy0, j->fy1, work);
    if (iy1 >= j->iy_end) return oy;
    // Next window: from 2·iy1 − (taps − 1): taps − 1 filtered rows and the partial row 2·iy1.
    const ptrdiff_t shift = 2 * (iy1 - iy0);
    memmove(band, band + shift * ow, (size_t)(kf * ow) * sizeof(float));
    memset(band + kf * ow, 0, (size_t)(2 * (next_iy1 - iy1) * ow) * sizeof(float));
    return oy;
}

static void convt_task(void *arg, int task, int worker) {
    convt_job *j = arg;
    const ck_conv_args *a = j->a;
    const int s = task / j->pieces, piece = task % j->pieces;
    const int k = a->kernel;
    const ptrdiff_t kk = (ptrdiff_t)k * k, H = a->h, W = a->w;
    ptrdiff_t o0, o1;
    ck_piece(a->out_ch, j->ounit, j->pieces, piece, &o0, &o1);
    if (o1 <= o0) return;
    ck_gemm_problem p = j->base;
    p.b = a->x + s * a->c * H * W;
    if (a->in_scale) p.b_row_scale = a->in_scale + s * a->c;
    if (a->out_scale) p.row_scale = a->out_scale + s * a->out_ch;
    const ptrdiff_t r0 = o0 * kk, r1 = o1 * kk, rows = j->chunk_rows;
    float *cols = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK, j->cols_floats);
    const ck_ops *ops = ck_context_ops(j->ctx);
    if (a->fir) {
        // Fused FIR: each channel's unfiltered output lives only in its band of rows.
        const ptrdiff_t kf = a->fir->taps, ow = j->ow, per = j->band_rows * ow;
        float *bands = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK2, j->band_floats);
        float *work = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK3, j->fir_work);
        memset(bands, 0, (size_t)((o1 - o0) * per) * sizeof(float));
        const ptrdiff_t yplane = (j->fy1 - j->fy0) * j->fw;
        float *y = a->y + s * a->out_ch * yplane;
        ptrdiff_t next_oy = j->fy0;
        for (ptrdiff_t iy0 = j->iy_begin; iy0 < j->iy_end; iy0 += rows) {
            const ptrdiff_t nrows = ck_min(rows, j->iy_end - iy0), ldc = nrows * W, iy1 = iy0 + nrows;
            ck_gemm_rect(j->ctx, worker, &p, r0, r1, iy0 * W, iy1 * W, cols, ldc);
            ptrdiff_t oy = next_oy;
            for (ptrdiff_t o = o0; o < o1; o++) {
                float *band = bands + (o - o0) * per;
                ops->col2im(cols + (o - o0) * kk * ldc, ldc, band + (kf - 1) * ow, ow, 0, nrows, W, k);
                oy = convt_fir_rows(j, s, o, band, iy0, iy1, ck_min(iy1 + rows, j->iy_end), y + o * yplane, next_oy, work);
            }
            next_oy = oy;
        }
        return;
    }
    float *y = a->y + s * a->out_ch * j->oh * j->ow;
    memset(y + o0 * j->oh * j->ow, 0, (size_t)((o1 - o0) * j->oh * j->ow) * sizeof(float));
    for (ptrdiff_t iy0 = 0; iy0 < H; iy0 += rows) {
        const ptrdiff_t nrows = ck_min(rows, H - iy0), ldc = nrows * W;
        ck_gemm_rect(j->ctx, worker, &p, r0, r1, iy0 * W, (iy0 + nrows) * W, cols, ldc);
        for (ptrdiff_t o = o0; o < o1; o++)
            ops->col2im(cols + (o - o0) * kk * ldc, ldc, y + o * j->oh * j->ow, j->ow, iy0, nrows, W, k);
    }
}

static ptrdiff_t gcd(ptrdiff_t a, ptrdiff_t b) {
    while (b) {
        ptrdiff_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

void ck_conv_transpose2d_s2(ck_context *ctx, const ck_conv_args *a) {
    const int k = a->kernel;
    const ptrdiff_t kk = (ptrdiff_t)k * k;
    if (a->n <= 0 || a->out_ch <= 0 || a->h <= 0 || a->w <= 0) return;
    if (a->rows > 0 && !a->fir) return; // row ranges are for the fused FIR's output only
    if (a->rows <= 0 && a->winograd && k == 3 &&
        (a->algorithm == CK_CONV_WINOGRAD ||
         (a->algorithm == CK_CONV_AUTO && ck_winograd_up_suits(a->c, a->out_ch, a->h, a->w)))) {
        ck_conv_transpose2d_winograd(ctx, a);
        return;
    }
    convt_job j;
    memset(&j, 0, sizeof j);
    j.ctx = ctx;
    j.a = a;
    j.oh = 2 * (a->h - 1) + k;
    j.ow = 2 * (a->w - 1) + k;
    ck_gemm_problem *p = &j.base;
    p->m = a->out_ch * kk;
    p->n = a->h * a->w;
    p->k = a->c;
    p->a = a->packed;
    p->a_packed = 1;
    p->b_kind = CK_B_ROWMAJOR;
    p->ldb = a->h * a->w;
    p->b_row_scale_gain = a->in_scale_gain;
    p->row_scale_div = kk;
    // Channel pieces start on whole micro-panels of the packed A: o0·k² a multiple of CK_MR.
    j.ounit = CK_MR / gcd(CK_MR, kk);
    const ptrdiff_t units = (a->out_ch + j.ounit - 1) / j.ounit;
    const int threads = ck_context_threads(ctx);
    // Channel pieces (each packs all of B again, so no more than one per thread).
    j.pieces = ck_parts(threads, 2.0 * (double)p->m * (double)p->n * (double)p->k) == 1 ? 1 : (int)ck_min(threads, units);
    // Input rows per chunk, so a piece's column buffer (its rows of A × chunk pixels) stays in L2.
    // (Any chunking gives the same result; see col2im.)
    const ptrdiff_t piece_rows = (units + j.pieces - 1) / j.pieces * j.ounit * kk;
    j.chunk_rows = ck_max(1, ck_min(CK_COL_CHUNK_FLOATS / (piece_rows * a->w), a->h));
    j.cols_floats = (size_t)(piece_rows * j.chunk_rows * a->w);
    if (a->fir) {
        const ck_fir_args *f = a->fir;
        j.fh = j.oh + f->pad_y0 + f->pad_y1 - f->taps + 1;
        j.fw = j.ow + f->pad_x0 + f->pad_x1 - f->taps + 1;
        j.fy0 = a->rows > 0 ? a->row0 : 0;
        j.fy1 = a->rows > 0 ? a->row0 + a->rows : j.fh;
        if (j.fy0 < 0 || j.fy1 > j.fh || j.fy0 >= j.fy1) return;
        // FIR row y reads transposed rows y − pad_y0 … y − pad_y0 + taps − 1 (those in 0 … oh − 1),
        // which input rows (r − k + 1) / 2 … r / 2 complete; earlier input rows reach no output
        // row in range, and rows the range starts without are never read.
        const ptrdiff_t lo = ck_max(0, j.fy0 - f->pad_y0), hi = ck_min(j.oh - 1, j.fy1 - 1 - f->pad_y0 + f->taps - 1);
        j.iy_begin = ck_max(0, (lo - k + 2) / 2);
        j.iy_end = ck_min(a->h, hi / 2 + 1);
        // taps − 1 filtered rows, the partial row, and two rows per input row of a chunk.
        j.band_rows = f->taps + 2 * j.chunk_rows;
        j.band_floats = (size_t)((units + j.pieces - 1) / j.pieces * j.ounit * j.band_rows * j.ow);
        j.fir_work = (size_t)ck_round_up(j.ow + f->pad_x0 + f->pad_x1, 16);
        ck_scratch_reserve(ctx, CK_SLOT_WORK2, j.band_floats);
        ck_scratch_reserve(ctx, CK_SLOT_WORK3, j.fir_work);
    }
    ck_gemm_reserve(ctx);
    ck_scratch_reserve(ctx, CK_SLOT_WORK, j.cols_floats);
    ck_parallel(ctx, (int)a->n * j.pieces, convt_task, &j);
}
