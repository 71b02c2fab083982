/* Internal: branch-free float math shared by the neural-network kernels (GELU and its
 * derivative), written so that loops calling it vectorize. */
#ifndef SF_NN_MATH_H
#define SF_NN_MATH_H

#include <math.h>
#include <stdint.h>

/* erf(x) for float, branch-free so that the loops below vectorize: a rational minimax
 * approximation x * P(x^2) / Q(x^2) on [-4, 4] (erf is +-1 in float beyond), the form used by
 * Eigen and XLA for float erf. Maximum error about 1e-7 absolute against erf in double
 * (checked by the tests against sf_ref_gelu_*, which call libm). */
static inline float nn_erf(float x) {
    const float clamp = 3.832506856900711f;
    x = x < -clamp ? -clamp : (x > clamp ? clamp : x);
    const float x2 = x * x;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 + -2.10102402082508e-06f;
    p = p * x2 + -5.69250639462346e-05f;
    p = p * x2 + -7.34990630326855e-04f;
    p = p * x2 + -2.95459980854025e-03f;
    p = p * x2 + -1.60960333262415e-02f;
    p = p * x;
    float q = -1.45660718464996e-05f;
    q = q * x2 + -2.13374055278905e-04f;
    q = q * x2 + -1.68282697438203e-03f;
    q = q * x2 + -7.37332916720468e-03f;
    q = q * x2 + -1.42647390514189e-02f;
    /* A true division: in these throughput-bound loops the divider runs beside the FMA pipes,
     * which a Newton-iteration reciprocal would occupy instead (measured slower on AVX-512). */
    return p / q;
}

/* exp(x) for x <= 0 as needed by the normal density, branch-free: x = k ln2 + r with
 * |r| <= ln2/2 (Cody-Waite split of ln2), e^r by a degree-6 Taylor polynomial (error below
 * 2 ulp), 2^k built in the exponent bits. Inputs below -87 flush to 0. */
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

/* Phi(x), the standard normal distribution function, and phi(x), its density. */
static inline float nn_gelu_cdf(float x) { return 0.5f * (1.0f + nn_erf(x * 0.70710678118654752f)); }
static inline float nn_normal_pdf(float x) { return 0.39894228040143268f * nn_exp_nonpositive(-0.5f * x * x); }

/* GELU(x) = x Phi(x) (exact, erf form, as PyTorch's nn.GELU()). */
static inline float nn_gelu(float x) { return 0.5f * x * (1.0f + nn_erf(x * 0.70710678118654752f)); }

/* GELU'(x) = Phi(x) + x phi(x). */
static inline float nn_gelu_derivative(float x) { return nn_gelu_cdf(x) + x * nn_normal_pdf(x); }

#endif
