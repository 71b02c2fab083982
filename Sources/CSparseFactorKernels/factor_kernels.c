/* The fast kernels, instantiated for float and double from factor_kernels.inc, and the
 * chain objective (objective_kernels.inc) for double. */
#include "sparse_factor_kernels.h"
#include "kernel_common.h"
#include "parallel.h"

#include <stdlib.h>
#include <string.h>

#define REAL float
#define SFX f32
#include "factor_kernels.inc"
#undef REAL
#undef SFX

#define REAL double
#define SFX f64
#include "factor_kernels.inc"
#include "objective_kernels.inc"
#undef REAL
#undef SFX
