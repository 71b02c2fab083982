/* Dense algebra goes through BLAS (OpenBLAS's cblas); nothing here is hand-written GEMM.
 *
 * Threads. OpenBLAS has its own pthread pool and our kernels have the OpenMP pool; on a
 * small machine the two pools oversubscribe the cores and a training step slows down ~10x
 * under load (each pool spins while the other holds the cores). So the parallelism of a
 * GEMM is ours: the output is cut into fixed blocks (rows, or columns when there are few
 * rows), each block is one single-threaded cblas call, and sf_parallel_rows hands the blocks
 * to our threads. OpenBLAS is made single-threaded once, at the first sf_gemm or LAPACK call
 * (sf_blas_single_threaded): from then on every OpenBLAS/LAPACK call in the process runs
 * single-threaded, including the LAPACKE SVDs of lapack.c (which otherwise ran on OpenBLAS's
 * own pool beside the spinning OpenMP threads, 5x slower on 2 cores).
 *
 * Determinism. The blocks depend only on (m, n, k), never on the thread count, and each
 * block is computed by one thread with the same cblas call, so the result is bit-identical
 * for any number of threads (tested in NNKernelTests). It may differ in the last bits from
 * one unsplit cblas call, since OpenBLAS picks kernels by shape.
 */
#include "parallel.h"
#include "sparse_factor_kernels.h"

#include <cblas.h>
#include <pthread.h>

/* Debian's libopenblas exports it; cblas.h declares it only in some versions. */
extern void openblas_set_num_threads(int);

static pthread_once_t blas_threads_once = PTHREAD_ONCE_INIT;

static void make_blas_single_threaded(void) { openblas_set_num_threads(1); }

void sf_blas_single_threaded(void) { pthread_once(&blas_threads_once, make_blas_single_threaded); }

/* Exported by libopenblas (0.2.x on); not declared by every cblas.h. */
extern char *openblas_get_corename(void);

const char *sf_blas_core_name(void) { return openblas_get_corename(); }

/* At most this many blocks per GEMM (enough to balance a few threads), and at least this many
 * rows or columns per block (so a block stays a BLAS-sized problem). */
enum { kMaxGemmBlocks = 16, kMinGemmBlockSpan = 64 };

typedef struct {
    void *c;
    const void *a, *b;
    int trans_a, trans_b, is_double, split_columns;
    int64_t m, n, k, span; /* span: rows (or columns) per block */
    double alpha, beta;
} gemm_job;

/* Blocks [begin, end) of the output, one cblas call each. */
static void gemm_blocks(void *ctx, int64_t begin, int64_t end) {
    const gemm_job *j = (const gemm_job *)ctx;
    const int64_t extent = j->split_columns ? j->n : j->m;
    const blasint lda = (blasint)(j->trans_a ? j->m : j->k), ldb = (blasint)(j->trans_b ? j->k : j->n);
    const blasint ldc = (blasint)j->n;
    for (int64_t blk = begin; blk < end; blk++) {
        const int64_t lo = blk * j->span;
        const int64_t hi = lo + j->span < extent ? lo + j->span : extent;
        /* offsets in elements of a, b, c for this block */
        int64_t a_off = 0, b_off = 0, c_off, bm = j->m, bn = j->n;
        if (j->split_columns) {
            bn = hi - lo;
            b_off = j->trans_b ? lo * j->k : lo; /* b is n*k (trans) or k*n */
            c_off = lo;
        } else {
            bm = hi - lo;
            a_off = j->trans_a ? lo : lo * j->k; /* a is k*m (trans) or m*k */
            c_off = lo * j->n;
        }
        const enum CBLAS_TRANSPOSE ta = j->trans_a ? CblasTrans : CblasNoTrans;
        const enum CBLAS_TRANSPOSE tb = j->trans_b ? CblasTrans : CblasNoTrans;
        if (j->is_double) {
            cblas_dgemm(CblasRowMajor, ta, tb, (blasint)bm, (blasint)bn, (blasint)j->k, j->alpha,
                        (const double *)j->a + a_off, lda, (const double *)j->b + b_off, ldb, j->beta,
                        (double *)j->c + c_off, ldc);
        } else {
            cblas_sgemm(CblasRowMajor, ta, tb, (blasint)bm, (blasint)bn, (blasint)j->k, (float)j->alpha,
                        (const float *)j->a + a_off, lda, (const float *)j->b + b_off, ldb, (float)j->beta,
                        (float *)j->c + c_off, ldc);
        }
    }
}

static void gemm_parallel(gemm_job *job) {
    sf_blas_single_threaded();
    /* Split the longer output side; the block layout is a function of the shape only. */
    job->split_columns = job->n > job->m;
    const int64_t extent = job->split_columns ? job->n : job->m;
    int64_t blocks = extent / kMinGemmBlockSpan;
    if (blocks > kMaxGemmBlocks) blocks = kMaxGemmBlocks;
    if (blocks < 1) blocks = 1;
    job->span = (extent + blocks - 1) / blocks;
    blocks = (extent + job->span - 1) / job->span;
    const int64_t other = job->split_columns ? job->m : job->n;
    sf_parallel_rows(gemm_blocks, job, blocks, job->span * other * job->k);
}

int sf_gemm_f32(float *c, const float *a, const float *b, int trans_a, int trans_b,
                int64_t m, int64_t n, int64_t k, float alpha, float beta) {
    if (!c || !a || !b || m <= 0 || n <= 0 || k <= 0) return SF_ERR_ARGUMENT;
    gemm_job job = {c, a, b, trans_a, trans_b, 0, 0, m, n, k, 0, alpha, beta};
    gemm_parallel(&job);
    return SF_OK;
}

int sf_gemm_f64(double *c, const double *a, const double *b, int trans_a, int trans_b,
                int64_t m, int64_t n, int64_t k, double alpha, double beta) {
    if (!c || !a || !b || m <= 0 || n <= 0 || k <= 0) return SF_ERR_ARGUMENT;
    gemm_job job = {c, a, b, trans_a, trans_b, 1, 0, m, n, k, 0, alpha, beta};
    gemm_parallel(&job);
    return SF_OK;
}
