// CKernels: the C side of the fast float32 kernels (packed SGEMM, convolutions, FIR, epilogues)
// and the persistent thread pool they run on. Only the Swift `Kernels` module imports this
// (`internal import CKernels`); everything here is buffers, sizes and flags.
//
// Layouts: row-major matrices, NCHW activations, OIHW weights (as PyTorch).
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set paths. The packed formats below do not depend on the path.
enum {
    CK_ISA_PORTABLE = 0, ///< plain C the compiler vectorises for the baseline target (SSE2, NEON)
    CK_ISA_AVX2_FMA = 1, ///< x86-64 AVX2 + FMA (functions compiled with target("avx2,fma"))
};

/// The best path this CPU supports (checked once, then cached).
int ck_host_isa(void);
/// Online processors (at least 1).
int ck_online_cpus(void);

/// A context: a persistent pool of `threads - 1` worker threads (the caller is the first
/// worker), the instruction-set path, and per-worker scratch buffers that only grow.
/// Calls on one context are serialised by the context.
typedef struct ck_context ck_context;

ck_context *ck_context_create(int threads, int isa);
void ck_context_destroy(ck_context *ctx);
int ck_context_threads(const ck_context *ctx);
int ck_context_isa(const ck_context *ctx);
/// Bytes of scratch the context holds (grows on first use of a shape, then stays).
size_t ck_context_scratch_bytes(const ck_context *ctx);

// ---------------------------------------------------------------------------------------------
// SGEMM: C[m×n] = row_scale ⊙ (A[m×k] · B[k×n] (+ C when accumulate)).
// ---------------------------------------------------------------------------------------------

/// Register tile of the micro-kernel (rows of A × columns of B).
int ck_gemm_mr(void);
int ck_gemm_nr(void);

/// Floats needed to hold A (m×k) packed in micro-panel order.
size_t ck_packed_a_count(ptrdiff_t m, ptrdiff_t k);
/// Packs A (A(i, p) = a[i·lda + p] · gain) for `a_packed`.
void ck_pack_a(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, float gain, float *dst);
/// Floats needed to hold B (k×n) packed in micro-panel order.
size_t ck_packed_b_count(ptrdiff_t k, ptrdiff_t n);
/// Packs B (B(p, j) = b[p·ldb + j] · gain, or b[j·ldb + p] · gain when `transposed`).
void ck_pack_b(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t ldb, int transposed, float gain, float *dst);

typedef struct ck_gemm_args {
    ptrdiff_t m, n, k;
    const float *a;      ///< row-major with `lda`, or ck_pack_a output when a_packed
    ptrdiff_t lda;
    int a_packed;
    const float *b;      ///< row-major with `ldb`, or ck_pack_b output when b_packed
    ptrdiff_t ldb;
    int b_packed;
    float *c;
    ptrdiff_t ldc;
    int accumulate;      ///< add to the existing C instead of overwriting it
    const float *row_scale; ///< optional: row i of the result is multiplied by row_scale[i / row_scale_div]
    ptrdiff_t row_scale_div;
} ck_gemm_args;

void ck_sgemm(ck_context *ctx, const ck_gemm_args *args);

// ---------------------------------------------------------------------------------------------
// Convolutions with weights packed once.
// ---------------------------------------------------------------------------------------------

/// Packs conv weights w[O, I, k, k] (times gain) as the GEMM A operand [O × I·k·k] (unless
/// `packed` is NULL), and the per-(o, i) sums of squares Σ_k (w·gain)² transposed to [I × O]
/// (for demodulation).
void ck_pack_conv_weights(ptrdiff_t out_ch, ptrdiff_t in_ch, int kernel, const float *w, float gain,
                          float *packed, float *wsq_t);
/// Packs the same weights for the transposed convolution: A [O·k·k × I], A((o,ky,kx), i) = w[o,i,ky,kx].
void ck_pack_conv_transpose_weights(ptrdiff_t out_ch, ptrdiff_t in_ch, int kernel, const float *w, float gain,
                                    float *packed, float *wsq_t);

struct ck_fir_args;
struct ck_epilogue_args;

typedef struct ck_conv_args {
    ptrdiff_t n, c, h, w;         ///< input batch, channels, height, width
    const float *x;
    const float *packed;          ///< from ck_pack_conv_weights / ck_pack_conv_transpose_weights
    ptrdiff_t out_ch;
    int kernel;
    int padding;                  ///< conv2d only (zero padding on every side)
    const float *in_scale;        ///< optional [n, c]: input channel i of sample s is multiplied by in_scale[s·c + i]·in_scale_gain
    float in_scale_gain;
    const float *out_scale;       ///< optional [n, out_ch]: output channel o of sample s is multiplied by out_scale[s·out_ch + o]
    float *y;
    int algorithm;                ///< CK_CONV_AUTO, CK_CONV_PACKED, CK_CONV_DIRECT or CK_CONV_WINOGRAD (transposed: see ck_conv_transpose2d_s2)
    const struct ck_fir_args *fir;///< transposed conv, optional: separable FIR applied to its output (see below)
    const float *winograd;        ///< optional, 3×3 kernels only: ck_pack_winograd_weights output (conv2d) or ck_pack_winograd_up_weights output (transposed)
    int winograd_m;               ///< conv2d: its output tile, 2 for F(2,3), 4 for F(4,3)
    ptrdiff_t row0, rows;         ///< rows > 0: only output rows [row0, row0 + rows), y [n, O, rows, ow] (conv2d; transposed with fir, direct only)
    /// Transposed conv with `fir`, optional: applied to each output row as the FIR writes it, as
    /// ck_epilogue would to the whole output (its x unused; c and plane those of the output).
    const struct ck_epilogue_args *epilogue;
} ck_conv_args;

/// conv2d algorithms. Both run the same micro-kernel arithmetic in the same order, so they give
/// bit-identical results; they differ in how B reaches the micro-kernel.
enum {
    CK_CONV_AUTO = 0,
    CK_CONV_PACKED = 1, ///< implicit im2col packed into B panels (any shape)
    CK_CONV_DIRECT = 2, ///< B read in place from a zero-padded, scaled band of input rows (wide maps)
    CK_CONV_WINOGRAD = 3, ///< Winograd F(m, 3) on `winograd` weights (fewer multiplies, different rounding)
};

/// Winograd F(m, 3) weights for m = 2 or 4 (tile t = m + 2): for each of the t² transform
/// positions ξ, U_ξ[o, i] = (G·w[o, i]·gain·Gᵀ)[ξ] packed as a GEMM A operand [O × I]
/// (ck_packed_a_count(O, I) floats each, ξ-major). Computed in double, rounded once.
size_t ck_winograd_weights_count(ptrdiff_t out_ch, ptrdiff_t in_ch, int m);
void ck_pack_winograd_weights(ptrdiff_t out_ch, ptrdiff_t in_ch, int m, const float *w, float gain, float *dst);
/// Whether CK_CONV_AUTO takes the Winograd path for this convolution (when the weights carry it).
int ck_winograd_suits(int m, ptrdiff_t in_ch, ptrdiff_t out_ch, ptrdiff_t oh, ptrdiff_t ow);

/// Winograd form of the stride-2 transposed 3×3 convolution (winograd_up.c): per axis F(3,2) on
/// the even output phase (G = [[1, 0], [½, ½], [½, −½], [0, 1]] on (w2, w0)) and the odd phase's
/// tap w1, so 5 × 5 weight matrices U_g[o, i] (g = gy·5 + gx), each packed as a GEMM A operand
/// [O × I] (ck_packed_a_count(O, I) floats each). Computed in double, rounded once; `work` holds
/// O·I floats. For ck_conv_transpose2d_s2's args->winograd.
size_t ck_winograd_up_weights_count(ptrdiff_t out_ch, ptrdiff_t in_ch);
void ck_pack_winograd_up_weights(ptrdiff_t out_ch, ptrdiff_t in_ch, const float *w, float gain, float *dst, float *work);
/// Whether CK_CONV_AUTO takes the Winograd transposed convolution for this input (h × w).
int ck_winograd_up_suits(ptrdiff_t in_ch, ptrdiff_t out_ch, ptrdiff_t h, ptrdiff_t w);

/// Correlation, stride 1, zero padding: y [n, O, h + 2p − k + 1, w + 2p − k + 1].
void ck_conv2d(ck_context *ctx, const ck_conv_args *args);
/// PyTorch conv_transpose2d, stride 2, no padding: y [n, O, 2(h − 1) + k, 2(w − 1) + k].
/// With args->fir (separable, up = down = 1, its h × w the transposed convolution's output,
/// pads with pad_x0 + pad_x1 < taps and pad_y0 + pad_y1 < taps, its x and y unused): that FIR
/// applied to the result, fused (bands of rows, the unfiltered output never stored whole), into
/// y [n, O, oh + pad_y0 + pad_y1 − taps + 1, ow + pad_x0 + pad_x1 − taps + 1]; bit-identical to
/// ck_upfirdn2d on the unfused result. With args->winograd (3×3 kernels; from
/// ck_pack_winograd_up_weights), args->algorithm CK_CONV_WINOGRAD, or CK_CONV_AUTO where
/// ck_winograd_up_suits, runs the Winograd form instead (fewer multiplies, different rounding;
/// results still independent of the thread count); any other algorithm: GEMM + col2im. With
/// args->fir and args->rows > 0: only those rows of the filtered output, from the input rows they
/// need (same bits; GEMM + col2im only).
void ck_conv_transpose2d_s2(ck_context *ctx, const ck_conv_args *args);

/// d[s, o] = 1 / sqrt(Σ_i (styles[s, i]·gain)² · wsq_t[i, o] + eps).
void ck_demodulation(ptrdiff_t n, ptrdiff_t in_ch, ptrdiff_t out_ch, const float *styles, float gain,
                     const float *wsq_t, float eps, float *d);

// ---------------------------------------------------------------------------------------------
// upfirdn2d on planes.
// ---------------------------------------------------------------------------------------------

typedef struct ck_fir_args {
    ptrdiff_t planes, h, w;       ///< input planes (n·c) of h×w
    const float *x;
    float *y;                     ///< output planes of oh×ow (see ck_fir_output_size)
    int up, down;
    int pad_x0, pad_x1, pad_y0, pad_y1;
    int taps;                     ///< k
    int separable;                ///< 1: h_taps and v_taps (k each); 0: taps2d (k×k)
    const float *h_taps;          ///< already flipped and gain-scaled: applied as Σ s[ox·down + f]·h_taps[f]
    const float *v_taps;
    const float *taps2d;
} ck_fir_args;

void ck_upfirdn2d(ck_context *ctx, const ck_fir_args *args);

// ---------------------------------------------------------------------------------------------
// Fused epilogue over feature maps: per element, in this order and with these roundings
// (the same as the unfused ops):
//   v = x · chan_scale[s, c]                          (if chan_scale)
//   v = v + noise[(s,) y, x] · strength[c or 0]       (if noise)
//   v = v + bias[c] · bias_gain                       (bias 0 when absent)
//   v = act(v); v = v · gain (if gain ≠ 1); v = clamp(v, −clamp, clamp) (if clamp ≥ 0)
//   v = v + add[s, c, y, x]                           (if add: e.g. the up-sampled skip image)
// ---------------------------------------------------------------------------------------------

enum { CK_ACT_LINEAR = 0, CK_ACT_LRELU = 1, CK_ACT_RELU = 2 };

typedef struct ck_epilogue_args {
    ptrdiff_t n, c, plane;
    float *x;                     ///< in place
    const float *chan_scale;      ///< optional [n, c]
    const float *noise;           ///< optional [plane] (shared) or [n, plane]
    ptrdiff_t noise_sample_stride;///< 0 when shared across samples, else plane
    const float *strength;        ///< with noise: [1] or [c]
    int strength_per_channel;
    const float *bias;            ///< optional [c]
    float bias_gain;
    int act;
    float alpha;
    float gain;
    float clamp;                  ///< < 0: no clamp
    const float *add;             ///< optional [n, c, plane], added last
} ck_epilogue_args;

void ck_epilogue(ck_context *ctx, const ck_epilogue_args *args);

// ---------------------------------------------------------------------------------------------
// Peak probe: independent FMAs on 8-wide registers (AVX2) or the portable equivalent, on every
// thread of the context. Returns GFLOP/s (2 flops per lane per FMA).
// ---------------------------------------------------------------------------------------------

double ck_fma_peak_gflops(ck_context *ctx, long iterations);
/// The probe on the calling thread only; returns the flops executed (time it with any clock).
double ck_fma_probe_flops(ck_context *ctx, long iterations);
/// Wall time of one empty parallel region on the context, in seconds (dispatch overhead).
double ck_parallel_overhead_seconds(ck_context *ctx, int repeats);

#ifdef __cplusplus
}
#endif
#endif
