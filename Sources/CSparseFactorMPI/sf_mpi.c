#include "sf_mpi.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sf_mpi_init(int *rank, int *size) {
    int provided = 0;
    int status = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (status != MPI_SUCCESS) return status;
    if ((status = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN)) != MPI_SUCCESS) return status;
    if ((status = MPI_Comm_rank(MPI_COMM_WORLD, rank)) != MPI_SUCCESS) return status;
    return MPI_Comm_size(MPI_COMM_WORLD, size);
}

int sf_mpi_finalize(void) { return MPI_Finalize(); }

void sf_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

/* counts (size entries of int64_t) as MPI's int counts and displacements (size entries each, allocated
 * here); 0 when every count and the sum fit in an int, SF_MPI_ERR_COUNT otherwise (nothing allocated). */
static int int_counts(int **count, int **displacement, const int64_t *counts, int size) {
    *count = malloc(sizeof(int) * (size_t)size);
    *displacement = malloc(sizeof(int) * (size_t)size);
    int64_t at = 0;
    for (int r = 0; r < size && *count && *displacement; r++) {
        if (counts[r] < 0 || counts[r] > INT_MAX - at) break;
        (*count)[r] = (int)counts[r];
        (*displacement)[r] = (int)at;
        at += counts[r];
        if (r == size - 1) return 0;
    }
    free(*count);
    free(*displacement);
    return SF_MPI_ERR_COUNT;
}

int sf_mpi_allgatherv_bytes(void *out, const void *local, const int64_t *counts, int size) {
    if (size < 1 || !counts) return SF_MPI_ERR_COUNT;
    int rank = 0, status = MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (status != MPI_SUCCESS) return status;
    int *count, *displacement;
    if (int_counts(&count, &displacement, counts, size) != 0) return SF_MPI_ERR_COUNT;
    status = MPI_Allgatherv(local, count[rank], MPI_BYTE, out, count, displacement, MPI_BYTE, MPI_COMM_WORLD);
    free(count);
    free(displacement);
    return status;
}

int sf_mpi_alltoallv_bytes(void *receive, const int64_t *receive_counts, const void *send, const int64_t *send_counts, int size) {
    if (size < 1 || !receive_counts || !send_counts) return SF_MPI_ERR_COUNT;
    int *send_count, *send_at, *receive_count, *receive_at;
    if (int_counts(&send_count, &send_at, send_counts, size) != 0) return SF_MPI_ERR_COUNT;
    if (int_counts(&receive_count, &receive_at, receive_counts, size) != 0) {
        free(send_count);
        free(send_at);
        return SF_MPI_ERR_COUNT;
    }
    const int status = MPI_Alltoallv(send, send_count, send_at, MPI_BYTE, receive, receive_count, receive_at, MPI_BYTE,
                                     MPI_COMM_WORLD);
    free(send_count);
    free(send_at);
    free(receive_count);
    free(receive_at);
    return status;
}

int sf_mpi_library_version(char *text, int capacity) {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0, status = MPI_Get_library_version(version, &length);
    if (status != MPI_SUCCESS) return status;
    snprintf(text, (size_t)capacity, "%s", version);
    return MPI_SUCCESS;
}

void sf_mpi_error_text(int code, char *text, int capacity) {
    if (code == SF_MPI_ERR_COUNT) {
        snprintf(text, (size_t)capacity, "a count beyond MPI's int range");
        return;
    }
    char message[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, message, &length) != MPI_SUCCESS) snprintf(message, sizeof message, "MPI error %d", code);
    snprintf(text, (size_t)capacity, "%s", message);
}
