/* SparseFactor C kernels: one Chord factor and chains of factors (row-major blocks).
 * The conventions shared by every kernel are in sf_common.h. */
#ifndef SF_FACTOR_H
#define SF_FACTOR_H

#include <stdint.h>
#include "sf_common.h"

#ifdef __cplusplus
extern "C" {
#endif

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
 * which sf_chain_backward needs; pass NULL when no backward follows. Without acts, an item's
 * block wider than 256 bytes of channels and larger than 1 MiB goes through the whole chain 256
 * bytes of channels at a time (in cache; scratch 2*N*256 bytes instead of 2*B*N*C scalars), with
 * the same bits. */
int sf_chain_forward_f32(float *y, float *acts, const float *w, const float *x, const int64_t *cols,
                         int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);
int sf_chain_forward_f64(double *y, double *acts, const double *w, const double *x, const int64_t *cols,
                         int64_t B, int64_t M, int64_t N, int64_t K, int64_t C, int64_t w_bstride);

/* y = (W_1 ... W_M)^T x = W_M^T ... W_1^T x (wide blocks a band at a time, as above). */
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

#ifdef __cplusplus
}
#endif

#endif /* SF_FACTOR_H */
