/* Reference kernels, instantiated for float and double from reference_kernels.inc. */
#include "sparse_factor_reference.h"

/* The oracles share no code with the fast kernels they check: their own helpers. */
#define SF_CAT_(a, b) a##b
#define SF_CAT(a, b) SF_CAT_(a, b)
static inline int sf_sizes_ok(int64_t B, int64_t N, int64_t K, int64_t C) {
    return B > 0 && N > 0 && K > 0 && C > 0;
}

#include <stdlib.h>
#include <string.h>

#define REAL float
#define SFX f32
#include "reference_kernels.inc"
#undef REAL
#undef SFX

#define REAL double
#define SFX f64
#include "reference_kernels.inc"
#undef REAL
#undef SFX

/* ---- Chord factors in diagonal form, channel-major (Float32) ----------------------------
 * One output element at a time, in double, straight from the definitions. Rows ld apart. */

static int ref_shift_args_ok(const int64_t *shifts, int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld) {
    if (!shifts || B <= 0 || N <= 0 || K <= 0 || C <= 0 || ld < N) return 0;
    for (int64_t k = 0; k < K; k++)
        if (shifts[k] < 0 || shifts[k] >= N) return 0;
    return 1;
}

/* y: B*C*ld, w: B*K*ld, x: B*C*ld, r: B*C*ld or NULL, shifts: K */
int sf_ref_shift_factor_forward_f32(float *y, const float *w, const float *x, const float *r, const int64_t *shifts,
                                    int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld) {
    if (!y || !w || !x || !ref_shift_args_ok(shifts, B, N, K, C, ld)) return SF_ERR_ARGUMENT;
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < N; i++) {
                double s = r ? r[(b * C + c) * ld + i] : 0.0;
                for (int64_t k = 0; k < K; k++)
                    s += (double)w[(b * K + k) * ld + i] * x[(b * C + c) * ld + (i + shifts[k]) % N];
                y[(b * C + c) * ld + i] = (float)s;
            }
    return SF_OK;
}

/* dx, dr: B*C*ld (or NULL), dw: B*K*ld (or NULL), dy: B*C*ld, w: B*K*ld, x: B*C*ld, shifts: K */
int sf_ref_shift_factor_backward_f32(float *dx, float *dw, float *dr, const float *dy, const float *w, const float *x,
                                     const int64_t *shifts, int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld,
                                     int accumulate) {
    if (!dy || !w || !x || !ref_shift_args_ok(shifts, B, N, K, C, ld)) return SF_ERR_ARGUMENT;
    for (int64_t b = 0; b < B; b++) {
        if (dw)
            for (int64_t k = 0; k < K; k++)
                for (int64_t i = 0; i < N; i++) {
                    double s = accumulate ? dw[(b * K + k) * ld + i] : 0.0;
                    for (int64_t c = 0; c < C; c++)
                        s += (double)dy[(b * C + c) * ld + i] * x[(b * C + c) * ld + (i + shifts[k]) % N];
                    dw[(b * K + k) * ld + i] = (float)s;
                }
        if (dx)
            for (int64_t c = 0; c < C; c++)
                for (int64_t j = 0; j < N; j++) {
                    double s = accumulate ? dx[(b * C + c) * ld + j] : 0.0;
                    for (int64_t k = 0; k < K; k++) {
                        const int64_t i = (j - shifts[k] + N) % N;
                        s += (double)w[(b * K + k) * ld + i] * dy[(b * C + c) * ld + i];
                    }
                    dx[(b * C + c) * ld + j] = (float)s;
                }
        if (dr)
            for (int64_t c = 0; c < C; c++)
                for (int64_t i = 0; i < N; i++) dr[(b * C + c) * ld + i] += dy[(b * C + c) * ld + i];
    }
    return SF_OK;
}
