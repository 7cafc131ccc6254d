// Transforms of the Winograd form of the stride-2 transposed 3×3 convolution (winograd_up.c),
// compiled once per instruction-set path like kernels_body.h (included after it by
// ops_portable.c and ops_avx2.c).
//
// Per axis, a tile of 3 input positions j = 3τ … 3τ + 2 reads d_u = x[3τ − 1 + u], u = 0 … 3,
// and has 7 transformed values: 4 of F(3,2) for the even outputs (points 0, 1, −1, ∞:
// Bᵀ·d = (d0 − d2, d1 + d2, d2 − d1, d3 − d1)) and d1, d2, d3 themselves for the odd outputs.
// Back: even outputs Aᵀ·m = (m0 + m1 + m2, m1 − m2, m1 + m2 + m3), odd outputs as they are.
// A tile's result depends only on its own input, never on how many tiles a call transforms.

#ifndef CK_TARGET
#error "include kernels_body.h first"
#endif

// Input transform of one channel (plane x, h × w, scaled by sc on the way) for the tile rows
// [ty0, ty0 + rows) of n tiles each: transformed value ξ = ξy·7 + ξx of tile j = (ty − ty0)·n + q
// goes to v[ξ][(j / NR)·strip + j % NR] (packed-B order). First along x, per input row: its
// column phases P_c[q] = sc·x[3q + c − 1] (d3 of tile q is d0 of tile q + 1), then its 7 values
// per tile, stored for all tiles of the rows in tile order, so that the pass down the columns
// runs over whole 16-tile strips. work: 28·rows·n + 3·round_up(n + 1, 16) floats.
CK_TARGET static void CK_NAME(wup_input)(const float *x, ptrdiff_t h, ptrdiff_t w, float sc, ptrdiff_t ty0,
                                         ptrdiff_t rows, ptrdiff_t n, float *const *v, ptrdiff_t strip, float *work) {
    const ptrdiff_t nt = rows * n, ldp = ck_round_up(n + 1, 16);
    float *restrict p0 = work + 28 * nt, *restrict p1 = p0 + ldp, *restrict p2 = p0 + 2 * ldp;
    // Interior tiles q in [1, qi) read x[3q − 1 … 3q + 1] inside the row.
    const ptrdiff_t qi = ck_max(1, ck_min(n + 1, (w - 2) / 3 + 1));
    for (ptrdiff_t ty = ty0; ty < ty0 + rows; ty++)
        for (int r = 0; r < 4; r++) {
            const ptrdiff_t iy = 3 * ty - 1 + r;
            const float *restrict xr = iy >= 0 && iy < h ? x + iy * w : NULL;
            if (xr)
                for (ptrdiff_t q = 1; q < qi; q++) {
                    p0[q] = xr[3 * q - 1] * sc;
                    p1[q] = xr[3 * q] * sc;
                    p2[q] = xr[3 * q + 1] * sc;
                }
            for (ptrdiff_t q = 0; q <= n; q = q == 0 && xr && qi > 1 ? qi : q + 1) {
                float *restrict p[3] = {p0, p1, p2};
                for (int c = 0; c < 3; c++) {
                    const ptrdiff_t ix = 3 * q + c - 1;
                    p[c][q] = xr && ix >= 0 && ix < w ? xr[ix] * sc : 0.0f;
                }
            }
            // Role r's 7 rows (Bᵀ along x, then the odd phase) at tiles (ty − ty0)·n onwards.
            float *restrict e = work + r * 7 * nt + (ty - ty0) * n;
#pragma clang loop vectorize(assume_safety)
            for (ptrdiff_t q = 0; q < n; q++) {
                const float a = p0[q], b = p1[q], c = p2[q], d = p0[q + 1];
                e[q] = a - c;
                e[nt + q] = b + c;
                e[2 * nt + q] = c - b;
                e[3 * nt + q] = d - b;
                e[4 * nt + q] = b;
                e[5 * nt + q] = c;
                e[6 * nt + q] = d;
            }
        }
    for (ptrdiff_t j = 0; j < nt; j += CK_NR) { // then down the columns, one 16-tile strip at a time
        const ptrdiff_t run = ck_min(CK_NR, nt - j), at = (j / CK_NR) * strip;
        for (int kx = 0; kx < 7; kx++) {
            const float *restrict a = work + kx * nt, *restrict b = a + 7 * nt, *restrict c = a + 14 * nt,
                                  *restrict d = a + 21 * nt;
            float *restrict o0 = v[kx] + at, *restrict o1 = v[7 + kx] + at, *restrict o2 = v[14 + kx] + at,
                            *restrict o3 = v[21 + kx] + at, *restrict o4 = v[28 + kx] + at,
                            *restrict o5 = v[35 + kx] + at, *restrict o6 = v[42 + kx] + at;
#pragma clang loop vectorize(assume_safety)
            for (ptrdiff_t t = 0; t < run; t++) {
                const float av = a[j + t], bv = b[j + t], cv = c[j + t], dv = d[j + t];
                o0[t] = av - cv;
                o1[t] = bv + cv;
                o2[t] = cv - bv;
                o3[t] = dv - bv;
                o4[t] = bv;
                o5[t] = cv;
                o6[t] = dv;
            }
        }
    }
}

// Output transform of n tiles: m[ξ][q] is the GEMM result of transformed value ξ for tile q.
// Writes the 6 output rows 6τy … 6τy + 5 of the tile row, out[r·ldo + 6q + c] = scale·Y[r][c]
// (Y rows and columns alternate even and odd phase). work: 21·round_up(n, 16) floats.
CK_TARGET static void CK_NAME(wup_output)(const float *const *m, ptrdiff_t n, float scale, float *out, ptrdiff_t ldo,
                                          float *work) {
    const ptrdiff_t ldp = ck_round_up(n, 16);
    // cols[u·7 + ξx]: Aᵀ down the even ξy of column ξx (the even output rows 2u).
    for (int kx = 0; kx < 7; kx++) {
        const float *restrict m0 = m[kx], *restrict m1 = m[7 + kx], *restrict m2 = m[14 + kx], *restrict m3 = m[21 + kx];
        float *restrict c0 = work + kx * ldp, *restrict c1 = work + (7 + kx) * ldp, *restrict c2 = work + (14 + kx) * ldp;
#pragma clang loop vectorize(assume_safety)
        for (ptrdiff_t q = 0; q < n; q++) {
            const float b = m1[q], c = m2[q];
            c0[q] = (m0[q] + b) + c;
            c1[q] = b - c;
            c2[q] = (b + c) + m3[q];
        }
    }
    for (int r = 0; r < 6; r++) {
        // Row 2u: the transformed even rows; row 2u + 1: the odd-phase GEMM results themselves.
        const float *s[7];
        for (int kx = 0; kx < 7; kx++) s[kx] = r % 2 == 0 ? work + ((r / 2) * 7 + kx) * ldp : m[(4 + r / 2) * 7 + kx];
        const float *restrict s0 = s[0], *restrict s1 = s[1], *restrict s2 = s[2], *restrict s3 = s[3],
                              *restrict s4 = s[4], *restrict s5 = s[5], *restrict s6 = s[6];
        float *restrict dst = out + r * ldo;
        for (ptrdiff_t q = 0; q < n; q++) {
            const float b = s1[q], c = s2[q];
            dst[6 * q] = ((s0[q] + b) + c) * scale;
            dst[6 * q + 1] = s4[q] * scale;
            dst[6 * q + 2] = (b - c) * scale;
            dst[6 * q + 3] = s5[q] * scale;
            dst[6 * q + 4] = ((b + c) + s3[q]) * scale;
            dst[6 * q + 5] = s6[q] * scale;
        }
    }
}
