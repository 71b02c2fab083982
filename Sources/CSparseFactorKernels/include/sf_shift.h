/* SparseFactor C kernels: Chord factors in diagonal form on channel-major blocks (PSF-Attn).
 * The conventions shared by every kernel are in sf_common.h. */
#ifndef SF_SHIFT_H
#define SF_SHIFT_H

#include <stdint.h>
#include "sf_common.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* SF_SHIFT_H */
