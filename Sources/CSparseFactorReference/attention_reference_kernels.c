/*
 * Naive single-thread reference of attention_kernels.c: the test oracle. Plain O(n_q n_kv) softmax
 * attention (n_q queries over n_kv keys and values, each side with its own row stride; self-attention
 * is n_q = n_kv) in double precision with libm's exp and log: each query row's scores are materialized,
 * softmax-normalized, and the backward follows the textbook formulas
 *   dP = dO V^T,  dS = P o (dP - rowsum(dP o P)),  dQ = scale dS K,  dK = scale dS^T Q,  dV = P^T dO.
 * It shares no code with the fast kernel: no tiles, no online softmax, no D = rowsum(dO o O), and its
 * backward recomputes the softmax from q and k itself (out and lse are only checked for presence).
 */
#include "sparse_factor_reference.h"

#include <math.h>
#include <stdlib.h>

/* One side (n rows of ld floats per batch item), with the margins of the fast kernel's check. */
static int ref_side_ok(int64_t batch, int64_t n, int64_t ld, int64_t hd) {
    if (n < 1 || ld < hd || batch > INT64_MAX / n) return 0;
    return batch * n <= INT64_MAX / 64 / ld;
}

static int ref_attention_sizes_ok(int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim,
                                  int64_t ld_q, int64_t ld_kv) {
    if (batch < 1 || heads < 1 || head_dim < 1 || heads > INT64_MAX / head_dim) return 0;
    return ref_side_ok(batch, n_q, ld_q, heads * head_dim) && ref_side_ok(batch, n_kv, ld_kv, heads * head_dim);
}

/* The softmax of query i of one (b, h): p[j] = exp(s_j - max) / sum over the n keys, returns
 * log sum_j exp(s_j). qi: the query's head_dim values, k: the head's keys (rows ld apart). */
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

/* out: B*n_q*H*Dh, lse: B*H*n_q, q: B*n_q*ld_q, k/v: B*n_kv*ld_kv */
int sf_ref_cross_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                                       int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim,
                                       int64_t ld_q, int64_t ld_kv, float scale) {
    if (!out || !lse || !q || !k || !v || !ref_attention_sizes_ok(batch, heads, n_q, n_kv, head_dim, ld_q, ld_kv))
        return SF_ERR_ARGUMENT;
    double *p = malloc(sizeof(double) * (size_t)n_kv);
    if (!p) return SF_ERR_MEMORY;
    const int64_t hd = heads * head_dim;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < heads; h++) {
            const int64_t qbase = b * n_q * ld_q + h * head_dim, kvbase = b * n_kv * ld_kv + h * head_dim;
            for (int64_t i = 0; i < n_q; i++) {
                lse[(b * heads + h) * n_q + i] =
                    (float)ref_softmax_row(p, q + qbase + i * ld_q, k + kvbase, n_kv, head_dim, ld_kv, scale);
                for (int64_t d = 0; d < head_dim; d++) {
                    double o = 0.0;
                    for (int64_t j = 0; j < n_kv; j++) o += p[j] * (double)v[kvbase + j * ld_kv + d];
                    out[(b * n_q + i) * hd + h * head_dim + d] = (float)o;
                }
            }
        }
    free(p);
    return SF_OK;
}

/* dq: B*n_q*ld_q, dk/dv: B*n_kv*ld_kv (+=), dout/out: B*n_q*H*Dh, lse: B*H*n_q, q: B*n_q*ld_q, k/v: B*n_kv*ld_kv */
int sf_ref_cross_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out,
                                        const float *lse, const float *q, const float *k, const float *v,
                                        int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim,
                                        int64_t ld_q, int64_t ld_kv, float scale) {
    if (!dq || !dk || !dv || !dout || !out || !lse || !q || !k || !v ||
        !ref_attention_sizes_ok(batch, heads, n_q, n_kv, head_dim, ld_q, ld_kv))
        return SF_ERR_ARGUMENT;
    /* per query row: P and dP over the keys; per (b, h): dK and dV summed over all query rows in double */
    double *p = malloc(sizeof(double) * (size_t)n_kv), *dp = malloc(sizeof(double) * (size_t)n_kv);
    double *gk = malloc(sizeof(double) * (size_t)(n_kv * head_dim));
    double *gv = malloc(sizeof(double) * (size_t)(n_kv * head_dim));
    if (!p || !dp || !gk || !gv) {
        free(p); free(dp); free(gk); free(gv);
        return SF_ERR_MEMORY;
    }
    const int64_t hd = heads * head_dim;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < heads; h++) {
            const int64_t qbase = b * n_q * ld_q + h * head_dim, kvbase = b * n_kv * ld_kv + h * head_dim;
            for (int64_t e = 0; e < n_kv * head_dim; e++) gk[e] = gv[e] = 0.0;
            for (int64_t i = 0; i < n_q; i++) {
                const float *qi = q + qbase + i * ld_q, *dyi = dout + (b * n_q + i) * hd + h * head_dim;
                ref_softmax_row(p, qi, k + kvbase, n_kv, head_dim, ld_kv, scale);
                double rowsum = 0.0;   /* rowsum(dP o P) */
                for (int64_t j = 0; j < n_kv; j++) {
                    double s = 0.0;
                    for (int64_t d = 0; d < head_dim; d++) s += (double)dyi[d] * (double)v[kvbase + j * ld_kv + d];
                    dp[j] = s;
                    rowsum += s * p[j];
                }
                for (int64_t d = 0; d < head_dim; d++) {
                    double g = 0.0;
                    for (int64_t j = 0; j < n_kv; j++) g += p[j] * (dp[j] - rowsum) * (double)k[kvbase + j * ld_kv + d];
                    dq[qbase + i * ld_q + d] = (float)((double)dq[qbase + i * ld_q + d] + (double)scale * g);
                }
                for (int64_t j = 0; j < n_kv; j++) {
                    const double ds = p[j] * (dp[j] - rowsum);
                    for (int64_t d = 0; d < head_dim; d++) {
                        gk[j * head_dim + d] += (double)scale * ds * (double)qi[d];
                        gv[j * head_dim + d] += p[j] * (double)dyi[d];
                    }
                }
            }
            for (int64_t j = 0; j < n_kv; j++)
                for (int64_t d = 0; d < head_dim; d++) {
                    const int64_t e = kvbase + j * ld_kv + d;
                    dk[e] = (float)((double)dk[e] + gk[j * head_dim + d]);
                    dv[e] = (float)((double)dv[e] + gv[j * head_dim + d]);
                }
        }
    free(p); free(dp); free(gk); free(gv);
    return SF_OK;
}

/* Self-attention: the above with n_q = n_kv = n and ld_q = ld_kv = ld. */
int sf_ref_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                                 int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale) {
    return sf_ref_cross_attention_forward_f32(out, lse, q, k, v, batch, heads, n, n, head_dim, ld, ld, scale);
}

int sf_ref_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                                  const float *q, const float *k, const float *v,
                                  int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale) {
    return sf_ref_cross_attention_backward_f32(dq, dk, dv, dout, out, lse, q, k, v, batch, heads, n, n, head_dim, ld,
                                               ld, scale);
}
