/*
 * SparseFactor C kernels: the hot path of the package.
 *
 * Conventions (shared by every kernel below):
 *   - Outputs come first, then inputs, then sizes (llm.c style).
 *   - Dense blocks are row-major. A batch of B blocks of N rows and C channels is one
 *     contiguous array of B*N*C scalars: element (b, i, c) lives at [(b*N + i)*C + c].
 *   - A sparse factor W (N x N) stores K links per row. Link k of row i has the column
 *     cols[i*K + k] and the value w[b*w_bstride + i*K + k]. With w_bstride == 0 every
 *     batch item shares one factor; with w_bstride == N*K (or M*N*K for a chain) every
 *     batch item has its own values.
 *   - A chain of M factors stores factor m (1-based) of batch item b at
 *     w[b*w_bstride + (m-1)*N*K + ...]; all factors share cols.
 *     The chain product is Y = W_1 * W_2 * ... * W_M * X, so W_M is applied first.
 *   - tptr (N+1) / tlink (N*K) is the transposed index: the links that land on column j
 *     are tlink[tptr[j] .. tptr[j+1]-1], each a flattened link index l = i*K + k, in
 *     increasing order.
 *   - Forward kernels overwrite their outputs; backward kernels accumulate (+=) into the
 *     gradients, so zeroing them is the caller's job.
 *   - Every fast kernel is parallel over output rows, and each output row is computed by
 *     exactly one thread in a fixed order, so results are bit-identical for any number of
 *     threads. Each has a naive single-thread reference (sf_ref_*) used as the test oracle.
 *   - Every kernel returns SF_OK or an sf_status error code; nothing is written on error.
 */
#ifndef SPARSE_FACTOR_KERNELS_H
#define SPARSE_FACTOR_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SF_OK = 0,
    SF_ERR_ARGUMENT = 1, /* a null pointer or a size out of range */
    SF_ERR_MEMORY = 2,   /* scratch memory could not be allocated */
    SF_ERR_LAPACK = 3    /* LAPACK reported a failure (e.g. SVD did not converge) */
} sf_status;

/* ---- threading ------------------------------------------------------------------- */

/* Number of threads the kernels use; 0 (the default) means the OpenMP runtime's default,
 * which honours OMP_NUM_THREADS. */
void sf_set_num_threads(int threads);
/* The number of threads a parallel kernel would request now. */
int sf_get_num_threads(void);
/* The count last given to sf_set_num_threads, or 0 for the runtime default. */
int sf_get_requested_threads(void);
/* Which vector code path the CPU runs: "x86-64-v4 (AVX-512)", "x86-64-v3 (AVX2)" or "baseline". */
const char *sf_cpu_dispatch_name(void);

/* ---- one factor ---------------------------------------------------------------------- */

/* y = W x.        y: B*N*C, w: see w_bstride, x: B*N*C, cols: N*K */
int sf_factor_forward_f32(float *y, const float *w, const float *x, const int64_t *cols,
                          int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_factor_forward_f64(double *y, const double *w, const double *x, const int64_t *cols,
                          int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);

/* y = W^T x.      y: B*N*C, x: B*N*C, tptr: N+1, tlink: N*K */
int sf_factor_transpose_forward_f32(float *y, const float *w, const float *x,
                                    const int64_t *tptr, const int64_t *tlink,
                                    int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_factor_transpose_forward_f64(double *y, const double *w, const double *x,
                                    const int64_t *tptr, const int64_t *tlink,
                                    int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);

/* Backward of y = W x given dy:
 *   dx += W^T dy                        (skipped when dx is NULL)          dx: B*N*C
 *   dw[i,k] += sum_c dy[i,c] x[cols[i,k],c]  (skipped when dw is NULL)
 * dw has w's layout: N*K summed over the batch when w_bstride == 0, else B*(w_bstride). */
int sf_factor_backward_f32(float *dx, float *dw, const float *dy, const float *w, const float *x,
                           const int64_t *cols, const int64_t *tptr, const int64_t *tlink,
                           int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_factor_backward_f64(double *dx, double *dw, const double *dy, const double *w, const double *x,
                           const int64_t *cols, const int64_t *tptr, const int64_t *tlink,
                           int64_t B, int64_t N, int64_t K, int64_t C, int64_t w_bstride);

/* ---- chains of M factors ------------------------------------------------------------ */

/* y = W_1 W_2 ... W_M x.     y: B*N*C, x: B*N*C, w: M*N*K per batch item (w_bstride 0 or M*N*K)
 * acts: (M-1)*B*N*C, receives Z_m = W_{m+1} ... W_M x for m = 1..M-1 (Z_m at acts + (m-1)*B*N*C),
 * which sf_chain_backward needs; pass NULL when no backward follows. */
int sf_chain_forward_f32(float *y, float *acts, const float *w, const float *x, const int64_t *cols,
                         int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_chain_forward_f64(double *y, double *acts, const double *w, const double *x, const int64_t *cols,
                         int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);

/* y = (W_1 ... W_M)^T x = W_M^T ... W_1^T x. */
int sf_chain_transpose_forward_f32(float *y, const float *w, const float *x,
                                   const int64_t *tptr, const int64_t *tlink,
                                   int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_chain_transpose_forward_f64(double *y, const double *w, const double *x,
                                   const int64_t *tptr, const int64_t *tlink,
                                   int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);

/* Backward of sf_chain_forward given dy and the acts it filled:
 *   dx += (W_1 ... W_M)^T dy (skipped when dx is NULL), dw += dL/dW_m for every m (w's layout). */
int sf_chain_backward_f32(float *dx, float *dw, const float *dy, const float *acts, const float *w,
                          const float *x, const int64_t *cols, const int64_t *tptr, const int64_t *tlink,
                          int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_chain_backward_f64(double *dx, double *dw, const double *dy, const double *acts, const double *w,
                          const double *x, const int64_t *cols, const int64_t *tptr, const int64_t *tlink,
                          int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);

/* ---- the fitting objective of a chain ------------------------------------------------ */

/* loss = 1/2 ||A - W_1 W_2 ... W_M||_F^2 (overwritten) and, when dw is not NULL,
 * dw += dloss/dw (w's chain layout; the caller zeroes it for the gradient alone).
 *   loss: 1   dw: M*N*K or NULL   scratch: scratch_count doubles (contents ignored, clobbered)
 *   a: N*N (row-major)   w: M*N*K (one chain, shared layout)   cols: N*K   tptr: N+1   tlink: N*K
 * The same numbers as sf_chain_forward/backward on the N x N identity, without an N x N
 * intermediate: the identity is taken a block of columns at a time, and every block's chain
 * stays in cache. Parallel over fixed chunks of columns, each with its own partial gradient
 * summed in chunk order afterwards: bit-identical for any number of threads (but not to
 * the chain kernels, which sum in another order). SF_ERR_ARGUMENT for a NULL pointer (other
 * than dw), sizes out of range, or scratch_count below sf_chain_objective_scratch_f64. */
int sf_chain_objective_f64(double *loss, double *dw, double *scratch, const double *a, const double *w,
                           const int64_t *cols, const int64_t *tptr, const int64_t *tlink,
                           int64_t M, int64_t N, int64_t K, int64_t scratch_count);
/* The scratch (in doubles) sf_chain_objective_f64 needs for these sizes: at most
 * 256*M*N + 9*M*N*(K+3) + 64, e.g. 1.7 million (14 MB) for N = 512, M = 9, K = 10; 0 when
 * the sizes are out of range (M, N or K < 1, or too large). Only the part for the threads
 * that run is ever touched. */
int64_t sf_chain_objective_scratch_f64(int64_t M, int64_t N, int64_t K);

/* ---- Chord factors in diagonal form, channel-major blocks (Float32, PSF-Attn) ---------
 * A factor whose row i links to (i + s_k) mod N (k = 0..K-1) is sum_k diag(w_k) S^{s_k}.
 * Blocks are stored channel by channel ([B, C, N]) and values link by link ([B, K, N]), so
 * every product runs over contiguous shifted rows. Every row of N positions starts ld >= N
 * floats after the previous one (pad ld away from multiples of 1024 floats: rows 4 KiB apart
 * halve the speed). Each output row has one owning thread; links (forward, input gradient)
 * and channels (value gradient) are added in order. */

/* y[b, c, i] = r[b, c, i] + sum_k w[b, k, i] x[b, c, (i + s_k) mod N] (r NULL: zero).
 * y, x, r: B*C*ld, w: B*K*ld, shifts: K (each in [0, N)); y must not overlap x (it may be r). */
int sf_shift_factor_forward_f32(float *y, const float *w, const float *x, const float *r, const int64_t *shifts,
                                int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld);
/* dx[b, c, (i + s_k) mod N] (+)= w[b, k, i] dy[b, c, i] summed over k, i (skipped when dx is NULL);
 * dw[b, k, i] (+)= sum_c dy[b, c, i] x[b, c, (i + s_k) mod N] (skipped when dw is NULL);
 * dr += dy (the residual's gradient; skipped when dr is NULL). "(+)=" adds when accumulate is
 * non-zero and overwrites when it is 0.  dx, dr, dy, x: B*C*ld, dw, w: B*K*ld, shifts: K */
int sf_shift_factor_backward_f32(float *dx, float *dw, float *dr, const float *dy, const float *w, const float *x,
                                 const int64_t *shifts, int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld,
                                 int accumulate);

/* ---- naive single-thread references (test oracles; same contracts as above) ------------ */

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

/* ---- dense algebra through BLAS ------------------------------------------------------ */

/* c = alpha * op(a) op(b) + beta * c, row-major, op = transpose when trans_* != 0.
 * op(a): m*k, op(b): k*n, c: m*n. Over cblas_?gemm: the output is cut into fixed blocks run on our
 * threads, bit-identical for any thread count; the first call makes OpenBLAS single-threaded
 * (process-wide, LAPACK included) so its pool does not compete with ours (dense.c). */
int sf_gemm_f32(float *c, const float *a, const float *b, int trans_a, int trans_b,
                int64_t m, int64_t n, int64_t k, float alpha, float beta);
int sf_gemm_f64(double *c, const double *a, const double *b, int trans_a, int trans_b,
                int64_t m, int64_t n, int64_t k, double alpha, double beta);

/* ---- dense decompositions through LAPACKE (lapack.c) ---------------------------------- */

/* a = u diag(s) vt, thin SVD by LAPACKE_dgesdd, row-major; a is not modified.
 *   s: min(m,n) (decreasing)   u: m*min(m,n)   vt: min(m,n)*n   a: m*n
 * u == vt == NULL computes the singular values only. SF_ERR_LAPACK when the SVD does not
 * converge (then s, u, vt are unspecified). */
int sf_svd_f64(double *s, double *u, double *vt, const double *a, int64_t m, int64_t n);

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

/* Naive single-thread references of the kernels above (test oracles; same contracts). */
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

#ifdef __cplusplus
}
#endif

#endif /* SPARSE_FACTOR_KERNELS_H */
