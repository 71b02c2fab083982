/* SparseFactor C kernels: dense algebra through BLAS and LAPACKE.
 * The conventions shared by every kernel are in sf_common.h. */
#ifndef SF_DENSE_H
#define SF_DENSE_H

#include <stdint.h>
#include "sf_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- dense algebra through BLAS ------------------------------------------------------ */

/* c = alpha * op(a) op(b) + beta * c, row-major, op = transpose when trans_* != 0.
 * op(a): m*k, op(b): k*n, c: m*n. Over cblas_?gemm: the output is cut into fixed blocks run on our
 * threads, bit-identical for any thread count; the first call makes OpenBLAS single-threaded
 * (process-wide, LAPACK included) so its pool does not compete with ours (dense.c). */
int sf_gemm_f32(float *c, const float *a, const float *b, int trans_a, int trans_b,
                int64_t m, int64_t n, int64_t k, float alpha, float beta);
int sf_gemm_f64(double *c, const double *a, const double *b, int trans_a, int trans_b,
                int64_t m, int64_t n, int64_t k, double alpha, double beta);

/* The kernel family OpenBLAS picked for this CPU at load time ("SkylakeX", "Haswell", ...). An
 * OpenBLAS older than the CPU falls back to a generic one ("Prescott": SSE3), several times slower;
 * OPENBLAS_CORETYPE overrides the choice. */
const char *sf_blas_core_name(void);

/* ---- dense decompositions through LAPACKE (lapack.c) ---------------------------------- */

/* a = u diag(s) vt, thin SVD by LAPACKE_dgesdd, row-major; a is not modified.
 *   s: min(m,n) (decreasing)   u: m*min(m,n)   vt: min(m,n)*n   a: m*n
 * u == vt == NULL computes the singular values only. SF_ERR_LAPACK when the SVD does not
 * converge (then s, u, vt are unspecified). */
int sf_svd_f64(double *s, double *u, double *vt, const double *a, int64_t m, int64_t n);

#ifdef __cplusplus
}
#endif

#endif /* SF_DENSE_H */
