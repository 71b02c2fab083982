/* Dense decompositions through LAPACKE (Debian liblapacke-dev, over OpenBLAS).
 * Nothing here is hand-written linear algebra: the wrappers only check sizes, keep the
 * caller's matrix intact (LAPACK overwrites its input) and turn LAPACK's info into an
 * sf_status. */
#include "parallel.h"
#include "sparse_factor_kernels.h"

#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

/* a = u diag(s) vt, the thin SVD by divide and conquer (dgesdd), row-major.
 *   s: min(m,n)   u: m*min(m,n)   vt: min(m,n)*n   a: m*n (read only)
 * With u == NULL and vt == NULL only the singular values are computed (much cheaper).
 * s comes in decreasing order. On SF_ERR_LAPACK (no convergence) s, u and vt are unspecified. */
int sf_svd_f64(double *s, double *u, double *vt, const double *a, int64_t m, int64_t n) {
    if (!s || !a || m <= 0 || n <= 0) return SF_ERR_ARGUMENT;
    if ((u == NULL) != (vt == NULL)) return SF_ERR_ARGUMENT;
    /* lapack_int may be 32-bit: every dimension and the element count must fit. */
    if (m > (int64_t)INT32_MAX || n > (int64_t)INT32_MAX || m > INT64_MAX / n) return SF_ERR_ARGUMENT;
    const int64_t r = m < n ? m : n;
    double *work = (double *)malloc((size_t)(m * n) * sizeof(double));
    if (!work) return SF_ERR_MEMORY;
    memcpy(work, a, (size_t)(m * n) * sizeof(double));
    const int want_vectors = u != NULL;
    sf_blas_single_threaded();
    /* With jobz = 'N' LAPACK references neither u nor vt, but LAPACKE's row-major path still
     * requires ldvt >= n; a one-element dummy stands in for both. */
    double dummy[1] = {0};
    const lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, want_vectors ? 'S' : 'N',
                                           (lapack_int)m, (lapack_int)n, work, (lapack_int)n, s,
                                           want_vectors ? u : dummy, want_vectors ? (lapack_int)r : 1,
                                           want_vectors ? vt : dummy, (lapack_int)n);
    free(work);
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR) return SF_ERR_MEMORY;
    if (info < 0) return SF_ERR_ARGUMENT;
    if (info > 0) return SF_ERR_LAPACK; /* the divide-and-conquer iteration did not converge */
    return SF_OK;
}
