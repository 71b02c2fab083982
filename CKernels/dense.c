/* Dense algebra goes through BLAS (OpenBLAS's cblas); nothing here is hand-written GEMM. */
#include "sparse_factor_kernels.h"

#include <cblas.h>

int sf_gemm_f32(float *c, const float *a, const float *b, int trans_a, int trans_b,
                int64_t m, int64_t n, int64_t k, float alpha, float beta) {
    if (!c || !a || !b || m <= 0 || n <= 0 || k <= 0) return SF_ERR_ARGUMENT;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                (blasint)m, (blasint)n, (blasint)k, alpha, a, (blasint)(trans_a ? m : k),
                b, (blasint)(trans_b ? k : n), beta, c, (blasint)n);
    return SF_OK;
}

int sf_gemm_f64(double *c, const double *a, const double *b, int trans_a, int trans_b,
                int64_t m, int64_t n, int64_t k, double alpha, double beta) {
    if (!c || !a || !b || m <= 0 || n <= 0 || k <= 0) return SF_ERR_ARGUMENT;
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                (blasint)m, (blasint)n, (blasint)k, alpha, a, (blasint)(trans_a ? m : k),
                b, (blasint)(trans_b ? k : n), beta, c, (blasint)n);
    return SF_OK;
}
