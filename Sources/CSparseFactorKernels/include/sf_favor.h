/* SparseFactor C kernels: Performer's FAVOR+ attention (Float32), positive orthogonal random features, non-causal.
 * The conventions shared by every kernel are in sf_common.h. */
#ifndef SF_FAVOR_H
#define SF_FAVOR_H

#include <stdint.h>
#include "sf_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* FAVOR+ attention (Choromanski et al. 2021), per (batch b, head h), with x~ = x · head_dim^(-1/4):
 *   phi(x~)_r = exp(w_r . x~ - |x~|^2 / 2 - s) / sqrt(m),   r = 1..m, w the head's m x head_dim features;
 *   out_i = (phi(q_i)^T S) / (phi(q_i)^T z),   S = sum_j phi(k_j) v_j^T (m x head_dim),  z = sum_j phi(k_j).
 * Stabilizers s: a query's own max over r of w_r . x~ - |x~|^2 / 2; for keys one max over all rows and r of the
 * (b, h). Both cancel exactly in the ratio. The denominator is floored at FLT_MIN (it is >= phi_max(q) z_r*,
 * so this only acts when every key's feature underflowed): such a row comes out 0 instead of NaN.
 * Scratch: S and z per (b, h), and per thread the features of one chunk of positions (never an N x m buffer).
 * Layout as sf_attention.h: q, k, v element (b, i, h, d) at [(b*n + i)*ld + h*head_dim + d] (three slices of a
 * packed [B, N, 3D] buffer with ld = 3D); out contiguous [B, N, H*Dh];
 * features: row r of head h at [(h*m + r)*head_dim].
 * out: B*N*H*Dh, q/k/v: B*N*ld (ld >= heads*head_dim), features: heads*m*head_dim */
int sf_favor_forward_f32(float *out, const float *q, const float *k, const float *v, const float *features,
                         int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m);
/* Backward of the above. dq, dk, dv accumulate (+=), same layout as q, k, v (they may be slices of one packed
 * buffer); dout and out are [B, N, H*Dh] (out from the forward). Recomputes the features and S, z from q, k, v.
 * The features get no gradient (fixed random features). */
int sf_favor_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out,
                          const float *q, const float *k, const float *v, const float *features,
                          int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m);
/* Positive orthogonal random features for `heads` heads, FAVOR+'s: per head, blocks of head_dim orthogonal
 * directions (Gram-Schmidt, twice, of Gaussian rows; the last block keeps its first m mod head_dim rows), each row
 * rescaled to the norm of an independent Gaussian vector of head_dim entries. Gaussians by the Marsaglia polar
 * method on SplitMix64(seed), in double with IEEE +, -, *, /, sqrt only (its own log, no FMA contraction), so the
 * same seed gives the same bits on every machine and thread count. features: heads*m*head_dim */
int sf_favor_features_f32(float *features, int64_t heads, int64_t m, int64_t head_dim, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif /* SF_FAVOR_H */
