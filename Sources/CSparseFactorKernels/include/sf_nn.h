/* SparseFactor C kernels: neural-network kernels (Float32, the PSF-Attn training engine).
 * The conventions shared by every kernel are in sf_common.h. */
#ifndef SF_NN_H
#define SF_NN_H

#include <stdint.h>
#include "sf_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- neural-network kernels (Float32, the PSF-Attn training engine) ------------------
 * Same conventions as above. "rows" are the flattened leading dimensions of a [..., C]
 * tensor. Every reduction has one owner per output element and a fixed order, so results
 * are bit-identical for any thread count. */

/* GELU, exact (erf) form as PyTorch's nn.GELU(): out = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).
 * out: n, inp: n (out == inp allowed) */
int sf_gelu_forward_f32(float *out, const float *inp, int64_t n);
/* dinp += dout * (Phi(x) + x * phi(x)), x = inp.     dinp, dout, inp: n */
int sf_gelu_backward_f32(float *dinp, const float *dout, const float *inp, int64_t n);

/* LayerNorm over the last dimension: out = (x - mean) * rstd * weight + bias per row,
 * with the biased variance and rstd = 1 / sqrt(var + eps); mean and rstd are saved for backward.
 * out: rows*C, mean: rows, rstd: rows, inp: rows*C, weight: C, bias: C */
int sf_layernorm_forward_f32(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, int64_t rows, int64_t C, float eps);
/* dinp += dL/dx (skipped when NULL); dweight += sum_r dout * xhat, dbias += sum_r dout
 * (each skipped when NULL).    dinp: rows*C, dweight: C, dbias: C, dout/inp: rows*C, mean/rstd: rows */
int sf_layernorm_backward_f32(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                              const float *weight, const float *mean, const float *rstd, int64_t rows, int64_t C);

/* out[r, c] = inp[r, c] + bias[c] (out == inp allowed).     out, inp: rows*C, bias: C */
int sf_bias_add_forward_f32(float *out, const float *inp, const float *bias, int64_t rows, int64_t C);
/* dbias[c] += sum over r = 0, 1, ... of dout[r, c] (parallel over c).     dbias: C, dout: rows*C */
int sf_bias_backward_f32(float *dbias, const float *dout, int64_t rows, int64_t C);

/* out[t, :] = weight[ids[t], :]; SF_ERR_ARGUMENT (nothing written) if an id is outside [0, vocab).
 * out: tokens*D, weight: vocab*D, ids: tokens */
int sf_embedding_forward_f32(float *out, const float *weight, const int64_t *ids,
                             int64_t tokens, int64_t vocab, int64_t D);
/* dweight[v, :] += sum over t = 0, 1, ... with ids[t] == v of dout[t, :] (one owner per v).
 * dweight: vocab*D, dout: tokens*D, ids: tokens */
int sf_embedding_backward_f32(float *dweight, const float *dout, const int64_t *ids,
                              int64_t tokens, int64_t vocab, int64_t D);

/* Step t (1-based) of Adam (Kingma & Ba, Algorithm 1) on n parameters, in place:
 *   g = grad (+ weight_decay * param when !decoupled: L2 penalty as in PyTorch's Adam)
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   param -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 *   decoupled (AdamW, Loshchilov & Hutter, Algorithm 2): also param -= lr * weight_decay * param_old.
 * param, m, v, grad: n */
int sf_adam_update_f32(float *param, float *m, float *v, const float *grad, int64_t n, float lr,
                       float beta1, float beta2, float eps, float weight_decay, int decoupled, int64_t t);
/* The same update in double (the non-parametric fit's Adam). */
int sf_adam_update_f64(double *param, double *m, double *v, const double *grad, int64_t n, double lr,
                       double beta1, double beta2, double eps, double weight_decay, int decoupled, int64_t t);

/* A two-layer MLP (Linear, GELU, Linear) whose first layer is folded through the input
 * embedding E[r] = Q z[r] + s[pos(r)]: the caller passes A = W1 Q and c[:, p] = W1 s[p] + b1, so
 *   out[b, :, i] = W2 GELU(A z[b, :, i] + c[:, pos(i)]) + b2,   pos(i) = i when P == N, 0 when P == 1,
 * for B sequences of N positions, channel-major like the shift kernels below ([B, F, N]: each
 * feature's N positions contiguous, rows ld >= N apart; ct's rows too when P == N).
 * SF_ERR_MEMORY if its scratch cannot be allocated.
 * out: B*O*ld, z: B*F*ld, a: H*F, ct: H*ld (P == N) or H (P == 1), w2: O*H, b2: O */
int sf_folded_mlp_forward_f32(float *out, const float *z, const float *a, const float *ct, const float *w2,
                              const float *b2, int64_t B, int64_t N, int64_t P, int64_t F, int64_t H, int64_t O, int64_t ld);
/* Its backward for dout = dL/dout; recomputes the hidden units (nothing is saved by the forward):
 *   da[j, f] += sum_r dpre[r, j] z[r, f],   dct[j, p] += sum over rows at position p of dpre[r, j],
 *   dw2[k, j] += sum_r dout[r, k] GELU(pre[r, j]),   db2[k] += sum_r dout[r, k],
 *   dz[r, f] += sum_j A[j, f] dpre[r, j]   (dL/dz; skipped when dz is NULL),
 * with dpre = GELU'(pre) * (W2^T dout).  dz: B*F*ld, da: H*F, dct: like ct, dw2: O*H, db2: O, dout: B*O*ld */
int sf_folded_mlp_backward_f32(float *dz, float *da, float *dct, float *dw2, float *db2, const float *dout,
                               const float *z, const float *a, const float *ct, const float *w2, int64_t B, int64_t N, int64_t P,
                               int64_t F, int64_t H, int64_t O, int64_t ld);

/* ChordMixer's parameter-free track rotation. Channels are split into tracks of `track`; track
 * t = c / track is shifted along the sequence by the Chord offset s(t) (s(0) = 0, s(t) = 2^(t-1) mod n):
 *   out[b, i, c] = inp[b, (i + s(t)) mod n, c].      out, inp: batch*n*d (no aliasing) */
int sf_chord_rotate_forward_f32(float *out, const float *inp, int64_t batch, int64_t n, int64_t d, int64_t track);
/* The transpose, accumulated: dinp[b, (i + s(t)) mod n, c] += dout[b, i, c].      dinp, dout: batch*n*d */
int sf_chord_rotate_backward_f32(float *dinp, const float *dout, int64_t batch, int64_t n, int64_t d, int64_t track);

#ifdef __cplusplus
}
#endif

#endif /* SF_NN_H */
