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

// o_k = sc·Σ_r Bᵀ[k][r]·d_r, elementwise over q < len (in[r] and out[k] are rows of `len` floats).
CK_TARGET static void CK_NAME(wino_bt)(int m, const float *const *in, float *const *out, ptrdiff_t len, float sc) {
    if (m == 4) {
        const float *d0 = in[0], *d1 = in[1], *d2 = in[2], *d3 = in[3], *d4 = in[4], *d5 = in[5];
        float *o0 = out[0], *o1 = out[1], *o2 = out[2], *o3 = out[3], *o4 = out[4], *o5 = out[5];
#pragma clang loop vectorize(assume_safety)
        for (ptrdiff_t q = 0; q < len; q++) {
            const float a = d0[q], b = d1[q], c = d2[q], d = d3[q], e = d4[q], f = d5[q];
            o0[q] = ((4.0f * a - 5.0f * c) + e) * sc;
            o1[q] = ((d + e) - 4.0f * (b + c)) * sc;
            o2[q] = (4.0f * (b - c) + (e - d)) * sc;
            o3[q] = (2.0f * (d - b) + (e - c)) * sc;
            o4[q] = (2.0f * (b - d) + (e - c)) * sc;
            o5[q] = ((4.0f * b - 5.0f * d) + f) * sc;
        }
    } else {
        const float *d0 = in[0], *d1 = in[1], *d2 = in[2], *d3 = in[3];
        float *o0 = out[0], *o1 = out[1], *o2 = out[2], *o3 = out[3];
#pragma clang loop vectorize(assume_safety)
        for (ptrdiff_t q = 0; q < len; q++) {
            const float a = d0[q], b = d1[q], c = d2[q], d = d3[q];
            o0[q] = (a - c) * sc;
            o1[q] = (b + c) * sc;
            o2[q] = (c - b) * sc;
            o3[q] = (b - d) * sc;
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

// Input transform of n tiles: rows[r] (r < t) are the t input rows of the tile row from the
// segment's first column, n·m + 2 floats each (zero padding already in place); V = sc·Bᵀ·d·B.
// Tile j0 + q goes to v[ξ·ldv + (j / NR)·strip + j % NR], j = j0 + q (ξ = ξy·t + ξx): the
// packed-B order of the GEMM, strips of CK_NR tiles `strip` floats apart.
// work: t·round_up(n·m + 2, 16) + t·round_up(n, 16) floats.
CK_TARGET static void CK_NAME(wino_input)(int m, const float *const *rows, float sc, ptrdiff_t n, float *v,
                                          ptrdiff_t ldv, ptrdiff_t strip, ptrdiff_t j0, float *work) {
    const int t = m + 2;
    const ptrdiff_t ldc = ck_round_up(n * m + 2, 16), ldp = ck_round_up(n, 16);
    float *comb = work, *ph = work + t * ldc;
    const float *in[6];
    float *out[6];
    for (int r = 0; r < t; r++) out[r] = comb + r * ldc;
    CK_NAME(wino_bt)(m, rows, out, n * m + 2, sc); // rows: comb[ξy] = sc·Σ_r Bᵀ[ξy][r]·row_r
    for (int ky = 0; ky < t; ky++) {
        CK_NAME(wino_phases)(m, comb + ky * ldc, n, ph, ldp);
        for (ptrdiff_t q = 0; q < n;) { // columns, one 16-tile strip piece at a time
            const ptrdiff_t j = j0 + q, run = ck_min(n - q, CK_NR - j % CK_NR), at = (j / CK_NR) * strip + j % CK_NR;
            for (int c = 0; c < t; c++) in[c] = ph + c * ldp + q;
            for (int kx = 0; kx < t; kx++) out[kx] = v + (ky * t + kx) * ldv + at;
            CK_NAME(wino_bt)(m, in, out, run, 1.0f);
            q += run;
        }
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
