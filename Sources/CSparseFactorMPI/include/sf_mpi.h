/* SparseFactor's MPI shim: the few MPI calls SparseFactorDistributed makes, as plain C functions
 * without MPI types (mpi.h's handles are macros Swift cannot import). Every function returns 0 or
 * an MPI error code (sf_mpi_error_text names it); errors return instead of aborting the job. */
#ifndef SF_MPI_H
#define SF_MPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MPI_Init_thread (funneled: only the thread that initialized calls MPI) and MPI_ERRORS_RETURN on
 * the world communicator; rank and size of the world. Once per process. */
int sf_mpi_init(int *rank, int *size);
/* MPI_Finalize, once, after every other call. */
int sf_mpi_finalize(void);
/* MPI_Abort on the world with `code`: every process of the job ends, the launcher exits with `code`. */
void sf_mpi_abort(int code);
/* out = every rank's `local` bytes in rank order; counts[r] is rank r's byte count (size entries, the
 * same on every rank, each and their sum at most INT_MAX: MPI counts are int). out: sum(counts) bytes. */
int sf_mpi_allgatherv_bytes(void *out, const void *local, const int64_t *counts, int size);
/* Every rank sends send_counts[s] bytes of `send` (in rank order s = 0, 1, ...) to rank s and receives
 * receive_counts[r] bytes from rank r into `receive` (in rank order): MPI_Alltoallv of bytes. Counts: size
 * entries each; every count and each array's sum at most INT_MAX. */
int sf_mpi_alltoallv_bytes(void *receive, const int64_t *receive_counts, const void *send, const int64_t *send_counts, int size);
/* The MPI library's own version line ("Open MPI v4.1.4, ..."), into text (at most capacity bytes with the NUL). */
int sf_mpi_library_version(char *text, int capacity);
/* The text of an MPI error code, into text (at most capacity bytes with the NUL). */
void sf_mpi_error_text(int code, char *text, int capacity);
/* An error code of the shim itself: a count out of int's range (no MPI call was made). */
#define SF_MPI_ERR_COUNT (-1)

#ifdef __cplusplus
}
#endif

#endif /* SF_MPI_H */
