// Winograd F(m, 3) transforms (m = 2 or 4, tile t = m + 2), compiled once per instruction-set
// path like kernels_body.h (included after it by ops_portable.c and ops_avx2.c). Lavin & Gray's
// matrices for correlation: V = Bᵀ·d·B (input tile t×t), Y = Aᵀ·M·A (output tile m×m).
//
// Every loop runs over the n tiles of a segment of one tile row, so the transforms are
// elementwise over contiguous arrays and vectorise on any path: rows first (the row combinations
// of the input rows are elementwise along x), then columns (after de-interleaving each combined
// row into its t column phases). A tile's result depends only on its own input, never on n.

#ifndef CK_TARGET
#error "include kernels_body.h first"
#endif

// o_k = Σ_r Bᵀ[k][r]·d_r, elementwise over q < len (in[r] and out[k] are rows of `len` floats).
CK_TARGET static void CK_NAME(wino_bt)(int m, const float *const *in, float *const *out, ptrdiff_t len) {
    if (m == 4) {
        const float *d0 = in[0], *d1 = in[1], *d2 = in[2], *d3 = in[3], *d4 = in[4], *d5 = in[5];
        float *o0 = out[0], *o1 = out[1], *o2 = out[2], *o3 = out[3], *o4 = out[4], *o5 = out[5];
#pragma clang loop vectorize(assume_safety)
        for (ptrdiff_t q = 0; q < len; q++) {
            const float a = d0[q], b = d1[q], c = d2[q], d = d3[q], e = d4[q], f = d5[q];
            o0[q] = (4.0f * a - 5.0f * c) + e;
            o1[q] = (d + e) - 4.0f * (b + c);
            o2[q] = 4.0f * (b - c) + (e - d);
            o3[q] = 2.0f * (d - b) + (e - c);
            o4[q] = 2.0f * (b - d) + (e - c);
            o5[q] = (4.0f * b - 5.0f * d) + f;
        }
    } else {
        const float *d0 = in[0], *d1 = in[1], *d2 = in[2], *d3 = in[3];
        float *o0 = out[0], *o1 = out[1], *o2 = out[2], *o3 = out[3];
#pragma clang loop vectorize(assume_safety)
        for (ptrdiff_t q = 0; q < len; q++) {
            const float a = d0[q], b = d1[q], c = d2[q], d = d3[q];
            o0[q] = a - c;
            o1[q] = b + c;
            o2[q] = c - b;
            o3[q] = b - d;
        }
    }
}

// y_k = Σ_r Aᵀ[k][r]·s_r, elementwise over q < len.
CK_TARGET static void CK_NAME(wino_at)(int m, const float *const *in, float *const *out, ptrdiff_t len) {
    if (m == 4) {
        const float *s0 = in[0], *s1 = in[1], *s2 = in[2], *s3 = in[3], *s4 = in[4], *s5 = in[5];
        float *y0 = out[0], *y1 = out[1], *y2 = out[2], *y3 = out[3];
#pragma clang loop vectorize(assume_safety)
        for (ptrdiff_t q = 0; q < len; q++) {
            const float a = s0[q], b = s1[q], c = s2[q], d = s3[q], e = s4[q], f = s5[q];
            const float p1 = b + c, m1 = b - c, p2 = d + e, m2 = d - e;
            y0[q] = (a + p1) + p2;
            y1[q] = m1 + 2.0f * m2;
            y2[q] = p1 + 4.0f * p2;
            y3[q] = (m1 + 8.0f * m2) + f;
        }
    } else {
        const float *s0 = in[0], *s1 = in[1], *s2 = in[2], *s3 = in[3];
        float *y0 = out[0], *y1 = out[1];
#pragma clang loop vectorize(assume_safety)
        for (ptrdiff_t q = 0; q < len; q++) {
            const float b = s1[q], c = s2[q];
            y0[q] = (s0[q] + b) + c;
            y1[q] = (b - c) - s3[q];
        }
    }
}

// ph[c][j] = row[j·m + c] for c < t, j < n (the column phases of a combined row).
CK_TARGET static void CK_NAME(wino_phases)(int m, const float *restrict row, ptrdiff_t n, float *restrict ph,
                                           ptrdiff_t ldp) {
    if (m == 4) {
        for (ptrdiff_t j = 0; j < n; j++) {
            const float *r = row + 4 * j;
            ph[j] = r[0];
            ph[ldp + j] = r[1];
            ph[2 * ldp + j] = r[2];
            ph[3 * ldp + j] = r[3];
            ph[4 * ldp + j] = r[4];
            ph[5 * ldp + j] = r[5];
        }
    } else {
        for (ptrdiff_t j = 0; j < n; j++) {
            const float *r = row + 2 * j;
            ph[j] = r[0];
            ph[ldp + j] = r[1];
            ph[2 * ldp + j] = r[2];
            ph[3 * ldp + j] = r[3];
        }
    }
}

// Input transform of n tiles: `rows` holds the t input rows of the tile row (already padded and
// scaled), each n·m + 2 floats at stride ldr; writes V_ξ[q] = v[ξ·ldv + q], ξ = ξy·t + ξx.
// work: t·ldr + t·round_up(n, 16) floats.
CK_TARGET static void CK_NAME(wino_input)(int m, const float *rows, ptrdiff_t ldr, ptrdiff_t n, float *v,
                                          ptrdiff_t ldv, float *work) {
    const int t = m + 2;
    const ptrdiff_t ldp = ck_round_up(n, 16);
    float *comb = work, *ph = work + t * ldr;
    const float *in[6];
    float *out[6];
    for (int r = 0; r < t; r++) {
        in[r] = rows + r * ldr;
        out[r] = comb + r * ldr;
    }
    CK_NAME(wino_bt)(m, in, out, n * m + 2); // rows: comb[ξy] = Σ_r Bᵀ[ξy][r]·row_r
    for (int r = 0; r < t; r++) in[r] = ph + r * ldp;
    for (int ky = 0; ky < t; ky++) {
        CK_NAME(wino_phases)(m, comb + ky * ldr, n, ph, ldp);
        for (int kx = 0; kx < t; kx++) out[kx] = v + (ky * t + kx) * ldv;
        CK_NAME(wino_bt)(m, in, out, n); // columns
    }
}

// Output transform of n tiles: M_ξ[q] = mm[ξ·ldm + q]; writes the m output rows of the tile row,
// out[ry·ldo + q·m + rx] = scale·Y[ry][rx] of tile q. work: (t + 1)·m·round_up(n, 16) floats.
CK_TARGET static void CK_NAME(wino_output)(int m, const float *mm, ptrdiff_t ldm, ptrdiff_t n, float scale,
                                           float *out, ptrdiff_t ldo, float *work) {
    const int t = m + 2;
    const ptrdiff_t ldp = ck_round_up(n, 16);
    float *cols = work, *yr = work + t * m * ldp; // cols[kx][ry]: Aᵀ over ξy; yr[rx]: one output row
    const float *in[6];
    float *o[6];
    for (int kx = 0; kx < t; kx++) {
        for (int ky = 0; ky < t; ky++) in[ky] = mm + (ky * t + kx) * ldm;
        for (int ry = 0; ry < m; ry++) o[ry] = cols + (kx * m + ry) * ldp;
        CK_NAME(wino_at)(m, in, o, n);
    }
    for (int rx = 0; rx < m; rx++) o[rx] = yr + rx * ldp;
    for (int ry = 0; ry < m; ry++) {
        for (int kx = 0; kx < t; kx++) in[kx] = cols + (kx * m + ry) * ldp;
        CK_NAME(wino_at)(m, in, o, n);
        float *restrict dst = out + ry * ldo;
        if (m == 4) {
            for (ptrdiff_t q = 0; q < n; q++) {
                dst[4 * q] = yr[q] * scale;
                dst[4 * q + 1] = yr[ldp + q] * scale;
                dst[4 * q + 2] = yr[2 * ldp + q] * scale;
                dst[4 * q + 3] = yr[3 * ldp + q] * scale;
            }
        } else {
            for (ptrdiff_t q = 0; q < n; q++) {
                dst[2 * q] = yr[q] * scale;
                dst[2 * q + 1] = yr[ldp + q] * scale;
            }
        }
    }
}
