/*
 * Naive single-thread references of nn_kernels.c: the test oracles. They follow the textbook
 * formulas in double precision with libm's erf/exp, one element at a time, and share no code
 * with the fast kernels.
 */
#include "sparse_factor_reference.h"

#include <math.h>
#include <string.h>

/* out: n, inp: n */
int sf_ref_gelu_forward_f32(float *out, const float *inp, int64_t n) {
    if (!out || !inp || n < 0) return SF_ERR_ARGUMENT;
    for (int64_t i = 0; i < n; i++) {
        const double x = inp[i];
        out[i] = (float)(0.5 * x * (1.0 + erf(x / sqrt(2.0))));
    }
    return SF_OK;
}

/* dinp, dout, inp: n */
int sf_ref_gelu_backward_f32(float *dinp, const float *dout, const float *inp, int64_t n) {
    if (!dinp || !dout || !inp || n < 0) return SF_ERR_ARGUMENT;
    const double inv_sqrt_2pi = 0.39894228040143267794; /* 1 / sqrt(2 pi) */
    for (int64_t i = 0; i < n; i++) {
        const double x = inp[i];
        const double cdf = 0.5 * (1.0 + erf(x / sqrt(2.0)));
        const double pdf = inv_sqrt_2pi * exp(-0.5 * x * x);
        dinp[i] = (float)(dinp[i] + (double)dout[i] * (cdf + x * pdf));
    }
    return SF_OK;
}

/* out: rows*C, mean, rstd: rows, inp: rows*C, weight, bias: C */
int sf_ref_layernorm_forward_f32(float *out, float *mean, float *rstd, const float *inp,
                                 const float *weight, const float *bias, int64_t rows, int64_t C, float eps) {
    if (!out || !mean || !rstd || !inp || !weight || !bias || rows < 0 || C <= 0 || !(eps >= 0.0f))
        return SF_ERR_ARGUMENT;
    for (int64_t r = 0; r < rows; r++) {
        double m = 0.0, var = 0.0;
        for (int64_t c = 0; c < C; c++) m += inp[r * C + c];
        m /= (double)C;
        for (int64_t c = 0; c < C; c++) var += (inp[r * C + c] - m) * (inp[r * C + c] - m);
        var /= (double)C;
        const double s = 1.0 / sqrt(var + (double)eps);
        for (int64_t c = 0; c < C; c++)
            out[r * C + c] = (float)((inp[r * C + c] - m) * s * weight[c] + bias[c]);
        mean[r] = (float)m;
        rstd[r] = (float)s;
    }
    return SF_OK;
}

/* The full Jacobian form: dx_j = sum_c dy_c w_c dxhat_c/dx_j with
 * dxhat_c/dx_j = rstd (delta_cj - 1/C - xhat_c xhat_j / C). */
int sf_ref_layernorm_backward_f32(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                  const float *weight, const float *mean, const float *rstd, int64_t rows, int64_t C) {
    if (!dout || !inp || !weight || !mean || !rstd || rows < 0 || C <= 0) return SF_ERR_ARGUMENT;
    for (int64_t r = 0; r < rows; r++) {
        const double m = mean[r], s = rstd[r];
        for (int64_t j = 0; j < C; j++) {
            const double xhat_j = (inp[r * C + j] - m) * s;
            if (dweight) dweight[j] = (float)(dweight[j] + (double)dout[r * C + j] * xhat_j);
            if (dbias) dbias[j] = (float)(dbias[j] + (double)dout[r * C + j]);
            if (!dinp) continue;
            double g = 0.0;
            for (int64_t c = 0; c < C; c++) {
                const double xhat_c = (inp[r * C + c] - m) * s;
                const double jac = s * ((c == j ? 1.0 : 0.0) - 1.0 / (double)C - xhat_c * xhat_j / (double)C);
                g += (double)dout[r * C + c] * weight[c] * jac;
            }
            dinp[r * C + j] = (float)(dinp[r * C + j] + g);
        }
    }
    return SF_OK;
}

/* out, inp: rows*C, bias: C */
int sf_ref_bias_add_forward_f32(float *out, const float *inp, const float *bias, int64_t rows, int64_t C) {
    if (!out || !inp || !bias || rows < 0 || C <= 0) return SF_ERR_ARGUMENT;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < C; c++) out[r * C + c] = inp[r * C + c] + bias[c];
    return SF_OK;
}

/* dbias: C, dout: rows*C */
int sf_ref_bias_backward_f32(float *dbias, const float *dout, int64_t rows, int64_t C) {
    if (!dbias || !dout || rows < 0 || C <= 0) return SF_ERR_ARGUMENT;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < C; c++) dbias[c] += dout[r * C + c];
    return SF_OK;
}

/* out: tokens*D, weight: vocab*D, ids: tokens */
int sf_ref_embedding_forward_f32(float *out, const float *weight, const int64_t *ids,
                                 int64_t tokens, int64_t vocab, int64_t D) {
    if (!out || !weight || !ids || tokens < 0 || vocab <= 0 || D <= 0) return SF_ERR_ARGUMENT;
    for (int64_t t = 0; t < tokens; t++)
        if (ids[t] < 0 || ids[t] >= vocab) return SF_ERR_ARGUMENT;
    for (int64_t t = 0; t < tokens; t++) memcpy(out + t * D, weight + ids[t] * D, (size_t)D * sizeof(float));
    return SF_OK;
}

/* A plain scatter-add in token order. dweight: vocab*D, dout: tokens*D, ids: tokens */
int sf_ref_embedding_backward_f32(float *dweight, const float *dout, const int64_t *ids,
                                  int64_t tokens, int64_t vocab, int64_t D) {
    if (!dweight || !dout || !ids || tokens < 0 || vocab <= 0 || D <= 0) return SF_ERR_ARGUMENT;
    for (int64_t t = 0; t < tokens; t++)
        if (ids[t] < 0 || ids[t] >= vocab) return SF_ERR_ARGUMENT;
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t d = 0; d < D; d++) dweight[ids[t] * D + d] += dout[t * D + d];
    return SF_OK;
}

/* param, m, v, grad: n */
int sf_ref_adam_update_f32(float *param, float *m, float *v, const float *grad, int64_t n, float lr,
                           float beta1, float beta2, float eps, float weight_decay, int decoupled, int64_t t) {
    if (!param || !m || !v || !grad || n < 0 || t < 1) return SF_ERR_ARGUMENT;
    if (!(beta1 >= 0.0f && beta1 < 1.0f) || !(beta2 >= 0.0f && beta2 < 1.0f)) return SF_ERR_ARGUMENT;
    for (int64_t i = 0; i < n; i++) {
        const double p = param[i];
        double g = grad[i];
        if (!decoupled) g += (double)weight_decay * p;
        const double mi = beta1 * (double)m[i] + (1.0 - beta1) * g;
        const double vi = beta2 * (double)v[i] + (1.0 - beta2) * g * g;
        const double mhat = mi / (1.0 - pow(beta1, (double)t));
        const double vhat = vi / (1.0 - pow(beta2, (double)t));
        double next = p - (double)lr * mhat / (sqrt(vhat) + eps);
        if (decoupled) next -= (double)lr * weight_decay * p;
        param[i] = (float)next;
        m[i] = (float)mi;
        v[i] = (float)vi;
    }
    return SF_OK;
}

/* The folded MLP of one row (b, i) in double, its features zr[f * stride]:
 * pre[j], hid[j] = GELU(pre[j]), gp[j] = GELU'(pre[j]); c's column at cj[j * cstride]. */
static void ref_folded_hidden(double *pre, double *hid, double *gp, const float *zr, int64_t stride, const float *a,
                              const float *cj, int64_t cstride, int64_t F, int64_t H) {
    const double inv_sqrt_2pi = 0.39894228040143267794;
    for (int64_t j = 0; j < H; j++) {
        double s = cj[j * cstride];
        for (int64_t f = 0; f < F; f++) s += (double)a[j * F + f] * zr[f * stride];
        pre[j] = s;
        const double cdf = 0.5 * (1.0 + erf(s / sqrt(2.0)));
        hid[j] = s * cdf;
        gp[j] = cdf + s * inv_sqrt_2pi * exp(-0.5 * s * s);
    }
}

static int ref_folded_sizes_ok(int64_t B, int64_t N, int64_t P, int64_t F, int64_t H, int64_t O, int64_t ld) {
    return B > 0 && N > 0 && F > 0 && H > 0 && O > 0 && (P == 1 || P == N) && ld >= N;
}

/* out: B*O*ld, z: B*F*ld (channel-major), a: H*F, ct: H*ld (P == N) or H, w2: O*H, b2: O */
int sf_ref_folded_mlp_forward_f32(float *out, const float *z, const float *a, const float *ct, const float *w2,
                                  const float *b2, int64_t B, int64_t N, int64_t P, int64_t F, int64_t H, int64_t O,
                                  int64_t ld) {
    if (!out || !z || !a || !ct || !w2 || !b2 || !ref_folded_sizes_ok(B, N, P, F, H, O, ld)) return SF_ERR_ARGUMENT;
    double pre[H], hid[H], gp[H];
    const int64_t cstride = P == 1 ? 1 : ld;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < N; i++) {
            ref_folded_hidden(pre, hid, gp, z + b * F * ld + i, ld, a, ct + (P == 1 ? 0 : i), cstride, F, H);
            for (int64_t k = 0; k < O; k++) {
                double s = b2[k];
                for (int64_t j = 0; j < H; j++) s += (double)w2[k * H + j] * hid[j];
                out[(b * O + k) * ld + i] = (float)s;
            }
        }
    return SF_OK;
}

/* dz: B*F*ld (or NULL), da: H*F, dct: like ct, dw2: O*H, db2: O, dout: B*O*ld; accumulates like the fast kernel */
int sf_ref_folded_mlp_backward_f32(float *dz, float *da, float *dct, float *dw2, float *db2, const float *dout,
                                   const float *z, const float *a, const float *ct, const float *w2, int64_t B, int64_t N,
                                   int64_t P, int64_t F, int64_t H, int64_t O, int64_t ld) {
    if (!da || !dct || !dw2 || !db2 || !dout || !z || !a || !ct || !w2 || !ref_folded_sizes_ok(B, N, P, F, H, O, ld))
        return SF_ERR_ARGUMENT;
    double pre[H], hid[H], gp[H], dpre[H];
    const int64_t cstride = P == 1 ? 1 : ld;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < N; i++) {
            const int64_t p = P == 1 ? 0 : i;
            const float *zr = z + b * F * ld + i;
            ref_folded_hidden(pre, hid, gp, zr, ld, a, ct + p, cstride, F, H);
            const float *dr = dout + b * O * ld + i;    /* dr[k * ld] = dL/dout[b, k, i] */
            for (int64_t j = 0; j < H; j++) {
                double s = 0;
                for (int64_t k = 0; k < O; k++) s += (double)w2[k * H + j] * dr[k * ld];
                dpre[j] = s * gp[j];
            }
            for (int64_t k = 0; k < O; k++) {
                for (int64_t j = 0; j < H; j++) dw2[k * H + j] = (float)(dw2[k * H + j] + (double)dr[k * ld] * hid[j]);
                db2[k] += dr[k * ld];
            }
            for (int64_t j = 0; j < H; j++) {
                for (int64_t f = 0; f < F; f++) da[j * F + f] = (float)(da[j * F + f] + dpre[j] * zr[f * ld]);
                dct[j * cstride + p] = (float)(dct[j * cstride + p] + dpre[j]);
            }
            if (dz)
                for (int64_t f = 0; f < F; f++) {
                    double s = dz[(b * F + f) * ld + i];
                    for (int64_t j = 0; j < H; j++) s += (double)a[j * F + f] * dpre[j];
                    dz[(b * F + f) * ld + i] = (float)s;
                }
        }
    return SF_OK;
}

/* ChordMixer's rotation written from its definition: out[b, i, c] = inp[b, (i + s) mod n, c],
 * s = 0 for track 0 and 2^(t-1) mod n for track t = c / track (the power taken in unsigned
 * 64-bit arithmetic with wrap-around avoided by reducing at every doubling). */
static int64_t ref_track_shift(int64_t t, int64_t n) {
    if (t == 0) return 0;
    uint64_t s = 1 % (uint64_t)n;
    for (int64_t k = 1; k < t; k++) s = (s * 2) % (uint64_t)n;
    return (int64_t)s;
}

int sf_ref_chord_rotate_forward_f32(float *out, const float *inp, int64_t batch, int64_t n, int64_t d, int64_t track) {
    if (!out || !inp || batch < 1 || n < 1 || d < 1 || track < 1) return SF_ERR_ARGUMENT;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < d; c++)
                out[(b * n + i) * d + c] = inp[(b * n + (i + ref_track_shift(c / track, n)) % n) * d + c];
    return SF_OK;
}

int sf_ref_chord_rotate_backward_f32(float *dinp, const float *dout, int64_t batch, int64_t n, int64_t d, int64_t track) {
    if (!dinp || !dout || batch < 1 || n < 1 || d < 1 || track < 1) return SF_ERR_ARGUMENT;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < d; c++)
                dinp[(b * n + (i + ref_track_shift(c / track, n)) % n) * d + c] += dout[(b * n + i) * d + c];
    return SF_OK;
}
