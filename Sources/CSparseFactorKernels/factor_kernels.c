/* The fast kernels and the chain objective (objective_kernels.inc), instantiated for float and
 * double from factor_kernels.inc; REAL_LANES is the number of REALs in one 64-byte vector. */
#include "sparse_factor_kernels.h"
#include "kernel_common.h"
#include "parallel.h"

#include <stdlib.h>
#include <string.h>

#define REAL float
#define SFX f32
#define REAL_LANES 16
#include "factor_kernels.inc"
#include "objective_kernels.inc"
#undef REAL
#undef SFX
#undef REAL_LANES

#define REAL double
#define SFX f64
#define REAL_LANES 8
#include "factor_kernels.inc"
#include "objective_kernels.inc"
#undef REAL
#undef SFX
#undef REAL_LANES
