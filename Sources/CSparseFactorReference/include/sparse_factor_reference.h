/* SparseFactor C kernels: naive single-thread references of the fast kernels (test oracles, same contracts; shipped in no product).
 * The conventions shared by every kernel are in sf_common.h. */
#ifndef SPARSE_FACTOR_REFERENCE_H
#define SPARSE_FACTOR_REFERENCE_H

#include <stdint.h>
#include "sparse_factor_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

int sf_ref_shift_factor_forward_f32(float *y, const float *w, const float *x, const float *r, const int64_t *shifts,
                                    int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld);
int sf_ref_shift_factor_backward_f32(float *dx, float *dw, float *dr, const float *dy, const float *w, const float *x,
                                     const int64_t *shifts, int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld,
                                     int accumulate);
int sf_ref_factor_forward_f32(float *y, const float *w, const float *x, const int64_t *cols,
                              int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_ref_factor_forward_f64(double *y, const double *w, const double *x, const int64_t *cols,
                              int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
/* The reference transpose scatters through cols, so it needs no transposed index. */
int sf_ref_factor_transpose_forward_f32(float *y, const float *w, const float *x, const int64_t *cols,
                                        int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_ref_factor_transpose_forward_f64(double *y, const double *w, const double *x, const int64_t *cols,
                                        int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_ref_factor_backward_f32(float *dx, float *dw, const float *dy, const float *w, const float *x,
                               const int64_t *cols, int64_t B, int64_t N, int64_t K, int64_t C,
                               int64_t w_bstride);
int sf_ref_factor_backward_f64(double *dx, double *dw, const double *dy, const double *w, const double *x,
                               const int64_t *cols, int64_t B, int64_t N, int64_t K, int64_t C,
                               int64_t w_bstride);
int sf_ref_chain_forward_f32(float *y, float *acts, const float *w, const float *x, const int64_t *cols,
                             int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_ref_chain_forward_f64(double *y, double *acts, const double *w, const double *x, const int64_t *cols,
                             int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_ref_chain_backward_f32(float *dx, float *dw, const float *dy, const float *acts, const float *w,
                              const float *x, const int64_t *cols,
                              int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_ref_chain_backward_f64(double *dx, double *dw, const double *dy, const double *acts, const double *w,
                              const double *x, const int64_t *cols,
                              int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);

int sf_ref_chord_rotate_forward_f32(float *out, const float *inp, int64_t batch, int64_t n, int64_t d, int64_t track);
int sf_ref_chord_rotate_backward_f32(float *dinp, const float *dout, int64_t batch, int64_t n, int64_t d, int64_t track);
int sf_ref_gelu_forward_f32(float *out, const float *inp, int64_t n);
int sf_ref_gelu_backward_f32(float *dinp, const float *dout, const float *inp, int64_t n);
int sf_ref_layernorm_forward_f32(float *out, float *mean, float *rstd, const float *inp,
                                 const float *weight, const float *bias, int64_t rows, int64_t C, float eps);
int sf_ref_layernorm_backward_f32(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                  const float *weight, const float *mean, const float *rstd, int64_t rows, int64_t C);
int sf_ref_bias_add_forward_f32(float *out, const float *inp, const float *bias, int64_t rows, int64_t C);
int sf_ref_bias_backward_f32(float *dbias, const float *dout, int64_t rows, int64_t C);
int sf_ref_embedding_forward_f32(float *out, const float *weight, const int64_t *ids,
                                 int64_t tokens, int64_t vocab, int64_t D);
int sf_ref_embedding_backward_f32(float *dweight, const float *dout, const int64_t *ids,
                                  int64_t tokens, int64_t vocab, int64_t D);
int sf_ref_folded_mlp_forward_f32(float *out, const float *z, const float *a, const float *ct, const float *w2,
                                  const float *b2, int64_t B, int64_t N, int64_t P, int64_t F, int64_t H, int64_t O, int64_t ld);
int sf_ref_folded_mlp_backward_f32(float *dz, float *da, float *dct, float *dw2, float *db2, const float *dout,
                                   const float *z, const float *a, const float *ct, const float *w2, int64_t B, int64_t N, int64_t P,
                                   int64_t F, int64_t H, int64_t O, int64_t ld);
int sf_ref_adam_update_f32(float *param, float *m, float *v, const float *grad, int64_t n, float lr,
                           float beta1, float beta2, float eps, float weight_decay, int decoupled, int64_t t);
/* Softmax attention, O(n_q n_kv) in double with libm; the backward recomputes the softmax from q and k.
 * The cross form: n_q queries (row stride ld_q) over n_kv keys and values (row stride ld_kv); the
 * self-attention form calls it with n_q = n_kv = n, ld_q = ld_kv = ld. */
int sf_ref_cross_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                                       int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim,
                                       int64_t ld_q, int64_t ld_kv, float scale);
int sf_ref_cross_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out,
                                        const float *lse, const float *q, const float *k, const float *v,
                                        int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim,
                                        int64_t ld_q, int64_t ld_kv, float scale);
int sf_ref_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                                 int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale);
int sf_ref_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                                  const float *q, const float *k, const float *v,
                                  int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale);
/* FAVOR+ attention, in double with libm, the feature matrices phi(Q), phi(K) materialized per (batch, head);
 * the backward recomputes everything from q, k, v (out is only checked for presence). */
int sf_ref_favor_forward_f32(float *out, const float *q, const float *k, const float *v, const float *features,
                             int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m);
int sf_ref_favor_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out,
                              const float *q, const float *k, const float *v, const float *features,
                              int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m);

#ifdef __cplusplus
}
#endif

#endif /* SPARSE_FACTOR_REFERENCE_H */
