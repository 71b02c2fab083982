/*
 * OpenMP without -fopenmp: SwiftPM refuses unsafeFlags in packages used by version, so
 * the kernels call the entry point that -fopenmp would have generated, GOMP_parallel,
 * which LLVM's OpenMP runtime (libomp, Debian libomp-dev, linked as omp5) exports.
 * The runtime keeps its usual behaviour: OMP_NUM_THREADS, thread pools, nesting.
 */
#include "parallel.h"
#include "sparse_factor_kernels.h"

#include <stdatomic.h>

extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);
extern int omp_get_max_threads(void);
extern int omp_in_parallel(void);

/* Subnormal numbers cost x86 cores a microcode assist per operation, and both hot paths make them:
 * a fit from the exact diagonal start fills factors with them (links whose gradient is about 0 take
 * steps of 1e-300 and less: 35,948 of 270,336 values of a mesh Laplacian's chain after 60 L-BFGS
 * iterations, each evaluation 3.6-10x slower), and a PSF-Attn model late in training fills the
 * folded MLPs' backward with them (gradients of a loss near 1e-3: Temporal Order at N = 2048 went
 * from 124 ms to 640 ms per step, most of it in fm_backward_tile). They change nothing a loss or
 * an accuracy can hold, so every job of the drivers below runs with flush-to-zero
 * and denormals-are-zero (MXCSR bits 15 and 6) on each of its threads, and restores the caller's
 * mode. Every thread sets the same mode, so results still do not depend on the thread count; the
 * naive oracles (CSparseFactorReference) keep IEEE subnormals. */
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
static unsigned sf_subnormals_off(void) {
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040u);
    return saved;
}
static void sf_subnormals_restore(unsigned saved) { _mm_setcsr(saved); }
#else
static unsigned sf_subnormals_off(void) { return 0; }
static void sf_subnormals_restore(unsigned saved) { (void)saved; }
#endif

/* Below this many multiply-adds a parallel region costs more than it saves. */
static const int64_t kMinParallelWork = 1 << 15;

static _Atomic int requested_threads = 0;

void sf_set_num_threads(int threads) { atomic_store(&requested_threads, threads > 0 ? threads : 0); }

int sf_get_requested_threads(void) { return atomic_load(&requested_threads); }

int sf_get_num_threads(void) {
    int t = atomic_load(&requested_threads);
    return t > 0 ? t : omp_get_max_threads();
}

typedef struct {
    sf_rows_fn fn;
    void *ctx;
    int64_t rows;
} parallel_job;

/* fn over [begin, end) with subnormals taken as zero (above), on whichever thread calls it. */
static void run_rows_flushed(sf_rows_fn fn, void *ctx, int64_t begin, int64_t end) {
    const unsigned fp_mode = sf_subnormals_off();
    fn(ctx, begin, end);
    sf_subnormals_restore(fp_mode);
}

static void run_share(void *data) {
    const parallel_job *job = (const parallel_job *)data;
    const int64_t tid = omp_get_thread_num();
    const int64_t nt = omp_get_num_threads();
    const int64_t begin = job->rows * tid / nt;
    const int64_t end = job->rows * (tid + 1) / nt;
    if (begin < end) run_rows_flushed(job->fn, job->ctx, begin, end);
}

void sf_parallel_rows(sf_rows_fn fn, void *ctx, int64_t rows, int64_t work_per_row) {
    if (rows <= 0) return;
    const int threads = sf_get_num_threads();
    if (threads <= 1 || rows < 2 || rows * work_per_row < kMinParallelWork || omp_in_parallel()) {
        run_rows_flushed(fn, ctx, 0, rows);
        return;
    }
    parallel_job job = {fn, ctx, rows};
    GOMP_parallel(run_share, &job, (unsigned)threads, 0);
}

typedef struct {
    sf_item_fn fn;
    void *ctx;
    int64_t items;
    int max_slots;
    _Atomic int64_t next;
} item_job;

/* Takes items as thread `slot` until none is left, with subnormals taken as zero (above). */
static void take_items(item_job *job, int slot) {
    const unsigned fp_mode = sf_subnormals_off();
    for (;;) {
        const int64_t item = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (item >= job->items) break;
        job->fn(job->ctx, item, slot);
    }
    sf_subnormals_restore(fp_mode);
}

static void run_items(void *data) {
    const int slot = omp_get_thread_num();
    item_job *job = (item_job *)data;
    if (slot < job->max_slots) take_items(job, slot);
}

void sf_parallel_items(sf_item_fn fn, void *ctx, int64_t items, int max_slots, int64_t work_per_item) {
    if (items <= 0 || max_slots <= 0) return;
    int threads = sf_get_num_threads();
    if (threads > max_slots) threads = max_slots;
    if ((int64_t)threads > items) threads = (int)items;
    item_job job = {fn, ctx, items, max_slots, 0};
    if (threads <= 1 || items * work_per_item < kMinParallelWork || omp_in_parallel()) {
        take_items(&job, 0);   /* all of them, on the calling thread */
        return;
    }
    GOMP_parallel(run_items, &job, (unsigned)threads, 0);
}

typedef struct {
    sf_rows_fn fn;
    void *ctx;
} dynamic_rows_job;

static void run_one_row(void *ctx, int64_t item, int slot) {
    (void)slot;
    const dynamic_rows_job *job = (const dynamic_rows_job *)ctx;
    job->fn(job->ctx, item, item + 1);
}

void sf_parallel_rows_dynamic(sf_rows_fn fn, void *ctx, int64_t rows, int64_t work_per_row) {
    dynamic_rows_job job = {fn, ctx};
    sf_parallel_items(run_one_row, &job, rows, 1 << 20, work_per_row);
}

const char *sf_cpu_dispatch_name(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4 (AVX-512)";
    if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3 (AVX2)";
    return "baseline";
}
