/* SparseFactor C kernels: the fitting objective of a chain.
 * The conventions shared by every kernel are in sf_common.h. */
#ifndef SF_OBJECTIVE_H
#define SF_OBJECTIVE_H

#include <stdint.h>
#include "sf_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the fitting objective of a chain ------------------------------------------------ */

/* loss = 1/2 ||A - W_1 W_2 ... W_M||_F^2 (overwritten) and, when dw is not NULL,
 * dw += dloss/dw (w's chain layout; the caller zeroes it for the gradient alone).
 *   loss: 1   dw: M*N*K or NULL   scratch: scratch_count scalars (contents ignored, clobbered)
 *   a: N*N (row-major)   w: M*N*K (one chain, shared layout)   cols: N*K   tptr: N+1   tlink: N*K
 * The same numbers as sf_chain_forward/backward on the N x N identity, without an N x N
 * intermediate: the identity is taken a block of columns at a time, and every block's chain
 * stays in cache. Parallel over fixed chunks of columns, each with its own partial gradient
 * summed in chunk order afterwards: bit-identical for any number of threads (but not to
 * the chain kernels, which sum in another order). The float version computes in float and
 * sums the squared residuals in double (loss is a double in both). SF_ERR_ARGUMENT for a NULL
 * pointer (other than dw), sizes out of range, or scratch_count below the scratch query. */
int sf_chain_objective_f64(double *loss, double *dw, double *scratch, const double *a, const double *w,
                           const int64_t *cols, const int64_t *tptr, const int64_t *tlink,
                           int64_t M, int64_t N, int64_t K, int64_t scratch_count);
int sf_chain_objective_f32(double *loss, float *dw, float *scratch, const float *a, const float *w,
                           const int64_t *cols, const int64_t *tptr, const int64_t *tlink,
                           int64_t M, int64_t N, int64_t K, int64_t scratch_count);
/* The scratch (in scalars of the kernel's type) sf_chain_objective_f64/_f32 needs for these
 * sizes: at most 256*M*N + 9*M*N*(K+3) + 64 doubles, e.g. 1.7 million (14 MB) for N = 512, M = 9,
 * K = 10, and at most twice as many floats (no more bytes); 0 when the sizes are
 * out of range (M, N or K < 1, or too large). Only the part for the threads that run is ever touched. */
int64_t sf_chain_objective_scratch_f64(int64_t M, int64_t N, int64_t K);
int64_t sf_chain_objective_scratch_f32(int64_t M, int64_t N, int64_t K);

/* The same work cut where a process group splits it (SparseFactorDistributed): the kernel's
 * chunks [chunk_begin, chunk_end) of sf_chain_objective_chunk_count_*(M, N, K), each on its own.
 *   chunk_loss: chunk_end - chunk_begin sums of squared residuals (not halved), overwritten
 *   chunk_dw: (chunk_end - chunk_begin) * M*N*K, or NULL (loss only): each chunk's whole gradient
 *             (W_M's links included, every entry overwritten)
 * Other arguments as sf_chain_objective_*. sf_chain_objective_fold_* of all chunks' outputs, in
 * chunk order, gives bit for bit what one sf_chain_objective_* call gives, whichever processes
 * computed which chunks. SF_ERR_ARGUMENT also for a chunk range outside [0, chunk count). */
int sf_chain_objective_chunks_f64(double *chunk_loss, double *chunk_dw, double *scratch, const double *a, const double *w,
                                  const int64_t *cols, const int64_t *tptr, const int64_t *tlink,
                                  int64_t M, int64_t N, int64_t K, int64_t scratch_count,
                                  int64_t chunk_begin, int64_t chunk_end);
int sf_chain_objective_chunks_f32(double *chunk_loss, float *chunk_dw, float *scratch, const float *a, const float *w,
                                  const int64_t *cols, const int64_t *tptr, const int64_t *tlink,
                                  int64_t M, int64_t N, int64_t K, int64_t scratch_count,
                                  int64_t chunk_begin, int64_t chunk_end);
/* loss = 1/2 * (sum of chunk_loss in order) (overwritten); dw[i] += chunk_dw[0*count + i] + ... +
 * chunk_dw[(chunks-1)*count + i], summed left to right in chunk order (dw may be NULL when count is 0).
 *   chunk_loss: chunks   chunk_dw: chunks*count   dw: count */
int sf_chain_objective_fold_f64(double *loss, double *dw, const double *chunk_loss, const double *chunk_dw,
                                int64_t chunks, int64_t count);
int sf_chain_objective_fold_f32(double *loss, float *dw, const double *chunk_loss, const float *chunk_dw,
                                int64_t chunks, int64_t count);
/* The number of chunks the objective's work is cut into for these sizes (at most 8; it depends
 * on N and the scalar's size only); 0 when the sizes are out of range. */
int64_t sf_chain_objective_chunk_count_f64(int64_t M, int64_t N, int64_t K);
int64_t sf_chain_objective_chunk_count_f32(int64_t M, int64_t N, int64_t K);

#ifdef __cplusplus
}
#endif

#endif /* SF_OBJECTIVE_H */
