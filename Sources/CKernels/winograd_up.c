// Winograd on the four phases of the stride-2 transposed 3×3 convolution (StyleGAN2's
// up-sampling layers), optionally fused with the separable FIR that follows it.
//
// With y[2iy + ky, 2ix + kx] += w[ky, kx]·x[iy, ix], each axis splits into an even phase
// y[2j] = w2·x[j − 1] + w0·x[j] (a 2-tap correlation, j = 0 … h) and an odd phase
// y[2j + 1] = w1·x[j]. Per axis and tile of 3 positions: F(3,2) on the even phase (4 transformed
// values) and the identity on the odd one (3), see winograd_up_body.h; in 2-D the tensor product,
// 7 × 7 = 49 GEMMs O × C per tile of 3×3 input pixels (5.44 multiplies per input pixel and
// channel pair instead of 9). The odd phase's values all meet the same 1-D weight w1, so only
// 5 × 5 = 25 distinct weight matrices exist (the GEMMs that share one run one after the other).
//
// Per chunk of whole tile rows, in two parallel phases: the input transform (times the
// input-channel scale) writes V in packed-B order, split over input channels; then, split over
// output channels, the 49 GEMMs on the weights transformed at load and per channel the output
// transform (times the output-channel scale) into a band of rows, from which the FIR (or a plain
// copy) writes the output as rows complete. A tile row's result depends only on its input and the
// fixed K blocking, never on the chunking or the threads.
#include "ck_internal.h"

#include <string.h>

// Chunks: at least WUP_MIN_TILES tiles (three micro-kernel strips), more while V (49·C·tiles
// floats) stays under WUP_V_FLOATS; M (49·ob·tiles) up to WUP_M_FLOATS per block of output
// channels. Measured (1 thread, 128→64 at 128², 256→128 at 64²): chunks of 48–200 tiles within
// 8 % of each other, 400 tiles 25–50 % slower.
#define WUP_V_FLOATS (128 * 1024)
#define WUP_M_FLOATS (384 * 1024)
#define WUP_MIN_TILES 48

// Per axis: transformed value ξ (0 … 6) meets 1-D weight ξ (< 4) or 4 (the odd phase).
static inline int group_of(int xi) { return xi < 4 ? xi : 4; }

// The 49 transformed values ordered by their weight matrix (the odd phase's share one).
static const unsigned char wup_order[49] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
    25, 26, 27, 28, 35, 42, 29, 36, 43, 30, 37, 44, 31, 38, 45, 32, 33, 34, 39, 40, 41, 46, 47, 48};

size_t ck_winograd_up_weights_count(ptrdiff_t out_ch, ptrdiff_t in_ch) {
    return 25 * ck_packed_a_count(out_ch, in_ch);
}

void ck_pack_winograd_up_weights(ptrdiff_t out_ch, ptrdiff_t in_ch, const float *w, float gain, float *dst, float *u) {
    // 1-D weight of group g as a combination of the taps (w0, w1, w2): G·(w2, w0) with
    // G = [[1, 0], [½, ½], [½, −½], [0, 1]], then the odd phase's w1.
    static const double coef[5][3] = {{0, 0, 1}, {0.5, 0, 0.5}, {-0.5, 0, 0.5}, {1, 0, 0}, {0, 1, 0}};
    const size_t each = ck_packed_a_count(out_ch, in_ch);
    for (int gy = 0; gy < 5; gy++)
        for (int gx = 0; gx < 5; gx++) {
            for (ptrdiff_t t = 0; t < out_ch * in_ch; t++) {
                const float *k = w + t * 9;
                double v = 0;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) v += coef[gy][ky] * coef[gx][kx] * k[ky * 3 + kx];
                u[t] = (float)(v * gain);
            }
            ck_pack_a(out_ch, in_ch, u, in_ch, 1.0f, dst + (gy * 5 + gx) * each);
        }
}

int ck_winograd_up_suits(ptrdiff_t in_ch, ptrdiff_t out_ch, ptrdiff_t h, ptrdiff_t w) {
    (void)in_ch;
    (void)out_ch;
    // Measured (Benchmarks/Kernels.md): faster than the direct kernel from 32² inputs on (StyleGAN's
    // 512 → 512 … 64 → 32 layers), slower on 16² (too few tiles per GEMM).
    return h >= 32 && w >= 32;
}

typedef struct wup_job {
    struct ck_context *ctx;
    const ck_conv_args *a;
    ptrdiff_t oh, ow, fh, fw, tiles_x, tiles_y, chunk_rows, ob, hist, ldb, band_rows;
    int in_pieces, out_pieces;
    size_t m_floats, work_floats;
    // The chunk being run: sample s, tile rows [c0, c1); V and the bands of all output channels
    // (kept from chunk to chunk), shared by the threads; the next FIR row to write and, after the
    // chunk, the next one after it.
    ptrdiff_t s, c0, c1, next_oy, oy_after;
    float *v, *bands;
    size_t v_floats, vb_floats; // V alone, V and the bands
} wup_job;

// The chunk's tiles, their 16-column padding, and the distance between the slices V_ξ [C × npad]
// and M_ξ [ob × npad] of transformed value ξ = ξy·7 + ξx: a little more than their size, because
// with whole 4 KiB multiples between them the 49 streams the transforms write or read fall in the
// same L1 sets (measured: 30 → 24 ms on 128→64 at 128², 1 thread).
static void chunk_geometry(const wup_job *j, ptrdiff_t *nt, ptrdiff_t *npad, ptrdiff_t *vs, ptrdiff_t *ms) {
    *nt = (j->c1 - j->c0) * j->tiles_x;
    *npad = ck_round_up(*nt, CK_NR);
    *vs = j->a->c * *npad + CK_NR;
    *ms = j->ob * *npad + CK_NR;
}

// Phase 1 of a chunk: the input transform of a piece of the input channels, straight into V in
// packed-B order (scaled by the input-channel scale on the way, as the direct path scales).
static void wup_input_task(void *arg, int task, int worker) {
    wup_job *j = arg;
    const ck_conv_args *a = j->a;
    const ptrdiff_t C = a->c, H = a->h, W = a->w, kcb = ck_kc_block(C);
    ptrdiff_t i0, i1, nt, npad, vs, ms;
    ck_piece(C, 1, j->in_pieces, task, &i0, &i1);
    chunk_geometry(j, &nt, &npad, &vs, &ms);
    float *work = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK3, j->work_floats);
    for (ptrdiff_t i = i0; i < i1; i++) {
        const float sc = a->in_scale ? a->in_scale[j->s * C + i] * a->in_scale_gain : 1.0f;
        const ptrdiff_t pc = i / kcb * kcb, kc = ck_min(kcb, C - pc);
        float *vp[49];
        for (int xi = 0; xi < 49; xi++) vp[xi] = j->v + xi * vs + npad * pc + (i - pc) * CK_NR;
        ck_context_ops(j->ctx)->wup_input(a->x + (j->s * C + i) * H * W, H, W, sc, j->c0, j->c1 - j->c0, j->tiles_x, vp,
                                          CK_NR * kc, work);
        // Columns past the last tile (in the last strip): zero, so the discarded lanes stay finite.
        for (int xi = 0; xi < 49 && npad > nt; xi++) {
            float *pad = vp[xi] + (nt / CK_NR) * CK_NR * kc;
            for (ptrdiff_t t = nt % CK_NR; t < CK_NR; t++) pad[t] = 0.0f;
        }
    }
}

// Phase 2: for a piece of the output channels, block by block: the 49 GEMMs M_ξ = U_g(ξ) · V_ξ,
// then per channel the output transform (times the output-channel scale) into its band and the
// FIR (or a copy) of the rows that are complete.
static void wup_output_task(void *arg, int task, int worker) {
    wup_job *j = arg;
    const ck_conv_args *a = j->a;
    const ck_ops *ops = ck_context_ops(j->ctx);
    const ptrdiff_t C = a->c, O = a->out_ch, tx = j->tiles_x, c0 = j->c0, c1 = j->c1, s = j->s;
    ptrdiff_t o0, o1, nt, npad, vs, ms;
    ck_piece(O, CK_MR, j->out_pieces, task, &o0, &o1);
    chunk_geometry(j, &nt, &npad, &vs, &ms);
    float *mbuf = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK2, j->m_floats);
    float *work = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK3, j->work_floats);
    const ptrdiff_t ustride = (ptrdiff_t)ck_packed_a_count(O, C), r0 = 6 * c0, done = ck_min(6 * c1, j->oh) - 1;
    for (ptrdiff_t ob0 = o0; ob0 < o1; ob0 += j->ob) {
        const ptrdiff_t ob1 = ck_min(ob0 + j->ob, o1);
        for (int k = 0; k < 49; k++) { // grouped by weight matrix, so each is reused from cache
            const int xi = wup_order[k], g = group_of(xi / 7) * 5 + group_of(xi % 7);
            ck_gemm_packed_rect(j->ctx, worker, a->winograd + g * ustride, j->v + xi * vs, O, nt, C, ob0, ob1, mbuf + xi * ms, npad);
        }
        for (ptrdiff_t o = ob0; o < ob1; o++) {
            const float sc = a->out_scale ? a->out_scale[s * O + o] : 1.0f;
            // Band: hist rows kept from the previous chunk, then the chunk's 6 rows per tile row.
            float *band = j->bands + o * j->band_rows * j->ldb;
            for (ptrdiff_t ty = c0; ty < c1; ty++) {
                const float *mt[49];
                for (int xi = 0; xi < 49; xi++) mt[xi] = mbuf + xi * ms + (o - ob0) * npad + (ty - c0) * tx;
                ops->wup_output(mt, tx, sc, band + (j->hist + 6 * (ty - c0)) * j->ldb, j->ldb, work);
            }
            if (a->fir) {
                const ptrdiff_t oy = ck_convt_fir_band(j->ctx, a, s, o, j->oh, j->fw, band, j->ldb, r0, done,
                                                       a->y + (s * O + o) * j->fh * j->fw, 0, j->next_oy, j->fh, work);
                if (o == 0) j->oy_after = oy; // the same for every channel
                if (c1 < j->tiles_y) // keep the last hist rows for the next chunk's filter taps
                    memmove(band, band + 6 * (c1 - c0) * j->ldb, (size_t)(j->hist * j->ldb) * sizeof(float));
            } else {
                float *yo = a->y + (s * O + o) * j->oh * j->ow;
                for (ptrdiff_t r = r0; r <= done; r++)
                    memcpy(yo + r * j->ow, band + (r - r0) * j->ldb, (size_t)j->ow * sizeof(float));
            }
        }
    }
}

// Sample j->s, chunk by chunk; `worker` >= 0: on that worker alone (V and bands its own),
// else each chunk's two phases split over the threads.
static void wup_sample(wup_job *j, int worker) {
    j->next_oy = 0;
    for (j->c0 = 0; j->c0 < j->tiles_y; j->c0 = j->c1) {
        j->c1 = ck_min(j->c0 + j->chunk_rows, j->tiles_y);
        if (worker >= 0) {
            wup_input_task(j, 0, worker);
            wup_output_task(j, 0, worker);
        } else {
            ck_parallel(j->ctx, j->in_pieces, wup_input_task, j);
            ck_parallel(j->ctx, j->out_pieces, wup_output_task, j);
        }
        j->next_oy = j->oy_after;
    }
}

// One sample per task (a batch of a multiple of the thread count): the threads never wait for
// each other inside a sample, where the split mode meets them twice per chunk (342 times per
// sample for 64 → 32 at 512²; on a VM whose cores are taken away now and then, every meeting
// waits for the slower one). The same arithmetic per sample, so the same bits.
static void wup_sample_task(void *arg, int task, int worker) {
    wup_job j = *(const wup_job *)arg;
    j.in_pieces = j.out_pieces = 1;
    j.s = task;
    j.v = ck_scratch_get(j.ctx, worker, CK_SLOT_WORK, j.vb_floats);
    j.bands = j.v + j.v_floats;
    wup_sample(&j, worker);
}

void ck_conv_transpose2d_winograd(ck_context *ctx, const ck_conv_args *a) {
    wup_job j;
    memset(&j, 0, sizeof j);
    j.ctx = ctx;
    j.a = a;
    const ptrdiff_t C = a->c, O = a->out_ch;
    j.oh = 2 * a->h + 1;
    j.ow = 2 * a->w + 1;
    // h + 1 even-phase positions per axis, in tiles of 3.
    j.tiles_x = (a->w + 1 + 2) / 3;
    j.tiles_y = (a->h + 1 + 2) / 3;
    if (a->fir) {
        j.fh = j.oh + a->fir->pad_y0 + a->fir->pad_y1 - a->fir->taps + 1;
        j.fw = j.ow + a->fir->pad_x0 + a->fir->pad_x1 - a->fir->taps + 1;
        j.hist = a->fir->taps - 1;
    }
    // Tile rows per chunk: V near WUP_V_FLOATS, at least WUP_MIN_TILES tiles; among a few
    // candidates the one that wastes least of its last 16-tile strip.
    ptrdiff_t rows = ck_max(WUP_V_FLOATS / (49 * C * j.tiles_x), (WUP_MIN_TILES + j.tiles_x - 1) / j.tiles_x);
    rows = ck_max(1, ck_min(rows, j.tiles_y));
    ptrdiff_t best = rows;
    for (ptrdiff_t r = rows; r <= ck_min(rows + 3, j.tiles_y); r++) {
        const ptrdiff_t n = r * j.tiles_x, nb = best * j.tiles_x;
        if ((ck_round_up(n, CK_NR) - n) * nb < (ck_round_up(nb, CK_NR) - nb) * n) best = r;
    }
    j.chunk_rows = best;
    const ptrdiff_t npad = ck_round_up(j.chunk_rows * j.tiles_x, CK_NR);
    j.ob = ck_max(CK_MR, WUP_M_FLOATS / (49 * npad) / CK_MR * CK_MR);
    // Unless each thread runs whole samples (wup_sample_task), threads split each chunk twice: its
    // input channels for the input transform, then its output channels (one piece per thread: each
    // piece's GEMMs read all of V). Nothing is computed twice, and every tile row keeps its
    // arithmetic.
    const int threads = ck_context_threads(ctx);
    j.in_pieces = (int)ck_min(threads, C);
    j.out_pieces = (int)ck_min(threads, (O + CK_MR - 1) / CK_MR);
    j.ldb = ck_round_up(6 * j.tiles_x, 16);
    j.band_rows = j.hist + 6 * j.chunk_rows;
    // Transform work (wup_input: 28 rows of a chunk's tiles and 3 phase rows; wup_output: 21 rows
    // of a tile row's tiles) or the FIR's row.
    const ptrdiff_t ldp = ck_round_up(j.tiles_x + 1, 16);
    j.work_floats = (size_t)ck_max(ck_max(28 * j.chunk_rows * j.tiles_x + 3 * ldp, 21 * ldp),
                                   ck_round_up(j.ow + 2 * j.hist, 16));
    j.m_floats = (size_t)(49 * (j.ob * npad + CK_NR));
    ck_scratch_reserve(ctx, CK_SLOT_WORK2, j.m_floats);
    ck_scratch_reserve(ctx, CK_SLOT_WORK3, j.work_floats);
    j.v_floats = (size_t)(49 * (C * npad + CK_NR));
    j.vb_floats = j.v_floats + (size_t)(O * j.band_rows * j.ldb);
    if (threads > 1 && a->n % threads == 0) {
        ck_scratch_reserve(ctx, CK_SLOT_WORK, j.vb_floats);
        ck_parallel(ctx, (int)a->n, wup_sample_task, &j);
        return;
    }
    // V and the bands: the caller's (worker 0's) buffer.
    j.v = ck_scratch_get(ctx, 0, CK_SLOT_WORK, j.vb_floats);
    j.bands = j.v + j.v_floats;
    for (j.s = 0; j.s < a->n; j.s++) wup_sample(&j, -1);
}
