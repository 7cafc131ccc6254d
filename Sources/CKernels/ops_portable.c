// The portable path: kernels_body.h compiled for the baseline target (SSE2 on x86-64, NEON on
// arm64). Correct everywhere; the AVX2 path is chosen at run time where the CPU has it.
#include "ck_internal.h"

#define CK_TARGET
#define CK_NAME(x) x##_portable
#include "kernels_body.h"
#include "winograd_body.h"
#include "winograd_up_body.h"

const ck_ops ck_ops_portable = {
    .ukr = ukr_generic_portable,
    .ukr_direct = ukr_direct_generic_portable,
    .pad_row = pad_row_portable,
    .pack_a = pack_a_portable,
    .pack_b = pack_b_portable,
    .col2im = col2im_portable,
    .fir_plane = fir_plane_portable,
    .fir_hpass = fir_hpass_portable,
    .fir_vpass = fir_vpass_portable,
    .epilogue_plane = epilogue_plane_portable,
    .fma_probe = fma_probe_generic_portable,
    .wino_input = wino_input_portable,
    .wino_output = wino_output_portable,
    .wup_input = wup_input_portable,
    .wup_output = wup_output_portable,
};
