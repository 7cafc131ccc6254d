// Winograd F(m, 3) convolution (m = 2 or 4) for 3×3 kernels, stride 1, any zero padding:
// fewer multiplies than the direct convolution (t²/m² = 4 for F(2,3), 2.25 for F(4,3) per output
// pixel and channel pair instead of 9), on the same packed GEMM micro-kernel.
//
// Per chunk of tiles (output m×m blocks, row-major over the map): the input transform writes
// V_ξ [I × tiles] straight in packed-B order (scaled by the input-channel scale on the way, as
// the direct path scales), then for each block of output channels: t² GEMMs M_ξ = U_ξ · V_ξ with
// the weights' transform U_ξ packed at load, and the output transform (times the output-channel
// scale) into y. A tile's result depends only on its own input and the fixed K blocking of the
// GEMM, never on the chunking or the thread count.
#include "ck_internal.h"

#include <string.h>

size_t ck_winograd_weights_count(ptrdiff_t out_ch, ptrdiff_t in_ch, int m) {
    const ptrdiff_t t = m + 2;
    return (size_t)(t * t) * ck_packed_a_count(out_ch, in_ch);
}

void ck_pack_winograd_weights(ptrdiff_t out_ch, ptrdiff_t in_ch, int m, const float *w, float gain, float *dst) {
    static const double g4[6][3] = {
        {1.0 / 4, 0, 0},
        {-1.0 / 6, -1.0 / 6, -1.0 / 6},
        {-1.0 / 6, 1.0 / 6, -1.0 / 6},
        {1.0 / 24, 1.0 / 12, 1.0 / 6},
        {1.0 / 24, -1.0 / 12, 1.0 / 6},
        {0, 0, 1},
    };
    static const double g2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    const int t = m + 2, tt = t * t;
    const double(*g)[3] = m == 4 ? g4 : g2;
    // Written straight into ck_pack_a's order (see gemm.c): U_ξ(o, i) at
    // ξ·each + mpad·pc + (o / MR)·MR·kc + (i − pc)·MR + o % MR, rows past O zero.
    const size_t each = ck_packed_a_count(out_ch, in_ch);
    const ptrdiff_t mpad = ck_round_up(out_ch, CK_MR), kcb = ck_kc_block(in_ch);
    memset(dst, 0, (size_t)tt * each * sizeof(float));
    for (ptrdiff_t o = 0; o < out_ch; o++)
        for (ptrdiff_t i = 0; i < in_ch; i++) {
            const float *k = w + (o * in_ch + i) * 9;
            double gk[6][3]; // G·k
            for (int a = 0; a < t; a++)
                for (int c = 0; c < 3; c++) gk[a][c] = g[a][0] * k[c] + g[a][1] * k[3 + c] + g[a][2] * k[6 + c];
            const ptrdiff_t pc = i / kcb * kcb, kc = ck_min(kcb, in_ch - pc);
            float *d = dst + mpad * pc + (o / CK_MR) * CK_MR * kc + (i - pc) * CK_MR + o % CK_MR;
            for (int a = 0; a < t; a++)
                for (int b = 0; b < t; b++) {
                    const double v = gk[a][0] * g[b][0] + gk[a][1] * g[b][1] + gk[a][2] * g[b][2];
                    d[(a * t + b) * each] = (float)(v * gain);
                }
        }
}

// Chunk and channel-block sizes: a chunk's V (t²·I·tiles floats) near L2 size, at least 32 tiles
// (two micro-kernel strips) so each U_ξ block is reused across enough columns; the M of a block
// of output channels (t²·ob·tiles) up to 1.5 MB, which keeps all channels in one block for
// StyleGAN's shapes. Measured (Benchmarks/Kernels.md): V budgets of 192K–1M floats, chunks of
// 32–128 tiles and M budgets of 96K–1M floats are all within ±5 % of each other.
#define CK_WINO_V_FLOATS (192 * 1024)
#define CK_WINO_M_FLOATS (384 * 1024)

int ck_winograd_suits(int m, ptrdiff_t in_ch, ptrdiff_t out_ch, ptrdiff_t oh, ptrdiff_t ow) {
    (void)in_ch;
    (void)out_ch;
    // Enough tiles per row for the transforms to run on long segments.
    return ow >= 4 * m && oh >= 4 * m;
}

typedef struct wino_job {
    struct ck_context *ctx;
    const ck_conv_args *a;
    int m, t;
    ptrdiff_t row0, oh, ow, tiles_x, tiles, chunk, nchunks, ob, ldr; // oh output rows from row0
    int pieces;      // output-channel pieces (shared V only)
    float *shared_v; // shared V: one chunk of every tile, transformed by all threads first
    size_t v_floats, m_floats, work_floats;
} wino_job;

// Position of V_ξ(i, j) in packed-B order (K blocks of ck_kc_block(I), strips of CK_NR tiles).
static inline ptrdiff_t packed_b_offset(ptrdiff_t i, ptrdiff_t j, ptrdiff_t k, ptrdiff_t npad) {
    const ptrdiff_t kcb = ck_kc_block(k), pc = i / kcb * kcb, kc = ck_min(kcb, k - pc);
    return npad * pc + (j / CK_NR) * CK_NR * kc + (i - pc) * CK_NR + j % CK_NR;
}

// dst[0, len) = src row from column xs (zero outside [0, w); src NULL: all zero).
static void padded_row(const ck_ops *ops, const float *src, ptrdiff_t w, ptrdiff_t xs, ptrdiff_t len, float *dst) {
    const ptrdiff_t lo = ck_min(len, ck_max(0, -xs)), hi = ck_max(lo, ck_min(len, w - xs));
    if (!src || hi <= lo) {
        memset(dst, 0, (size_t)len * sizeof(float));
        return;
    }
    if (lo > 0) memset(dst, 0, (size_t)lo * sizeof(float));
    ops->pad_row(src + xs + lo, hi - lo, 1.0f, 0, len - lo, dst + lo);
}

// Input transform of one channel for tiles [q0, q1) of a segment (tile row ty, first tile column
// tx0, chunk column jb): interior tiles read the input rows in place; tiles that overlap the
// padding (left or right edge) go through zero-padded copies. Rows above or below the image are
// the zero row. The arithmetic of a tile is the same either way.
static void wino_input_tiles(const wino_job *j, const float *plane, ptrdiff_t ty, ptrdiff_t tx0, ptrdiff_t q0,
                             ptrdiff_t q1, int copy, float sc, float *vb, ptrdiff_t vstride, ptrdiff_t strip,
                             ptrdiff_t jb, float *rows, const float *zero, float *work) {
    if (q1 <= q0) return;
    const ck_ops *ops = ck_context_ops(j->ctx);
    const ck_conv_args *a = j->a;
    const int m = j->m, t = j->t;
    const ptrdiff_t xs = (tx0 + q0) * m - a->padding, len = (q1 - q0) * m + 2;
    const float *rp[6];
    for (int r = 0; r < t; r++) {
        const ptrdiff_t iy = j->row0 + ty * m - a->padding + r;
        const float *src = iy >= 0 && iy < a->h ? plane + iy * a->w : NULL;
        if (copy) {
            padded_row(ops, src, a->w, xs, len, rows + r * j->ldr);
            rp[r] = rows + r * j->ldr;
        } else {
            rp[r] = src ? src + xs : zero;
        }
    }
    ops->wino_input(m, rp, sc, q1 - q0, vb, vstride, strip, jb + q0, work);
}

// The tiles of all samples form one sequence (sample-major, then row-major over the map), so
// a chunk may span samples and its GEMMs share each U_ξ block across the batch. A segment is a
// run of tiles of one tile row: sample s, tile row ty, tile columns [tx0, tx0 + n).
typedef struct wino_segment {
    ptrdiff_t s, ty, tx0, n;
} wino_segment;

static wino_segment wino_segment_at(const wino_job *j, ptrdiff_t g, ptrdiff_t end) {
    wino_segment sg;
    const ptrdiff_t local = g % j->tiles;
    sg.s = g / j->tiles;
    sg.ty = local / j->tiles_x;
    sg.tx0 = local % j->tiles_x;
    sg.n = ck_min(j->tiles_x - sg.tx0, end - g);
    return sg;
}

// Input transform of tiles [t0, t1) and input channels [i0, i1), straight into packed-B order
// (v: the chunk's V, npad columns).
static void wino_transform_input(const wino_job *j, ptrdiff_t t0, ptrdiff_t t1, ptrdiff_t i0, ptrdiff_t i1, float *v,
                                 ptrdiff_t npad, int worker) {
    const ck_conv_args *a = j->a;
    const int m = j->m, t = j->t, tt = t * t, pad = a->padding;
    const ptrdiff_t C = a->c, H = a->h, W = a->w, nt = t1 - t0, vstride = C * npad, ldr = j->ldr, kcb = ck_kc_block(C);
    float *rows = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK3, j->work_floats);
    float *zero = rows + t * ldr, *work = zero + ldr;
    memset(zero, 0, (size_t)ldr * sizeof(float));
    for (ptrdiff_t g = t0; g < t1;) {
        const wino_segment sg = wino_segment_at(j, g, t1);
        const ptrdiff_t x0 = sg.tx0 * m - pad, jb = g - t0;
        // Interior tiles [qa, qb): all t columns inside the image.
        const ptrdiff_t qa = ck_min(sg.n, x0 < 0 ? (-x0 + m - 1) / m : 0);
        const ptrdiff_t qb = ck_max(qa, W - t - x0 >= 0 ? ck_min(sg.n, (W - t - x0) / m + 1) : 0);
        const float *x = a->x + sg.s * C * H * W;
        for (ptrdiff_t i = i0; i < i1; i++) {
            const float sc = a->in_scale ? a->in_scale[sg.s * C + i] * a->in_scale_gain : 1.0f;
            const ptrdiff_t pc = i / kcb * kcb, kc = ck_min(kcb, C - pc);
            float *vb = v + npad * pc + (i - pc) * CK_NR;
            const float *plane = x + i * H * W;
            wino_input_tiles(j, plane, sg.ty, sg.tx0, 0, qa, 1, sc, vb, vstride, CK_NR * kc, jb, rows, zero, work);
            wino_input_tiles(j, plane, sg.ty, sg.tx0, qa, qb, 0, sc, vb, vstride, CK_NR * kc, jb, rows, zero, work);
            wino_input_tiles(j, plane, sg.ty, sg.tx0, qb, sg.n, 1, sc, vb, vstride, CK_NR * kc, jb, rows, zero, work);
        }
        g += sg.n;
    }
    // Padding columns of the last strip: zero, so the GEMM's discarded lanes stay finite.
    if (npad > nt)
        for (int xi = 0; xi < tt; xi++)
            for (ptrdiff_t i = i0; i < i1; i++)
                memset(v + xi * vstride + packed_b_offset(i, nt, C, npad), 0, (size_t)(npad - nt) * sizeof(float));
}

// The t² GEMMs of tiles [t0, t1) for output channels [o0, o1), block by block, each followed by
// the output transform (times the output-channel scale) into y.
static void wino_gemm_output(const wino_job *j, ptrdiff_t t0, ptrdiff_t t1, ptrdiff_t o0, ptrdiff_t o1, const float *v,
                             ptrdiff_t npad, int worker) {
    const ck_conv_args *a = j->a;
    const ck_ops *ops = ck_context_ops(j->ctx);
    const int m = j->m, t = j->t, tt = t * t;
    const ptrdiff_t C = a->c, O = a->out_ch, nt = t1 - t0, vstride = C * npad, ldr = j->ldr;
    const ptrdiff_t ustride = (ptrdiff_t)ck_packed_a_count(O, C);
    float *mbuf = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK2, j->m_floats);
    float *rows = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK3, j->work_floats);
    float *work = rows + (t + 1) * ldr;
    for (ptrdiff_t ob0 = o0; ob0 < o1; ob0 += j->ob) {
        const ptrdiff_t ob1 = ck_min(ob0 + j->ob, o1), mstride = (ob1 - ob0) * npad;
        for (int xi = 0; xi < tt; xi++)
            ck_gemm_packed_rect(j->ctx, worker, a->winograd + xi * ustride, v + xi * vstride, O, nt, C, ob0, ob1,
                                mbuf + xi * mstride, npad);
        for (ptrdiff_t g = t0; g < t1;) {
            const wino_segment sg = wino_segment_at(j, g, t1);
            const ptrdiff_t jb = g - t0, oy0 = sg.ty * m, ox0 = sg.tx0 * m;
            const ptrdiff_t cols = ck_min(sg.n * m, j->ow - ox0), nrows = ck_min(m, j->oh - oy0);
            for (ptrdiff_t o = ob0; o < ob1; o++) {
                const float sc = a->out_scale ? a->out_scale[sg.s * O + o] : 1.0f;
                float *yo = a->y + (sg.s * O + o) * j->oh * j->ow;
                if (cols == sg.n * m && nrows == m) {
                    ops->wino_output(m, mbuf + (o - ob0) * npad + jb, mstride, sg.n, sc, yo + oy0 * j->ow + ox0, j->ow, work);
                } else {
                    // Tiles hanging over the bottom or right edge: through a buffer, then clipped.
                    ops->wino_output(m, mbuf + (o - ob0) * npad + jb, mstride, sg.n, sc, rows, ldr, work);
                    for (ptrdiff_t ry = 0; ry < nrows; ry++)
                        memcpy(yo + (oy0 + ry) * j->ow + ox0, rows + ry * ldr, (size_t)cols * sizeof(float));
                }
            }
            g += sg.n;
        }
    }
}

// One chunk, start to end, on one thread.
static void wino_chunk_task(void *arg, int task, int worker) {
    wino_job *j = arg;
    const ptrdiff_t t0 = task * j->chunk, t1 = ck_min(t0 + j->chunk, j->tiles * j->a->n), npad = ck_round_up(t1 - t0, CK_NR);
    float *v = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK, j->v_floats);
    wino_transform_input(j, t0, t1, 0, j->a->c, v, npad, worker);
    wino_gemm_output(j, t0, t1, 0, j->a->out_ch, v, npad, worker);
}

// Shared V, first pass: input channels split between the threads.
static void wino_shared_input_task(void *arg, int task, int worker) {
    wino_job *j = arg;
    ptrdiff_t i0, i1;
    ck_piece(j->a->c, 1, j->pieces, task, &i0, &i1);
    if (i1 > i0) wino_transform_input(j, 0, j->chunk, i0, i1, j->shared_v, ck_round_up(j->chunk, CK_NR), worker);
}

// Shared V, second pass: output channels split between the threads.
static void wino_shared_output_task(void *arg, int task, int worker) {
    wino_job *j = arg;
    ptrdiff_t o0, o1;
    ck_piece(j->a->out_ch, CK_MR, j->pieces, task, &o0, &o1);
    if (o1 > o0) wino_gemm_output(j, 0, j->chunk, o0, o1, j->shared_v, ck_round_up(j->chunk, CK_NR), worker);
}

void ck_conv2d_winograd(ck_context *ctx, const ck_conv_args *a, ptrdiff_t row0, ptrdiff_t oh, ptrdiff_t ow) {
    wino_job j;
    memset(&j, 0, sizeof j);
    j.ctx = ctx;
    j.a = a;
    j.row0 = row0;
    j.m = a->winograd_m;
    j.t = j.m + 2;
    j.oh = oh;
    j.ow = ow;
    j.tiles_x = (ow + j.m - 1) / j.m;
    j.tiles = j.tiles_x * ((oh + j.m - 1) / j.m);
    const ptrdiff_t tt = (ptrdiff_t)j.t * j.t, C = a->c, O = a->out_ch, all = j.tiles * a->n;
    // Tiles per chunk: V near CK_WINO_V_FLOATS, whole strips, at least two strips.
    ptrdiff_t chunk = CK_WINO_V_FLOATS / (tt * C) / CK_NR * CK_NR;
    chunk = ck_min(ck_max(chunk, 2 * CK_NR), ck_round_up(all, CK_NR));
    j.nchunks = (all + chunk - 1) / chunk;
    const int threads = ck_context_threads(ctx);
    // Too few chunks to keep every thread busy (small maps): one chunk of all tiles, its V
    // transformed by all threads (input channels split), then the GEMMs and output transforms
    // with output channels split. Each thread then streams only its share of the weights.
    const int shared = threads > 1 && j.nchunks < 2 * threads;
    if (shared) {
        chunk = all;
        j.nchunks = 1;
        j.pieces = (int)ck_min((O + CK_MR - 1) / CK_MR, threads);
    }
    j.chunk = chunk;
    const ptrdiff_t npad = ck_round_up(chunk, CK_NR);
    j.ob = ck_max(CK_MR, CK_WINO_M_FLOATS / (tt * npad) / CK_MR * CK_MR);
    // Row buffers: t input rows (or m output rows) of a segment, a zero row, then the
    // transforms' own work.
    const ptrdiff_t seg_max = ck_min(chunk, j.tiles_x), ldp = ck_round_up(seg_max, 16);
    j.ldr = ck_round_up(seg_max * j.m + 2, 16);
    const ptrdiff_t work = ck_max(j.t * j.ldr + j.t * ldp, (j.t + 1) * j.m * ldp);
    j.work_floats = (size_t)((j.t + 1) * j.ldr + work);
    j.v_floats = (size_t)(tt * C * npad);
    j.m_floats = (size_t)(tt * j.ob * npad);
    ck_scratch_reserve(ctx, CK_SLOT_WORK, j.v_floats);
    ck_scratch_reserve(ctx, CK_SLOT_WORK2, j.m_floats);
    ck_scratch_reserve(ctx, CK_SLOT_WORK3, j.work_floats);
    if (!shared) {
        ck_parallel(ctx, (int)j.nchunks, wino_chunk_task, &j);
        return;
    }
    // The caller runs as worker 0: its V slot holds the shared V, which no task of either pass
    // uses as its own scratch.
    j.shared_v = ck_scratch_get(ctx, 0, CK_SLOT_WORK, j.v_floats);
    ck_parallel(ctx, j.pieces, wino_shared_input_task, &j);
    ck_parallel(ctx, j.pieces, wino_shared_output_task, &j);
}
