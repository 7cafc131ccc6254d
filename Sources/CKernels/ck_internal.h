// Internal declarations shared by the CKernels sources (not part of the module's interface).
#ifndef CK_INTERNAL_H
#define CK_INTERNAL_H

#include "CKernels.h"
#include <stdint.h>
#include <stddef.h>

// Register tile of the micro-kernel: 6 rows × 16 columns = 12 AVX2 accumulators, plus two
// B vectors and one broadcast A value: 15 of the 16 ymm registers. Row-major C rows are then
// two full vectors each. The portable kernel uses the same tile so the packed formats (and the
// weights packed at load) do not depend on the instruction-set path.
#define CK_MR 6
#define CK_NR 16

// Cache blocking (Goto/BLIS order: jc → pc → ic → jr → ir).
//   KC: depth of one packed block. A B micro-panel (KC×16 floats = 16 KiB) stays in L1 while
//       the A block streams through the micro-kernel; an A micro-panel is 6 KiB.
//   MC: rows of A per block; MC×KC floats (144 KiB) stay in L2 (1 MiB per core here).
//   NC: columns of B per packed block; KC×NC floats (3 MiB) live in L2/L3.
// K is split into equal blocks of at most KC (the split depends only on K, never on the thread
// count, so every output element has the same reduction order whatever the threading).
#ifndef CK_KC
#define CK_KC 256
#endif
#ifndef CK_MC
#define CK_MC 144
#endif
#ifndef CK_NC
#define CK_NC 3072
#endif

#define CK_MAX_THREADS 64
#define CK_FIR_MAX_TAPS 64
#define CK_SCRATCH_SLOTS 5
enum { CK_SLOT_PACK_A = 0, CK_SLOT_PACK_B = 1, CK_SLOT_WORK = 2, CK_SLOT_WORK2 = 3, CK_SLOT_WORK3 = 4 };

// Micro-kernel store flags.
#define CK_UKR_ACC 1   // C = C + acc (else C = acc)
#define CK_UKR_SCALE 2 // then C = C · rs[i]

typedef void (*ck_task_fn)(void *arg, int task, int worker);

typedef struct ck_scratch {
    float *ptr;
    size_t count;
} ck_scratch;

// The B operand as the packer sees it.
enum { CK_B_ROWMAJOR = 0, CK_B_PACKED = 1, CK_B_IM2COL = 2 };

typedef struct ck_gemm_problem {
    ptrdiff_t m, n, k;
    const float *a;
    ptrdiff_t lda;
    int a_packed;
    int b_kind;
    const float *b;
    ptrdiff_t ldb;
    const float *b_row_scale; // optional, per B row (row-major) or per input channel (im2col)
    float b_row_scale_gain;
    // im2col geometry (B(p, j): p = (i, ky, kx), j = (oy, ox))
    ptrdiff_t im_h, im_w, im_ow, im_row0;
    int im_k, im_pad;
    int accumulate;
    const float *row_scale;
    ptrdiff_t row_scale_div;
} ck_gemm_problem;

typedef struct ck_ops {
    // C[mr × 16] (=|+=) A-panel · B-strip over kc steps; rows past mr are computed but not stored.
    void (*ukr)(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int flags, const float *rs,
                int mr);
    void (*ukr_direct)(ptrdiff_t kc, const float *a, const float *bb, const ptrdiff_t *off, float *c, ptrdiff_t ldc,
                       int flags, const float *rs, int mr);
    void (*pad_row)(const float *src, ptrdiff_t w, float scale, int pad, ptrdiff_t wp, float *dst);
    void (*pack_a)(const ck_gemm_problem *p, ptrdiff_t ic, ptrdiff_t mc, ptrdiff_t pc, ptrdiff_t kc, float *dst);
    void (*pack_b)(const ck_gemm_problem *p, ptrdiff_t pc, ptrdiff_t kc, ptrdiff_t jc, ptrdiff_t nc, float *dst);
    void (*col2im)(const float *cols, ptrdiff_t ldcols, float *yplane, ptrdiff_t ow, ptrdiff_t iy0, ptrdiff_t rows,
                   ptrdiff_t w, int k);
    void (*fir_plane)(const ck_fir_args *a, const float *x, float *y, float *work);
    void (*fir_hpass)(const ck_fir_args *a, float *row, float *work);
    void (*fir_vpass)(const ck_fir_args *a, const float *const *t, float *y);
    void (*epilogue_plane)(float *x, ptrdiff_t plane, float cs, const float *noise, float strength, float bb,
                           int act, float alpha, float gain, float clamp, const float *add);
    double (*fma_probe)(long iterations);
    // Winograd F(m, 3) transforms of one segment of n tiles along a tile row (winograd_body.h).
    void (*wino_input)(int m, const float *const *rows, float scale, ptrdiff_t n, float *v, ptrdiff_t ldv,
                       ptrdiff_t strip, ptrdiff_t j0, float *work);
    void (*wino_output)(int m, const float *mm, ptrdiff_t ldm, ptrdiff_t n, float scale, float *out, ptrdiff_t ldo,
                        float *work);
    // Winograd transforms of the stride-2 transposed 3×3 convolution (winograd_up_body.h): one
    // channel's tile rows into packed B; the output rows of n tiles of a tile row.
    void (*wup_input)(const float *x, ptrdiff_t h, ptrdiff_t w, float scale, ptrdiff_t ty0, ptrdiff_t rows, ptrdiff_t n,
                      float *const *v, ptrdiff_t strip, float *work);
    void (*wup_output)(const float *const *m, ptrdiff_t n, float scale, float *out, ptrdiff_t ldo, float *work);
} ck_ops;

extern const ck_ops ck_ops_portable;
#if defined(__x86_64__) || defined(_M_X64)
extern const ck_ops ck_ops_avx2;
#endif

struct ck_context;
const ck_ops *ck_context_ops(const struct ck_context *ctx);
/// A worker's scratch buffer of at least `count` floats (64-byte aligned; contents undefined).
float *ck_scratch_get(struct ck_context *ctx, int worker, int slot, size_t count);
/// Grows `slot` of every worker to at least `count` floats. Drivers call this before a parallel
/// region with the job's largest need, so scratch sizes depend only on the shapes run (never on
/// which worker took which task) and repeated runs allocate nothing.
void ck_scratch_reserve(struct ck_context *ctx, int slot, size_t count);
/// The packing buffers ck_gemm_rect uses (fixed sizes: the largest blocks).
#define CK_PACK_A_FLOATS ((size_t)CK_MC * CK_KC)
#define CK_PACK_B_FLOATS ((size_t)CK_KC * CK_NC)
void ck_gemm_reserve(struct ck_context *ctx);
/// Runs fn(arg, task, worker) for task in 0..<ntasks on the pool (the caller takes part).
void ck_parallel(struct ck_context *ctx, int ntasks, ck_task_fn fn, void *arg);

// K blocking shared by the packers and the driver (depends on k only).
static inline ptrdiff_t ck_kc_block(ptrdiff_t k) {
    ptrdiff_t nb = (k + CK_KC - 1) / CK_KC;
    if (nb < 1) nb = 1;
    return (k + nb - 1) / nb;
}
static inline ptrdiff_t ck_round_up(ptrdiff_t x, ptrdiff_t m) { return (x + m - 1) / m * m; }
static inline ptrdiff_t ck_min(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }
static inline ptrdiff_t ck_max(ptrdiff_t a, ptrdiff_t b) { return a > b ? a : b; }

/// The sequential blocked GEMM on the rectangle rows [m0, m1) × columns [n0, n1) of the problem;
/// `c` points at C(m0, n0) with leading dimension ldc. Used by every parallel driver.
void ck_gemm_rect(struct ck_context *ctx, int worker, const ck_gemm_problem *p, ptrdiff_t m0, ptrdiff_t m1,
                  ptrdiff_t n0, ptrdiff_t n1, float *c, ptrdiff_t ldc);
/// Rows [m0, m1) of C (ldc) = A·B with both operands prepacked: A an M × K ck_pack_a panel set,
/// B a K × n set of packed-B strips (the Winograd kernels' transformed weights and inputs).
void ck_gemm_packed_rect(struct ck_context *ctx, int worker, const float *a, const float *b, ptrdiff_t m, ptrdiff_t n,
                         ptrdiff_t k, ptrdiff_t m0, ptrdiff_t m1, float *c, ptrdiff_t ldc);
/// The Winograd conv2d (winograd.c) on args->winograd, output oh × ow.
void ck_conv2d_winograd(struct ck_context *ctx, const ck_conv_args *args, ptrdiff_t row0, ptrdiff_t oh, ptrdiff_t ow);
/// The Winograd transposed convolution (winograd_up.c) on args->winograd, optionally fused with
/// args->fir.
void ck_conv_transpose2d_winograd(struct ck_context *ctx, const ck_conv_args *args);
/// ck_epilogue's arithmetic on `len` floats `x` of channel ch of sample s that sit at offset `at`
/// of their plane (where its noise and addend are read): the whole plane, or a row a kernel has
/// just written.
void ck_epilogue_span(const ck_ops *ops, const ck_epilogue_args *e, ptrdiff_t s, ptrdiff_t ch, float *x, ptrdiff_t len,
                      ptrdiff_t at);
/// The fused FIR on a band of a transposed convolution's rows (oh rows in all, band row 0 is row
/// r0 − (taps − 1), rows ldb floats apart): horizontal pass of the newly complete rows r0 … done
/// (in place), then the FIR output rows from oy0 (before oy1) whose taps are all complete, into
/// y, which holds rows of fw from row y_row0 on (channel o of sample s: args->epilogue applied
/// to each row written). Returns the next FIR row to write.
ptrdiff_t ck_convt_fir_band(struct ck_context *ctx, const ck_conv_args *args, ptrdiff_t s, ptrdiff_t o, ptrdiff_t oh,
                            ptrdiff_t fw, float *band, ptrdiff_t ldb, ptrdiff_t r0, ptrdiff_t done, float *y, ptrdiff_t y_row0,
                            ptrdiff_t oy0, ptrdiff_t oy1, float *work);
/// Pieces to cut a parallel job of `flops` into for `threads` workers (1 for small jobs).
int ck_parts(int threads, double flops);
/// Splits an m×n GEMM for `threads` workers into tm row pieces × tn column pieces.
void ck_gemm_split(int threads, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, int a_cheap, int b_cheap, int *tm, int *tn);
/// Piece `i` of `parts` over `units` units of size `unit` clipped to `total`: [*lo, *hi).
void ck_piece(ptrdiff_t total, ptrdiff_t unit, int parts, int i, ptrdiff_t *lo, ptrdiff_t *hi);

#endif
