/*
 * SparseFactor C kernels: conventions, status codes and threading.
 *
 * Conventions (shared by every kernel below):
 *   - Outputs come first, then inputs, then sizes (llm.c style).
 *   - Dense blocks are row-major. A batch of B blocks of N rows and C channels is one
 *     contiguous array of B*N*C scalars: element (b, i, c) lives at [(b*N + i)*C + c].
 *   - A sparse factor W (N x N) stores K links per row. Link k of row i has the column
 *     cols[i*K + k] and the value w[b*w_bstride + i*K + k]. With w_bstride == 0 every
 *     batch item shares one factor; with w_bstride == N*K (or M*N*K for a chain) every
 *     batch item has its own values.
 *   - A chain of M factors stores factor m (1-based) of batch item b at
 *     w[b*w_bstride + (m-1)*N*K + ...]; all factors share cols.
 *     The chain product is Y = W_1 * W_2 * ... * W_M * X, so W_M is applied first.
 *   - tptr (N+1) / tlink (N*K) is the transposed index: the links that land on column j
 *     are tlink[tptr[j] .. tptr[j+1]-1], each a flattened link index l = i*K + k, in
 *     increasing order.
 *   - Forward kernels overwrite their outputs; backward kernels accumulate (+=) into the
 *     gradients, so zeroing them is the caller's job.
 *   - Every fast kernel is parallel over output rows, and each output row is computed by
 *     exactly one thread in a fixed order, so results are bit-identical for any number of
 *     threads. Each has a naive single-thread reference (sf_ref_*, in the CSparseFactorReference target that no product ships) used as the test oracle.
 *   - Every kernel returns SF_OK or an sf_status error code; nothing is written on error.
 */
#ifndef SF_COMMON_H
#define SF_COMMON_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SF_OK = 0,
    SF_ERR_ARGUMENT = 1, /* a null pointer or a size out of range */
    SF_ERR_MEMORY = 2,   /* scratch memory could not be allocated */
    SF_ERR_LAPACK = 3    /* LAPACK reported a failure (e.g. SVD did not converge) */
} sf_status;

/* ---- threading ------------------------------------------------------------------- */

/* Number of threads the kernels use; 0 (the default) means the OpenMP runtime's default,
 * which honours OMP_NUM_THREADS. */
void sf_set_num_threads(int threads);
/* The number of threads a parallel kernel would request now. */
int sf_get_num_threads(void);
/* The count last given to sf_set_num_threads, or 0 for the runtime default. */
int sf_get_requested_threads(void);
/* Which vector code path the CPU runs: "x86-64-v4 (AVX-512)", "x86-64-v3 (AVX2)" or "baseline". */
const char *sf_cpu_dispatch_name(void);

#ifdef __cplusplus
}
#endif

#endif /* SF_COMMON_H */
