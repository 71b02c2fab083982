/*
 * Naive single-thread reference of favor_kernels.c: the test oracle. FAVOR+ attention written from its formulas
 * in double precision with libm's exp: per (batch, head) the feature matrices phi(Q), phi(K) (N x m) are
 * materialized, with x~ = x Dh^(-1/4) and phi(x~)_r = exp(w_r . x~ - |x~|^2 / 2 - s) / sqrt(m), s a query's own
 * max over r and, for the keys, one max over all keys and r (found in a first pass); then
 *   S = phi(K)^T V,  z = phi(K)^T 1,  out_i = phi(q_i)^T S / phi(q_i)^T z.
 * The backward recomputes everything (out too, in double; `out` is only checked for presence) and follows
 *   dA_i = dout_i / c_i,  dc_i = -(dout_i . out_i) / c_i,  dphi(q_i) = S dA_i + z dc_i,
 *   dS = sum_i phi(q_i) dA_i^T,  dz = sum_i phi(q_i) dc_i,  dphi(k_j) = dS v_j + dz,  dv_j = dS^T phi(k_j),
 *   dx~ = sum_r dphi_r phi_r (w_r - x~),  dx = Dh^(-1/4) dx~.
 * It shares no code with the fast kernel: no chunks, no online stabilizer, no folded scaling, no denominator floor.
 */
#include "sparse_factor_reference.h"

#include <math.h>
#include <stdlib.h>

static int ref_favor_sizes_ok(int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m) {
    if (batch < 1 || heads < 1 || n < 1 || head_dim < 1 || m < 1) return 0;
    if (heads > INT64_MAX / head_dim || ld < heads * head_dim) return 0;
    if (heads * head_dim > INT64_MAX / 64 / m) return 0;
    if (batch > INT64_MAX / n) return 0;
    const int64_t rows = batch * n;
    return rows <= INT64_MAX / 64 / ld && n <= INT64_MAX / 64 / m && rows <= INT64_MAX / 64 / heads / head_dim;
}

/* phi[i][r] for the n rows of one (b, h): x rows ld apart, w the head's m x head_dim features.
 * shared_max: one stabilizer over all rows (keys), else one per row (queries). */
static void ref_favor_phi(double *phi, const float *x, const float *w, int64_t n, int64_t head_dim, int64_t ld,
                          int64_t m, int shared_max) {
    const double c = pow((double)head_dim, -0.25);
    double top = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double sq = 0.0;
        for (int64_t d = 0; d < head_dim; d++) sq += (c * x[i * ld + d]) * (c * x[i * ld + d]);
        for (int64_t r = 0; r < m; r++) {
            double p = 0.0;
            for (int64_t d = 0; d < head_dim; d++) p += (double)w[r * head_dim + d] * (c * x[i * ld + d]);
            phi[i * m + r] = p - sq / 2.0;
            if (phi[i * m + r] > top) top = phi[i * m + r];
        }
        if (!shared_max) {
            for (int64_t r = 0; r < m; r++) phi[i * m + r] = exp(phi[i * m + r] - top) / sqrt((double)m);
            top = -INFINITY;
        }
    }
    if (shared_max)
        for (int64_t e = 0; e < n * m; e++) phi[e] = exp(phi[e] - top) / sqrt((double)m);
}

/* S (m x head_dim) and z (m) of one (b, h). */
static void ref_favor_sums(double *s, double *z, const double *phik, const float *v, int64_t n, int64_t head_dim,
                           int64_t ld, int64_t m) {
    for (int64_t r = 0; r < m; r++) {
        z[r] = 0.0;
        for (int64_t d = 0; d < head_dim; d++) s[r * head_dim + d] = 0.0;
        for (int64_t j = 0; j < n; j++) {
            z[r] += phik[j * m + r];
            for (int64_t d = 0; d < head_dim; d++) s[r * head_dim + d] += phik[j * m + r] * (double)v[j * ld + d];
        }
    }
}

/* out: B*N*H*Dh, q/k/v: B*N*ld, features: H*m*Dh */
int sf_ref_favor_forward_f32(float *out, const float *q, const float *k, const float *v, const float *features,
                             int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m) {
    if (!out || !q || !k || !v || !features || !ref_favor_sizes_ok(batch, heads, n, head_dim, ld, m)) return SF_ERR_ARGUMENT;
    double *phiq = malloc(sizeof(double) * (size_t)(n * m)), *phik = malloc(sizeof(double) * (size_t)(n * m));
    double *s = malloc(sizeof(double) * (size_t)(m * head_dim)), *z = malloc(sizeof(double) * (size_t)m);
    if (!phiq || !phik || !s || !z) {
        free(phiq); free(phik); free(s); free(z);
        return SF_ERR_MEMORY;
    }
    const int64_t hd = heads * head_dim;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < heads; h++) {
            const int64_t base = b * n * ld + h * head_dim;
            const float *w = features + h * m * head_dim;
            ref_favor_phi(phiq, q + base, w, n, head_dim, ld, m, 0);
            ref_favor_phi(phik, k + base, w, n, head_dim, ld, m, 1);
            ref_favor_sums(s, z, phik, v + base, n, head_dim, ld, m);
            for (int64_t i = 0; i < n; i++) {
                double den = 0.0;
                for (int64_t r = 0; r < m; r++) den += phiq[i * m + r] * z[r];
                for (int64_t d = 0; d < head_dim; d++) {
                    double num = 0.0;
                    for (int64_t r = 0; r < m; r++) num += phiq[i * m + r] * s[r * head_dim + d];
                    out[(b * n + i) * hd + h * head_dim + d] = (float)(num / den);
                }
            }
        }
    free(phiq); free(phik); free(s); free(z);
    return SF_OK;
}

/* dq/dk/dv: B*N*ld (+=), dout/out: B*N*H*Dh, q/k/v: B*N*ld, features: H*m*Dh */
int sf_ref_favor_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out,
                              const float *q, const float *k, const float *v, const float *features,
                              int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m) {
    if (!dq || !dk || !dv || !dout || !out || !q || !k || !v || !features ||
        !ref_favor_sizes_ok(batch, heads, n, head_dim, ld, m))
        return SF_ERR_ARGUMENT;
    const size_t nm = (size_t)(n * m), md = (size_t)(m * head_dim);
    double *phiq = malloc(sizeof(double) * nm), *phik = malloc(sizeof(double) * nm);
    double *dphi = malloc(sizeof(double) * (size_t)m);
    double *s = malloc(sizeof(double) * md), *z = malloc(sizeof(double) * (size_t)m);
    double *ds = malloc(sizeof(double) * md), *dz = malloc(sizeof(double) * (size_t)m);
    double *da = malloc(sizeof(double) * (size_t)(n * head_dim)), *dc = malloc(sizeof(double) * (size_t)n);
    if (!phiq || !phik || !dphi || !s || !z || !ds || !dz || !da || !dc) {
        free(phiq); free(phik); free(dphi); free(s); free(z); free(ds); free(dz); free(da); free(dc);
        return SF_ERR_MEMORY;
    }
    const int64_t hd = heads * head_dim;
    const double c = pow((double)head_dim, -0.25);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < heads; h++) {
            const int64_t base = b * n * ld + h * head_dim;
            const float *w = features + h * m * head_dim;
            ref_favor_phi(phiq, q + base, w, n, head_dim, ld, m, 0);
            ref_favor_phi(phik, k + base, w, n, head_dim, ld, m, 1);
            ref_favor_sums(s, z, phik, v + base, n, head_dim, ld, m);
            /* dA_i, dc_i from c_i = phi(q_i).z and A_i = phi(q_i)^T S (out_i = A_i / c_i) */
            for (int64_t i = 0; i < n; i++) {
                const float *dyi = dout + (b * n + i) * hd + h * head_dim;
                double ci = 0.0, dot = 0.0;
                for (int64_t r = 0; r < m; r++) ci += phiq[i * m + r] * z[r];
                for (int64_t d = 0; d < head_dim; d++) {
                    double a = 0.0;
                    for (int64_t r = 0; r < m; r++) a += phiq[i * m + r] * s[r * head_dim + d];
                    da[i * head_dim + d] = (double)dyi[d] / ci;
                    dot += (double)dyi[d] * (a / ci);
                }
                dc[i] = -dot / ci;
            }
            /* dS, dz */
            for (int64_t r = 0; r < m; r++) {
                dz[r] = 0.0;
                for (int64_t d = 0; d < head_dim; d++) ds[r * head_dim + d] = 0.0;
                for (int64_t i = 0; i < n; i++) {
                    dz[r] += phiq[i * m + r] * dc[i];
                    for (int64_t d = 0; d < head_dim; d++) ds[r * head_dim + d] += phiq[i * m + r] * da[i * head_dim + d];
                }
            }
            /* queries: dphi = S dA + z dc, then through phi */
            for (int64_t i = 0; i < n; i++) {
                const float *qi = q + base + i * ld;
                for (int64_t r = 0; r < m; r++) {
                    dphi[r] = z[r] * dc[i];
                    for (int64_t d = 0; d < head_dim; d++) dphi[r] += s[r * head_dim + d] * da[i * head_dim + d];
                }
                for (int64_t d = 0; d < head_dim; d++) {
                    double g = 0.0;
                    for (int64_t r = 0; r < m; r++) g += dphi[r] * phiq[i * m + r] * ((double)w[r * head_dim + d] - c * qi[d]);
                    dq[base + i * ld + d] = (float)((double)dq[base + i * ld + d] + c * g);
                }
            }
            /* keys and values: dphi = dS v + dz, dv = dS^T phi(k) */
            for (int64_t j = 0; j < n; j++) {
                const float *kj = k + base + j * ld, *vj = v + base + j * ld;
                for (int64_t r = 0; r < m; r++) {
                    dphi[r] = dz[r];
                    for (int64_t d = 0; d < head_dim; d++) dphi[r] += ds[r * head_dim + d] * (double)vj[d];
                }
                for (int64_t d = 0; d < head_dim; d++) {
                    double g = 0.0, gv = 0.0;
                    for (int64_t r = 0; r < m; r++) {
                        g += dphi[r] * phik[j * m + r] * ((double)w[r * head_dim + d] - c * kj[d]);
                        gv += ds[r * head_dim + d] * phik[j * m + r];
                    }
                    dk[base + j * ld + d] = (float)((double)dk[base + j * ld + d] + c * g);
                    dv[base + j * ld + d] = (float)((double)dv[base + j * ld + d] + gv);
                }
            }
        }
    free(phiq); free(phik); free(dphi); free(s); free(z); free(ds); free(dz); free(da); free(dc);
    return SF_OK;
}
