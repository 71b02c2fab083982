/* Open MPI's header, found through pkg-config (ompi). Only CSparseFactorMPI includes it: mpi.h defines
 * its handles (MPI_COMM_WORLD, MPI_BYTE, ...) as function-like macros that Swift cannot import. */
#include <mpi.h>
