/* SparseFactor C kernels: multi-head softmax attention (Float32), the FlashAttention algorithm on the CPU.
 * The conventions shared by every kernel are in sf_common.h. */
#ifndef SF_ATTENTION_H
#define SF_ATTENTION_H

#include <stdint.h>
#include "sf_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Non-causal multi-head softmax attention, out = softmax(scale · Q Kᵀ) V per (batch, head), computed in
 * tiles with an online softmax; never an N×N buffer (memory O(N·Dh) per thread).
 * Layout: position-major with a row stride. q, k, v: element (b, i, h, d) at [(b*n + i)*ld + h*head_dim + d]
 * (so q, k, v can be three column slices of one packed [B, N, 3D] buffer with ld = 3D).
 * out: [(b*n + i)*(heads*head_dim) + h*head_dim + d] (contiguous [B, N, H*Dh]).
 * lse: [(b*heads + h)*n + i] = log Σ_j exp(scale · q_i·k_j), saved for backward.
 * out: B*N*H*Dh, lse: B*H*N, q/k/v: B*N*ld (ld >= heads*head_dim) */
int sf_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                             int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale);
/* Backward of the above, recomputing the scores from q, k and lse (FlashAttention-2's backward).
 * dq, dk, dv accumulate (+=) in the same layout as q, k, v (stride ld; they may be slices of one packed buffer).
 * dout, out: [B, N, H*Dh] contiguous; lse from the forward.
 * SF_ERR_MEMORY if its scratch (B*H*N floats) cannot be allocated. */
int sf_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                              const float *q, const float *k, const float *v,
                              int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale);

#ifdef __cplusplus
}
#endif

#endif /* SF_ATTENTION_H */
