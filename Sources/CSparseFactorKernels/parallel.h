/* Internal: the row-parallel driver every fast kernel uses. Every job runs with subnormal numbers
 * taken as zero on each of its threads, and the caller's floating-point mode restored (parallel.c). */
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

/* Does item `item` of some job; `slot` (0 <= slot < max_slots) names the calling thread, so
 * the job can give each thread its own scratch. */
typedef void (*sf_item_fn)(void *ctx, int64_t item, int slot);

/* Runs fn once for every item in [0, items) on up to min(threads, max_slots, items) threads,
 * handing the items out first come, first served (good when the machine is shared). Which
 * thread runs an item is not fixed, so an item's result must depend on the item alone: the
 * caller gives every item its own output (for example one partial sum per item, added up
 * afterwards in item order), which keeps results independent of the thread count. Small jobs
 * (items * work_per_item below the threshold of sf_parallel_rows) run on the calling thread. */
void sf_parallel_items(sf_item_fn fn, void *ctx, int64_t items, int max_slots, int64_t work_per_item);

/* Like sf_parallel_rows, but the rows are handed out one at a time, first come, first served:
 * for coarse rows (a whole sequence, a chunk of positions) on a machine whose cores do not all
 * run at the same speed (a shared host), where static ranges leave one thread waiting for the
 * other. fn must compute a row the same way whichever thread runs it (all row kernels do). */
void sf_parallel_rows_dynamic(sf_rows_fn fn, void *ctx, int64_t rows, int64_t work_per_row);

/* Makes OpenBLAS single-threaded, once per process (before the first BLAS or LAPACK call): the
 * parallelism of dense products is ours (dense.c), and an OpenBLAS pool beside the OpenMP one
 * oversubscribes the cores (each spins while the other holds them). */
void sf_blas_single_threaded(void);

#endif
