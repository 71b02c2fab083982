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

int sf_mpi_allgatherv_bytes(void *out, const void *local, const int64_t *counts, int size) {
    if (size < 1 || !counts) return SF_MPI_ERR_COUNT;
    int rank = 0, status = MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (status != MPI_SUCCESS) return status;
    int *count = malloc(sizeof(int) * (size_t)size), *displacement = malloc(sizeof(int) * (size_t)size);
    if (!count || !displacement) {
        free(count);
        free(displacement);
        return SF_MPI_ERR_COUNT;
    }
    int64_t at = 0;
    for (int r = 0; r < size; r++) {
        if (counts[r] < 0 || counts[r] > INT_MAX - at) { at = -1; break; }
        count[r] = (int)counts[r];
        displacement[r] = (int)at;
        at += counts[r];
    }
    if (at >= 0)
        status = MPI_Allgatherv(local, count[rank], MPI_BYTE, out, count, displacement, MPI_BYTE,
                                MPI_COMM_WORLD);
    free(count);
    free(displacement);
    return at < 0 ? SF_MPI_ERR_COUNT : status;
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
