/* SparseFactor C kernels: multi-head softmax attention (Float32), the FlashAttention algorithm on the CPU.
 * The conventions shared by every kernel are in sf_common.h. */
#ifndef SF_ATTENTION_H
#define SF_ATTENTION_H

#include <stdint.h>
#include "sf_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Non-causal multi-head softmax attention of n_q queries over n_kv keys and values per (batch, head):
 * out = softmax(scale · Q Kᵀ) V, computed in tiles with an online softmax; never an n_q×n_kv buffer
 * (memory O(n·Dh) per thread). For Linformer (keys and values projected along the sequence to k rows),
 * cross-attention, or self-attention (sf_attention_forward_f32 below).
 * Layout: position-major with a row stride per side.
 * q: element (b, i, h, d) at [(b*n_q + i)*ld_q + h*head_dim + d];
 * k, v: element (b, j, h, d) at [(b*n_kv + j)*ld_kv + h*head_dim + d] (so k and v can be two column
 * slices of one packed [B, n_kv, 2D] buffer with ld_kv = 2D, and q a slice of a [B, n_q, 3D] one).
 * out: [(b*n_q + i)*(heads*head_dim) + h*head_dim + d] (contiguous [B, n_q, H*Dh]).
 * lse: [(b*heads + h)*n_q + i] = log Σ_j exp(scale · q_i·k_j), saved for backward.
 * SF_ERR_ARGUMENT for a null pointer, a size < 1, ld_q or ld_kv < heads*head_dim, or an array too large.
 * out: B*n_q*H*Dh, lse: B*H*n_q, q: B*n_q*ld_q, k/v: B*n_kv*ld_kv */
int sf_cross_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                                   int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim,
                                   int64_t ld_q, int64_t ld_kv, float scale);
/* Backward of the above, recomputing the scores from q, k and lse (FlashAttention-2's backward).
 * dq (stride ld_q), dk, dv (stride ld_kv) accumulate (+=) in the layouts of q, k, v (they may be slices
 * of packed buffers). dout, out: [B, n_q, H*Dh] contiguous; lse from the forward.
 * SF_ERR_MEMORY if its scratch (B*H*n_q floats) cannot be allocated.
 * dq: B*n_q*ld_q, dk/dv: B*n_kv*ld_kv, dout/out: B*n_q*H*Dh, lse: B*H*n_q, q: B*n_q*ld_q, k/v: B*n_kv*ld_kv */
int sf_cross_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                                    const float *q, const float *k, const float *v,
                                    int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim,
                                    int64_t ld_q, int64_t ld_kv, float scale);

/* Self-attention: sf_cross_attention_*_f32 with n_q = n_kv = n and ld_q = ld_kv = ld.
 * q, k, v: element (b, i, h, d) at [(b*n + i)*ld + h*head_dim + d] (so q, k, v can be three column
 * slices of one packed [B, N, 3D] buffer with ld = 3D); out: contiguous [B, N, H*Dh]; lse: [B, H, N].
 * out: B*N*H*Dh, lse: B*H*N, q/k/v: B*N*ld (ld >= heads*head_dim) */
int sf_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                             int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale);
/* dq, dk, dv accumulate (+=) with stride ld; dout, out: [B, N, H*Dh]; scratch B*H*N floats. */
int sf_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                              const float *q, const float *k, const float *v,
                              int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale);

#ifdef __cplusplus
}
#endif

#endif /* SF_ATTENTION_H */
