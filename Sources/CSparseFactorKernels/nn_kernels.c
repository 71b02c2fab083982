/*
 * Neural-network kernels of the PSF-Attn training engine (Float32), llm.c style:
 * *_forward / *_backward pairs, outputs first, gradients accumulate with +=.
 *
 * Determinism: elementwise kernels split the elements into fixed chunks; row kernels give
 * each row to one thread; reductions over rows (bias and LayerNorm parameter gradients) are
 * parallel over the reduced-into columns, each summing its rows in increasing order; the
 * embedding backward gives each vocabulary row to one thread. No float is ever summed
 * across threads, so the results do not depend on the thread count.
 * The naive oracles live in nn_reference_kernels.c.
 */
#include "sparse_factor_kernels.h"
#include "kernel_common.h"
#include "parallel.h"
#include "nn_math.h"

#include <math.h>
#include <stdlib.h>

/* Elementwise kernels hand out work in chunks of this many elements. */
#define NN_CHUNK 4096

static inline int64_t nn_chunks(int64_t n) { return (n + NN_CHUNK - 1) / NN_CHUNK; }

/* ---- GELU (exact, erf form) ------------------------------------------------------------ */

typedef struct {
    float *out;
    float *dinp;
    const float *inp;
    const float *dout;
    int64_t n;
} gelu_job;

SF_VECTOR_CLONES
static void gelu_forward_chunks(void *ctx, int64_t begin, int64_t end) {
    const gelu_job *job = (const gelu_job *)ctx;
    const int64_t lo = begin * NN_CHUNK;
    const int64_t hi = end * NN_CHUNK < job->n ? end * NN_CHUNK : job->n;
    for (int64_t i = lo; i < hi; i++) {
        const float x = job->inp[i];
        job->out[i] = nn_gelu(x);
    }
}

SF_VECTOR_CLONES
static void gelu_backward_chunks(void *ctx, int64_t begin, int64_t end) {
    const gelu_job *job = (const gelu_job *)ctx;
    const int64_t lo = begin * NN_CHUNK;
    const int64_t hi = end * NN_CHUNK < job->n ? end * NN_CHUNK : job->n;
    for (int64_t i = lo; i < hi; i++) {
        const float x = job->inp[i];
        job->dinp[i] += job->dout[i] * nn_gelu_derivative(x);
    }
}

/* out: n, inp: n */
int sf_gelu_forward_f32(float *out, const float *inp, int64_t n) {
    if (!out || !inp || n < 0) return SF_ERR_ARGUMENT;
    gelu_job job = {out, NULL, inp, NULL, n};
    sf_parallel_rows(gelu_forward_chunks, &job, nn_chunks(n), NN_CHUNK * 8);
    return SF_OK;
}

/* dinp += dout * GELU'(inp).     dinp, dout, inp: n */
int sf_gelu_backward_f32(float *dinp, const float *dout, const float *inp, int64_t n) {
    if (!dinp || !dout || !inp || n < 0) return SF_ERR_ARGUMENT;
    gelu_job job = {NULL, dinp, inp, dout, n};
    sf_parallel_rows(gelu_backward_chunks, &job, nn_chunks(n), NN_CHUNK * 12);
    return SF_OK;
}

/* ---- LayerNorm ------------------------------------------------------------------------- */

typedef struct {
    float *out, *mean, *rstd, *dinp, *dweight, *dbias;
    const float *inp, *weight, *bias, *dout, *smean, *srstd;
    int64_t rows, C;
    float eps;
} layernorm_job;

static void layernorm_forward_rows(void *ctx, int64_t begin, int64_t end) {
    const layernorm_job *job = (const layernorm_job *)ctx;
    const int64_t C = job->C;
    for (int64_t r = begin; r < end; r++) {
        const float *x = job->inp + r * C;
        float *y = job->out + r * C;
        float sum = 0.0f;
        for (int64_t c = 0; c < C; c++) sum += x[c];
        const float m = sum / (float)C;
        float var = 0.0f;
        for (int64_t c = 0; c < C; c++) {
            const float d = x[c] - m;
            var += d * d;
        }
        const float s = 1.0f / sqrtf(var / (float)C + job->eps);
        for (int64_t c = 0; c < C; c++) y[c] = (x[c] - m) * s * job->weight[c] + job->bias[c];
        job->mean[r] = m;
        job->rstd[r] = s;
    }
}

/* out: rows*C, mean: rows, rstd: rows, inp: rows*C, weight: C, bias: C */
int sf_layernorm_forward_f32(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, int64_t rows, int64_t C, float eps) {
    if (!out || !mean || !rstd || !inp || !weight || !bias || rows < 0 || C <= 0 || !(eps >= 0.0f))
        return SF_ERR_ARGUMENT;
    layernorm_job job = {.out = out, .mean = mean, .rstd = rstd, .inp = inp, .weight = weight, .bias = bias,
                         .rows = rows, .C = C, .eps = eps};
    sf_parallel_rows(layernorm_forward_rows, &job, rows, 4 * C);
    return SF_OK;
}

/* dinp, one row per owner (llm.c's formula). */
static void layernorm_backward_rows(void *ctx, int64_t begin, int64_t end) {
    const layernorm_job *job = (const layernorm_job *)ctx;
    const int64_t C = job->C;
    for (int64_t r = begin; r < end; r++) {
        const float *x = job->inp + r * C;
        const float *dy = job->dout + r * C;
        float *dx = job->dinp + r * C;
        const float m = job->smean[r], s = job->srstd[r];
        float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
        for (int64_t c = 0; c < C; c++) {
            const float xhat = (x[c] - m) * s;
            const float dnorm = job->weight[c] * dy[c];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * xhat;
        }
        dnorm_mean /= (float)C;
        dnorm_norm_mean /= (float)C;
        for (int64_t c = 0; c < C; c++) {
            const float xhat = (x[c] - m) * s;
            const float dnorm = job->weight[c] * dy[c];
            dx[c] += (dnorm - dnorm_mean - xhat * dnorm_norm_mean) * s;
        }
    }
}

/* dweight and dbias, one column range per owner, rows summed in increasing order. */
static void layernorm_backward_columns(void *ctx, int64_t begin, int64_t end) {
    const layernorm_job *job = (const layernorm_job *)ctx;
    const int64_t C = job->C;
    for (int64_t r = 0; r < job->rows; r++) {
        const float *x = job->inp + r * C;
        const float *dy = job->dout + r * C;
        const float m = job->smean[r], s = job->srstd[r];
        for (int64_t c = begin; c < end; c++) {
            if (job->dweight) job->dweight[c] += dy[c] * ((x[c] - m) * s);
            if (job->dbias) job->dbias[c] += dy[c];
        }
    }
}

/* dinp: rows*C (+=), dweight: C (+=), dbias: C (+=), dout: rows*C, inp: rows*C, mean/rstd: rows */
int sf_layernorm_backward_f32(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                              const float *weight, const float *mean, const float *rstd, int64_t rows, int64_t C) {
    if (!dout || !inp || !weight || !mean || !rstd || rows < 0 || C <= 0) return SF_ERR_ARGUMENT;
    layernorm_job job = {.dinp = dinp, .dweight = dweight, .dbias = dbias, .inp = inp, .weight = weight,
                         .dout = dout, .smean = mean, .srstd = rstd, .rows = rows, .C = C};
    if (dinp) sf_parallel_rows(layernorm_backward_rows, &job, rows, 6 * C);
    if (dweight || dbias) sf_parallel_rows(layernorm_backward_columns, &job, C, 3 * rows);
    return SF_OK;
}

/* ---- bias (and any broadcast row) -------------------------------------------------------- */

typedef struct {
    float *out;
    const float *inp, *bias;
    int64_t rows, C;
} bias_job;

SF_VECTOR_CLONES
static void bias_add_rows(void *ctx, int64_t begin, int64_t end) {
    const bias_job *job = (const bias_job *)ctx;
    const int64_t C = job->C;
    for (int64_t r = begin; r < end; r++) {
        const float *x = job->inp + r * C;
        float *y = job->out + r * C;
        for (int64_t c = 0; c < C; c++) y[c] = x[c] + job->bias[c];
    }
}

/* out: rows*C, inp: rows*C, bias: C */
int sf_bias_add_forward_f32(float *out, const float *inp, const float *bias, int64_t rows, int64_t C) {
    if (!out || !inp || !bias || rows < 0 || C <= 0) return SF_ERR_ARGUMENT;
    bias_job job = {out, inp, bias, rows, C};
    sf_parallel_rows(bias_add_rows, &job, rows, C);
    return SF_OK;
}

/* Columns [begin, end) of dbias; `out` is dbias, `inp` is dout. */
SF_VECTOR_CLONES
static void bias_backward_columns(void *ctx, int64_t begin, int64_t end) {
    const bias_job *job = (const bias_job *)ctx;
    const int64_t C = job->C;
    for (int64_t r = 0; r < job->rows; r++) {
        const float *dy = job->inp + r * C;
        for (int64_t c = begin; c < end; c++) job->out[c] += dy[c];
    }
}

/* dbias: C (+=), dout: rows*C */
int sf_bias_backward_f32(float *dbias, const float *dout, int64_t rows, int64_t C) {
    if (!dbias || !dout || rows < 0 || C <= 0) return SF_ERR_ARGUMENT;
    bias_job job = {dbias, dout, NULL, rows, C};
    sf_parallel_rows(bias_backward_columns, &job, C, rows);
    return SF_OK;
}

/* ---- embedding ------------------------------------------------------------------------- */

static int ids_in_range(const int64_t *ids, int64_t tokens, int64_t vocab) {
    for (int64_t t = 0; t < tokens; t++)
        if (ids[t] < 0 || ids[t] >= vocab) return 0;
    return 1;
}

typedef struct {
    float *out;
    const float *weight;
    const int64_t *ids;
    const int64_t *start, *order; /* backward: tokens of id v are order[start[v] .. start[v+1]-1] */
    int64_t D;
} embedding_job;

static void embedding_forward_rows(void *ctx, int64_t begin, int64_t end) {
    const embedding_job *job = (const embedding_job *)ctx;
    const int64_t D = job->D;
    for (int64_t t = begin; t < end; t++) {
        const float *w = job->weight + job->ids[t] * D;
        float *y = job->out + t * D;
        for (int64_t d = 0; d < D; d++) y[d] = w[d];
    }
}

/* out: tokens*D, weight: vocab*D, ids: tokens */
int sf_embedding_forward_f32(float *out, const float *weight, const int64_t *ids,
                             int64_t tokens, int64_t vocab, int64_t D) {
    if (!out || !weight || !ids || tokens < 0 || vocab <= 0 || D <= 0) return SF_ERR_ARGUMENT;
    if (!ids_in_range(ids, tokens, vocab)) return SF_ERR_ARGUMENT;
    embedding_job job = {.out = out, .weight = weight, .ids = ids, .D = D};
    sf_parallel_rows(embedding_forward_rows, &job, tokens, D);
    return SF_OK;
}

/* Vocabulary rows [begin, end): `out` is dweight, `weight` is dout. */
static void embedding_backward_rows(void *ctx, int64_t begin, int64_t end) {
    const embedding_job *job = (const embedding_job *)ctx;
    const int64_t D = job->D;
    for (int64_t v = begin; v < end; v++) {
        float *dw = job->out + v * D;
        for (int64_t j = job->start[v]; j < job->start[v + 1]; j++) {
            const float *dy = job->weight + job->order[j] * D;
            for (int64_t d = 0; d < D; d++) dw[d] += dy[d];
        }
    }
}

/* dweight: vocab*D (+=), dout: tokens*D, ids: tokens */
int sf_embedding_backward_f32(float *dweight, const float *dout, const int64_t *ids,
                              int64_t tokens, int64_t vocab, int64_t D) {
    if (!dweight || !dout || !ids || tokens < 0 || vocab <= 0 || D <= 0) return SF_ERR_ARGUMENT;
    if (!ids_in_range(ids, tokens, vocab)) return SF_ERR_ARGUMENT;
    /* A stable counting sort of the tokens by id, so each vocabulary row has one owner that
     * adds its tokens in increasing order. */
    int64_t *start = calloc((size_t)vocab + 1, sizeof(int64_t));
    int64_t *order = malloc((size_t)(tokens > 0 ? tokens : 1) * sizeof(int64_t));
    if (!start || !order) {
        free(start);
        free(order);
        return SF_ERR_MEMORY;
    }
    for (int64_t t = 0; t < tokens; t++) start[ids[t] + 1]++;
    for (int64_t v = 0; v < vocab; v++) start[v + 1] += start[v];
    int64_t *fill = malloc((size_t)vocab * sizeof(int64_t));
    if (!fill) {
        free(start);
        free(order);
        return SF_ERR_MEMORY;
    }
    for (int64_t v = 0; v < vocab; v++) fill[v] = start[v];
    for (int64_t t = 0; t < tokens; t++) order[fill[ids[t]]++] = t;
    free(fill);
    embedding_job job = {.out = dweight, .weight = dout, .ids = ids, .start = start, .order = order, .D = D};
    sf_parallel_rows(embedding_backward_rows, &job, vocab, D * (tokens / vocab + 1));
    free(start);
    free(order);
    return SF_OK;
}

/* ---- Adam / AdamW: one update per scalar type, from adam_kernels.inc --------------------- */

#define REAL float
#define SFX f32
#define SQRT sqrtf
#include "adam_kernels.inc"
#undef REAL
#undef SFX
#undef SQRT

#define REAL double
#define SFX f64
#define SQRT sqrt
#include "adam_kernels.inc"
#undef REAL
#undef SFX
#undef SQRT
