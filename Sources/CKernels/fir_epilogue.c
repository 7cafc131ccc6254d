// Parallel drivers for upfirdn2d and the fused epilogue (the per-plane loops are in kernels_body.h).
#include "ck_internal.h"

typedef struct fir_job {
    struct ck_context *ctx;
    const ck_fir_args *a;
    ptrdiff_t oh, ow, work;
    int ntasks;
} fir_job;

static void fir_task(void *arg, int task, int worker) {
    fir_job *j = arg;
    const ck_fir_args *a = j->a;
    ptrdiff_t p0, p1;
    ck_piece(a->planes, 1, j->ntasks, task, &p0, &p1);
    if (p1 <= p0) return;
    float *work = ck_scratch_get(j->ctx, worker, CK_SLOT_WORK, (size_t)j->work);
    const ck_ops *ops = ck_context_ops(j->ctx);
    for (ptrdiff_t pl = p0; pl < p1; pl++) ops->fir_plane(a, a->x + pl * a->h * a->w, a->y + pl * j->oh * j->ow, work);
}

void ck_upfirdn2d(ck_context *ctx, const ck_fir_args *a) {
    const ptrdiff_t uw = a->w * a->up + a->pad_x0 + a->pad_x1, uh = a->h * a->up + a->pad_y0 + a->pad_y1;
    fir_job j;
    j.ctx = ctx;
    j.a = a;
    j.ow = (uw - a->taps) / a->down + 1;
    j.oh = (uh - a->taps) / a->down + 1;
    if (a->planes <= 0 || uw < a->taps || uh < a->taps || j.ow <= 0 || j.oh <= 0) return;
    if (a->taps > CK_FIR_MAX_TAPS) return; // the Swift wrapper rejects these
    const ptrdiff_t uw_pad = ck_round_up(uw, 16);
    j.work = a->separable ? uw_pad + a->taps * ck_round_up(j.ow, 16) : a->h * uw_pad;
    if (j.work < 16) j.work = 16;
    const double flops = (double)a->planes * (double)(j.oh * j.ow) * a->taps * (a->separable ? 2 : a->taps);
    const int threads = ck_context_threads(ctx);
    j.ntasks = flops < 2e5 ? 1 : (int)ck_min(a->planes, 4 * threads);
    ck_scratch_reserve(ctx, CK_SLOT_WORK, (size_t)j.work);
    ck_parallel(ctx, j.ntasks, fir_task, &j);
}

typedef struct epi_job {
    struct ck_context *ctx;
    const ck_epilogue_args *a;
    int ntasks;
} epi_job;

static void epi_task(void *arg, int task, int worker) {
    (void)worker;
    epi_job *j = arg;
    const ck_epilogue_args *a = j->a;
    const ck_ops *ops = ck_context_ops(j->ctx);
    ptrdiff_t p0, p1;
    ck_piece(a->n * a->c, 1, j->ntasks, task, &p0, &p1);
    for (ptrdiff_t pl = p0; pl < p1; pl++) ck_epilogue_span(ops, a, pl / a->c, pl % a->c, a->x + pl * a->plane, a->plane, 0);
}

void ck_epilogue_span(const ck_ops *ops, const ck_epilogue_args *e, ptrdiff_t s, ptrdiff_t ch, float *x, ptrdiff_t len,
                      ptrdiff_t at) {
    const float cs = e->chan_scale ? e->chan_scale[s * e->c + ch] : 1.0f;
    const float *noise = e->noise ? e->noise + s * e->noise_sample_stride + at : 0;
    const float strength = e->noise ? (e->strength_per_channel ? e->strength[ch] : e->strength[0]) : 0.0f;
    const float bb = (e->bias ? e->bias[ch] : 0.0f) * e->bias_gain;
    const float *add = e->add ? e->add + (s * e->c + ch) * e->plane + at : 0;
    ops->epilogue_plane(x, len, cs, noise, strength, bb, e->act, e->alpha, e->gain, e->clamp, add);
}

void ck_epilogue(ck_context *ctx, const ck_epilogue_args *a) {
    const ptrdiff_t planes = a->n * a->c;
    if (planes <= 0 || a->plane <= 0) return;
    epi_job j;
    j.ctx = ctx;
    j.a = a;
    const int threads = ck_context_threads(ctx);
    j.ntasks = (double)planes * (double)a->plane < 65536 ? 1 : (int)ck_min(planes, 4 * threads);
    ck_parallel(ctx, j.ntasks, epi_task, &j);
}
