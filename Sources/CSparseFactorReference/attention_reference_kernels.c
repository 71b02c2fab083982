/*
 * Naive single-thread reference of attention_kernels.c: the test oracle. Plain O(N^2) softmax
 * attention in double precision with libm's exp and log: each query row's scores are materialized,
 * softmax-normalized, and the backward follows the textbook formulas
 *   dP = dO V^T,  dS = P o (dP - rowsum(dP o P)),  dQ = scale dS K,  dK = scale dS^T Q,  dV = P^T dO.
 * It shares no code with the fast kernel: no tiles, no online softmax, no D = rowsum(dO o O), and its
 * backward recomputes the softmax from q and k itself (out and lse are only checked for presence).
 */
#include "sparse_factor_reference.h"

#include <math.h>
#include <stdlib.h>

static int ref_attention_sizes_ok(int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld) {
    if (batch < 1 || heads < 1 || n < 1 || head_dim < 1) return 0;
    if (heads > INT64_MAX / head_dim || ld < heads * head_dim) return 0;
    if (batch > INT64_MAX / n) return 0;
    const int64_t rows = batch * n;
    return rows <= INT64_MAX / 64 / ld && rows <= INT64_MAX / 64 / heads;
}

/* The softmax of query i of one (b, h): p[j] = exp(s_j - max) / sum, returns log sum_j exp(s_j).
 * qi: the query's head_dim values, k: the head's keys (rows ld apart). */
static double ref_softmax_row(double *p, const float *qi, const float *k, int64_t n, int64_t head_dim, int64_t ld,
                              double scale) {
    double mx = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
        double s = 0.0;
        for (int64_t d = 0; d < head_dim; d++) s += (double)qi[d] * (double)k[j * ld + d];
        p[j] = scale * s;
        if (p[j] > mx) mx = p[j];
    }
    double sum = 0.0;
    for (int64_t j = 0; j < n; j++) {
        p[j] = exp(p[j] - mx);
        sum += p[j];
    }
    for (int64_t j = 0; j < n; j++) p[j] /= sum;
    return mx + log(sum);
}

/* out: B*N*H*Dh, lse: B*H*N, q/k/v: B*N*ld */
int sf_ref_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                                 int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale) {
    if (!out || !lse || !q || !k || !v || !ref_attention_sizes_ok(batch, heads, n, head_dim, ld)) return SF_ERR_ARGUMENT;
    double *p = malloc(sizeof(double) * (size_t)n);
    if (!p) return SF_ERR_MEMORY;
    const int64_t hd = heads * head_dim;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < heads; h++) {
            const int64_t base = b * n * ld + h * head_dim;
            for (int64_t i = 0; i < n; i++) {
                lse[(b * heads + h) * n + i] =
                    (float)ref_softmax_row(p, q + base + i * ld, k + base, n, head_dim, ld, scale);
                for (int64_t d = 0; d < head_dim; d++) {
                    double o = 0.0;
                    for (int64_t j = 0; j < n; j++) o += p[j] * (double)v[base + j * ld + d];
                    out[(b * n + i) * hd + h * head_dim + d] = (float)o;
                }
            }
        }
    free(p);
    return SF_OK;
}

/* dq/dk/dv: B*N*ld (+=), dout/out: B*N*H*Dh, lse: B*H*N, q/k/v: B*N*ld */
int sf_ref_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                                  const float *q, const float *k, const float *v,
                                  int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale) {
    if (!dq || !dk || !dv || !dout || !out || !lse || !q || !k || !v || !ref_attention_sizes_ok(batch, heads, n, head_dim, ld))
        return SF_ERR_ARGUMENT;
    /* per query row: P and dP; per (b, h): dK and dV summed over all rows in double */
    double *p = malloc(sizeof(double) * (size_t)n), *dp = malloc(sizeof(double) * (size_t)n);
    double *gk = malloc(sizeof(double) * (size_t)(n * head_dim)), *gv = malloc(sizeof(double) * (size_t)(n * head_dim));
    if (!p || !dp || !gk || !gv) {
        free(p); free(dp); free(gk); free(gv);
        return SF_ERR_MEMORY;
    }
    const int64_t hd = heads * head_dim;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < heads; h++) {
            const int64_t base = b * n * ld + h * head_dim;
            for (int64_t e = 0; e < n * head_dim; e++) gk[e] = gv[e] = 0.0;
            for (int64_t i = 0; i < n; i++) {
                const float *qi = q + base + i * ld, *dyi = dout + (b * n + i) * hd + h * head_dim;
                ref_softmax_row(p, qi, k + base, n, head_dim, ld, scale);
                double rowsum = 0.0;   /* rowsum(dP o P) */
                for (int64_t j = 0; j < n; j++) {
                    double s = 0.0;
                    for (int64_t d = 0; d < head_dim; d++) s += (double)dyi[d] * (double)v[base + j * ld + d];
                    dp[j] = s;
                    rowsum += s * p[j];
                }
                for (int64_t d = 0; d < head_dim; d++) {
                    double g = 0.0;
                    for (int64_t j = 0; j < n; j++) g += p[j] * (dp[j] - rowsum) * (double)k[base + j * ld + d];
                    dq[base + i * ld + d] = (float)((double)dq[base + i * ld + d] + (double)scale * g);
                }
                for (int64_t j = 0; j < n; j++) {
                    const double ds = p[j] * (dp[j] - rowsum);
                    for (int64_t d = 0; d < head_dim; d++) {
                        gk[j * head_dim + d] += (double)scale * ds * (double)qi[d];
                        gv[j * head_dim + d] += p[j] * (double)dyi[d];
                    }
                }
            }
            for (int64_t j = 0; j < n; j++)
                for (int64_t d = 0; d < head_dim; d++) {
                    dk[base + j * ld + d] = (float)((double)dk[base + j * ld + d] + gk[j * head_dim + d]);
                    dv[base + j * ld + d] = (float)((double)dv[base + j * ld + d] + gv[j * head_dim + d]);
                }
        }
    free(p); free(dp); free(gk); free(gv);
    return SF_OK;
}
