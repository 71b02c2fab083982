/* Internal: the row-parallel driver every fast kernel uses. */
#ifndef SF_PARALLEL_H
#define SF_PARALLEL_H

#include <stdint.h>

/* Computes rows [begin, end) of some output. */
typedef void (*sf_rows_fn)(void *ctx, int64_t begin, int64_t end);

/* Runs fn over rows [0, rows) split into contiguous static ranges, one per thread.
 * Each row belongs to exactly one thread and is computed the same way whatever the split,
 * which is what makes the results independent of the thread count. Small jobs
 * (rows * work_per_row below a threshold) run on the calling thread. */
void sf_parallel_rows(sf_rows_fn fn, void *ctx, int64_t rows, int64_t work_per_row);

#endif
