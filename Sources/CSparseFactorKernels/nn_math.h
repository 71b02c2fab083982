/* Internal: branch-free float math shared by the neural-network kernels (GELU and its
 * derivative), written so that loops calling it vectorize. */
#ifndef SF_NN_MATH_H
#define SF_NN_MATH_H

#include <math.h>
#include <stdint.h>

/* erf(z) / 2 for float, branch-free so that the loops below vectorize: a rational minimax
 * approximation z P(z^2) / Q(z^2) on [-3.83, 3.83] (erf is +-1 in float beyond), the form used
 * by Eigen and XLA for float erf, with P's coefficients halved (exact: a power of two). Maximum
 * error about 1e-7 absolute against erf in double (checked by the tests against sf_ref_gelu_*,
 * which call libm). z2 = z^2, computed by the caller, who may need it too. */
static inline float nn_half_erf(float z, float z2) {
    const float clamp = 3.832506856900711f;
    z = z < -clamp ? -clamp : (z > clamp ? clamp : z);
    z2 = z2 > clamp * clamp ? clamp * clamp : z2;
    float p = -1.36307112900653e-10f;
    p = p * z2 + 1.38534071247951e-08f;
    p = p * z2 + -1.05051201041254e-06f;
    p = p * z2 + -2.84625319731173e-05f;
    p = p * z2 + -3.674953151634275e-04f;
    p = p * z2 + -1.477299904270125e-03f;
    p = p * z2 + -8.04801666312075e-03f;
    p = p * z;
    float q = -1.45660718464996e-05f;
    q = q * z2 + -2.13374055278905e-04f;
    q = q * z2 + -1.68282697438203e-03f;
    q = q * z2 + -7.37332916720468e-03f;
    q = q * z2 + -1.42647390514189e-02f;
    /* A true division: in these throughput-bound loops the divider runs beside the FMA pipes,
     * which a Newton-iteration reciprocal would occupy instead (measured slower on AVX-512). */
    return p / q;
}

/* exp(x) for x <= 0, branch-free: x = k ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2),
 * e^r by a degree-6 Taylor polynomial (error below 2 ulp), 2^k built in the exponent bits.
 * Inputs below -87 flush to 0. */
static inline float nn_exp_nonpositive(float x) {
    x = x < -87.0f ? -87.0f : x;
    const float k = floorf(x * 1.44269504088896341f + 0.5f);
    const float r = (x - k * 0.693359375f) - k * -2.12194440e-4f;
    float e = 1.0f / 720.0f;
    e = e * r + 1.0f / 120.0f;
    e = e * r + 1.0f / 24.0f;
    e = e * r + 1.0f / 6.0f;
    e = e * r + 0.5f;
    e = e * r + 1.0f;
    e = e * r + 1.0f;
    union { int32_t i; float f; } scale;
    scale.i = ((int32_t)k + 127) << 23;
    return e * scale.f;
}

/* Phi(x), the standard normal distribution function. */
static inline float nn_gelu_cdf(float x) {
    const float z = x * 0.70710678118654752f;
    return 0.5f + nn_half_erf(z, z * z);
}

/* Phi(x) and phi(x), the normal density, sharing z^2 = x^2 / 2: phi(x) = exp(-z^2 - ln sqrt(2 pi)),
 * the constant folded into the exponent instead of a multiply. */
static inline float nn_gelu_cdf_pdf(float x, float *pdf) {
    const float z = x * 0.70710678118654752f;
    const float z2 = z * z;
    *pdf = nn_exp_nonpositive(-z2 - 0.91893853320467274f);
    return 0.5f + nn_half_erf(z, z2);
}

/* GELU(x) = x Phi(x) (exact, erf form, as PyTorch's nn.GELU()). */
static inline float nn_gelu(float x) { return x * nn_gelu_cdf(x); }

/* GELU'(x) = Phi(x) + x phi(x). */
static inline float nn_gelu_derivative(float x) {
    float pdf;
    const float cdf = nn_gelu_cdf_pdf(x, &pdf);
    return cdf + x * pdf;
}

/* In place over n floats: hid = GELU(hid), and gp = GELU'(old hid) when gp != NULL. Picks the
 * fastest path the CPU has (gelu_fast.c); results differ between paths by about 1e-7. */
void nn_gelu_block(float *hid, float *gp, int64_t n);

#endif
