/*
 * C-level microbenchmark of the raw kernels: no Swift in the loop.
 *
 *   sparsefactor-kernel-bench [--n N] [--channels C] [--batch B] [--threads T]
 *                             [--kernel forward|transpose|backward|chain-forward|chain-backward|all]
 *                             [--dtype f32|f64] [--repeats R] [--per-item 0|1]
 *   sparsefactor-kernel-bench --kernel attention|favor [--threads T] [--repeats R]
 *
 * With --per-item 1 every batch item has its own factor values (the parametric model's case).
 * Prints, per kernel, the median time of one call and its GFLOP/s and GB/s (bytes = the
 * dense blocks read and written once plus the sparse values and indices).
 * --kernel attention (not part of "all": its reference takes tens of seconds) times the attention
 * kernels at the Transformer layer's shape, B = 40, H = 4, Dh = 8, q/k/v packed in one [B, N, 96]
 * buffer: forward and forward+backward at N = 1024 and 4096, and the naive reference at N = 1024.
 * --kernel favor times the FAVOR+ kernels at the same shape with m = 256 features per head, at N = 1024, 4096
 * and 16384, and the naive reference at N = 1024.
 */
#include "sparse_factor_kernels.h"
#include "sparse_factor_reference.h"

#include <math.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int64_t n, k, c, b, m, wstride;
    int64_t *cols, *tptr, *tlink;
} pattern;

/* The Chord pattern: row i links to i and (i + 2^k) mod N, duplicates merged. */
static pattern chord(int64_t n, int64_t c, int64_t b) {
    pattern p = {n, 0, c, b, 0, 0, NULL, NULL, NULL};
    int64_t offsets[64], count = 0;
    offsets[count++] = 0;
    for (int64_t step = 1; step < n; step *= 2, p.m++) {
        int64_t o = step % n, dup = 0;
        for (int64_t q = 0; q < count; q++) dup |= offsets[q] == o;
        if (!dup) offsets[count++] = o;
    }
    p.k = count;
    p.cols = malloc(sizeof(int64_t) * n * count);
    p.tptr = calloc(n + 1, sizeof(int64_t));
    p.tlink = malloc(sizeof(int64_t) * n * count);
    for (int64_t i = 0; i < n; i++)
        for (int64_t q = 0; q < count; q++) {
            p.cols[i * count + q] = (i + offsets[q]) % n;
            p.tptr[p.cols[i * count + q] + 1]++;
        }
    for (int64_t j = 0; j < n; j++) p.tptr[j + 1] += p.tptr[j];
    int64_t *fill = malloc(sizeof(int64_t) * n);
    memcpy(fill, p.tptr, sizeof(int64_t) * n);
    for (int64_t l = 0; l < n * count; l++) p.tlink[fill[p.cols[l]]++] = l;
    free(fill);
    return p;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    const pattern *p;
    int f64;
    void *y, *x, *w, *dw, *acts;
} buffers;

static int run_kernel(const char *kernel, const buffers *bf) {
    const pattern *p = bf->p;
    if (!bf->f64) {
        float *y = bf->y, *x = bf->x, *w = bf->w, *dw = bf->dw, *acts = bf->acts;
        if (!strcmp(kernel, "forward")) return sf_factor_forward_f32(y, w, x, p->cols, p->b, p->n, p->k, p->c, p->wstride);
        if (!strcmp(kernel, "transpose")) return sf_factor_transpose_forward_f32(y, w, x, p->tptr, p->tlink, p->b, p->n, p->k, p->c, p->wstride);
        if (!strcmp(kernel, "backward")) return sf_factor_backward_f32(y, dw, x, w, x, p->cols, p->tptr, p->tlink, p->b, p->n, p->k, p->c, p->wstride);
        if (!strcmp(kernel, "chain-forward")) return sf_chain_forward_f32(y, acts, w, x, p->cols, p->b, p->m, p->n, p->k, p->c, p->wstride);
        if (!strcmp(kernel, "chain-backward")) return sf_chain_backward_f32(y, dw, x, acts, w, x, p->cols, p->tptr, p->tlink, p->b, p->m, p->n, p->k, p->c, p->wstride);
    } else {
        double *y = bf->y, *x = bf->x, *w = bf->w, *dw = bf->dw, *acts = bf->acts;
        if (!strcmp(kernel, "forward")) return sf_factor_forward_f64(y, w, x, p->cols, p->b, p->n, p->k, p->c, p->wstride);
        if (!strcmp(kernel, "transpose")) return sf_factor_transpose_forward_f64(y, w, x, p->tptr, p->tlink, p->b, p->n, p->k, p->c, p->wstride);
        if (!strcmp(kernel, "backward")) return sf_factor_backward_f64(y, dw, x, w, x, p->cols, p->tptr, p->tlink, p->b, p->n, p->k, p->c, p->wstride);
        if (!strcmp(kernel, "chain-forward")) return sf_chain_forward_f64(y, acts, w, x, p->cols, p->b, p->m, p->n, p->k, p->c, p->wstride);
        if (!strcmp(kernel, "chain-backward")) return sf_chain_backward_f64(y, dw, x, acts, w, x, p->cols, p->tptr, p->tlink, p->b, p->m, p->n, p->k, p->c, p->wstride);
    }
    return -1;
}

/* ---- attention ------------------------------------------------------------------------ */

typedef struct {
    int reference, backward;
    int64_t b, h, n, dh;
    float *qkv, *out, *lse, *dout, *grad;
} attention_case;

static int run_attention(const attention_case *a) {
    const int64_t d = a->h * a->dh, ld = 3 * d;
    const float scale = 1.0f / sqrtf((float)a->dh);
    int rc = (a->reference ? sf_ref_attention_forward_f32 : sf_attention_forward_f32)(
        a->out, a->lse, a->qkv, a->qkv + d, a->qkv + 2 * d, a->b, a->h, a->n, a->dh, ld, scale);
    if (rc == SF_OK && a->backward)
        rc = (a->reference ? sf_ref_attention_backward_f32 : sf_attention_backward_f32)(
            a->grad, a->grad + d, a->grad + 2 * d, a->dout, a->out, a->lse, a->qkv, a->qkv + d, a->qkv + 2 * d,
            a->b, a->h, a->n, a->dh, ld, scale);
    return rc;
}

/* Median of `repeats` calls (0: as many as fit in about 2 s, 1 to 20), after one warm-up call. */
static double time_attention(const attention_case *a, int64_t repeats, int64_t *reps_out) {
    double t0 = now_ms();
    if (run_attention(a) != SF_OK) return -1;
    const double probe = now_ms() - t0;
    int64_t reps = repeats ? repeats : (int64_t)(2000.0 / (probe > 1e-3 ? probe : 1e-3));
    if (reps < 1) reps = 1;
    if (!repeats && reps > 20) reps = 20;
    double *times = malloc(sizeof(double) * (size_t)reps);
    for (int64_t r = 0; r < reps; r++) {
        t0 = now_ms();
        run_attention(a);
        times[r] = now_ms() - t0;
    }
    qsort(times, (size_t)reps, sizeof(double), cmp_double);
    const double ms = times[reps / 2];
    free(times);
    *reps_out = reps;
    return ms;
}

static int bench_attention(int64_t repeats) {
    const int64_t b = 40, h = 4, dh = 8, d = h * dh, sizes[2] = {1024, 4096};
    printf("attention B=%lld H=%lld Dh=%lld ld=%lld (packed qkv) threads=%d cpu=%s\n", (long long)b, (long long)h,
           (long long)dh, (long long)(3 * d), sf_get_num_threads(), sf_cpu_dispatch_name());
    for (int s = 0; s < 2; s++) {
        const int64_t n = sizes[s];
        const size_t packed = (size_t)(b * n * 3 * d), rows = (size_t)(b * n * d);
        attention_case a = {0, 0, b, h, n, dh, malloc(packed * sizeof(float)), malloc(rows * sizeof(float)),
                            malloc((size_t)(b * h * n) * sizeof(float)), malloc(rows * sizeof(float)),
                            calloc(packed, sizeof(float))};
        if (!a.qkv || !a.out || !a.lse || !a.dout || !a.grad) { fprintf(stderr, "out of memory\n"); return 1; }
        srand(2);
        for (size_t e = 0; e < packed; e++) a.qkv[e] = 2.0f * (float)rand() / (float)RAND_MAX - 1.0f;
        for (size_t e = 0; e < rows; e++) a.dout[e] = 2.0f * (float)rand() / (float)RAND_MAX - 1.0f;
        for (int reference = 0; reference <= (n == 1024); reference++) {
            double ms[2];
            int64_t reps[2];
            for (int backward = 0; backward <= 1; backward++) {
                a.reference = reference;
                a.backward = backward;
                ms[backward] = time_attention(&a, reference ? 1 : repeats, &reps[backward]);
                if (ms[backward] < 0) { fprintf(stderr, "attention failed\n"); return 1; }
            }
            printf("attention %-9s N=%-5lld forward %10.2f ms  forward+backward %10.2f ms  (%lld/%lld reps)\n",
                   reference ? "reference" : "fast", (long long)n, ms[0], ms[1], (long long)reps[0], (long long)reps[1]);
        }
        free(a.qkv); free(a.out); free(a.lse); free(a.dout); free(a.grad);
    }
    return 0;
}

/* ---- FAVOR+ ------------------------------------------------------------------------------ */

typedef struct {
    int reference, backward;
    int64_t b, h, n, dh, m;
    float *qkv, *features, *out, *dout, *grad;
} favor_case;

static int run_favor(const favor_case *a) {
    const int64_t d = a->h * a->dh, ld = 3 * d;
    int rc = (a->reference ? sf_ref_favor_forward_f32 : sf_favor_forward_f32)(
        a->out, a->qkv, a->qkv + d, a->qkv + 2 * d, a->features, a->b, a->h, a->n, a->dh, ld, a->m);
    if (rc == SF_OK && a->backward)
        rc = (a->reference ? sf_ref_favor_backward_f32 : sf_favor_backward_f32)(
            a->grad, a->grad + d, a->grad + 2 * d, a->dout, a->out, a->qkv, a->qkv + d, a->qkv + 2 * d, a->features,
            a->b, a->h, a->n, a->dh, ld, a->m);
    return rc;
}

/* Median of `repeats` calls (0: as many as fit in about 2 s, 1 to 20), after one warm-up call. */
static double time_favor(const favor_case *a, int64_t repeats, int64_t *reps_out) {
    double t0 = now_ms();
    if (run_favor(a) != SF_OK) return -1;
    const double probe = now_ms() - t0;
    int64_t reps = repeats ? repeats : (int64_t)(2000.0 / (probe > 1e-3 ? probe : 1e-3));
    if (reps < 1) reps = 1;
    if (!repeats && reps > 20) reps = 20;
    double *times = malloc(sizeof(double) * (size_t)reps);
    for (int64_t r = 0; r < reps; r++) {
        t0 = now_ms();
        run_favor(a);
        times[r] = now_ms() - t0;
    }
    qsort(times, (size_t)reps, sizeof(double), cmp_double);
    const double ms = times[reps / 2];
    free(times);
    *reps_out = reps;
    return ms;
}

static int bench_favor(int64_t repeats) {
    const int64_t b = 40, h = 4, dh = 8, d = h * dh, m = 256, sizes[3] = {1024, 4096, 16384};
    printf("favor B=%lld H=%lld Dh=%lld ld=%lld (packed qkv) m=%lld threads=%d cpu=%s\n", (long long)b, (long long)h,
           (long long)dh, (long long)(3 * d), (long long)m, sf_get_num_threads(), sf_cpu_dispatch_name());
    float *features = malloc((size_t)(h * m * dh) * sizeof(float));
    if (!features || sf_favor_features_f32(features, h, m, dh, 1) != SF_OK) { fprintf(stderr, "features failed\n"); return 1; }
    for (int s = 0; s < 3; s++) {
        const int64_t n = sizes[s];
        const size_t packed = (size_t)(b * n * 3 * d), rows = (size_t)(b * n * d);
        favor_case a = {0, 0, b, h, n, dh, m, malloc(packed * sizeof(float)), features, malloc(rows * sizeof(float)),
                        malloc(rows * sizeof(float)), calloc(packed, sizeof(float))};
        if (!a.qkv || !a.out || !a.dout || !a.grad) { fprintf(stderr, "out of memory\n"); return 1; }
        srand(2);
        for (size_t e = 0; e < packed; e++) a.qkv[e] = 2.0f * (float)rand() / (float)RAND_MAX - 1.0f;
        for (size_t e = 0; e < rows; e++) a.dout[e] = 2.0f * (float)rand() / (float)RAND_MAX - 1.0f;
        for (int reference = 0; reference <= (n == 1024); reference++) {
            double ms[2];
            int64_t reps[2];
            for (int backward = 0; backward <= 1; backward++) {
                a.reference = reference;
                a.backward = backward;
                ms[backward] = time_favor(&a, reference ? 1 : repeats, &reps[backward]);
                if (ms[backward] < 0) { fprintf(stderr, "favor failed\n"); return 1; }
            }
            printf("favor %-9s N=%-5lld forward %10.2f ms  forward+backward %10.2f ms  (%lld/%lld reps)\n",
                   reference ? "reference" : "fast", (long long)n, ms[0], ms[1], (long long)reps[0], (long long)reps[1]);
        }
        free(a.qkv); free(a.out); free(a.dout); free(a.grad);
    }
    free(features);
    return 0;
}

int main(int argc, char **argv) {
    int64_t n = 16384, c = 64, b = 1, repeats = 0;
    int threads = 0, f64 = 0, per_item = 0;
    const char *kernel = "all";
    for (int a = 1; a + 1 < argc; a += 2) {
        if (!strcmp(argv[a], "--n")) n = atoll(argv[a + 1]);
        else if (!strcmp(argv[a], "--channels")) c = atoll(argv[a + 1]);
        else if (!strcmp(argv[a], "--batch")) b = atoll(argv[a + 1]);
        else if (!strcmp(argv[a], "--threads")) threads = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--repeats")) repeats = atoll(argv[a + 1]);
        else if (!strcmp(argv[a], "--kernel")) kernel = argv[a + 1];
        else if (!strcmp(argv[a], "--dtype")) f64 = !strcmp(argv[a + 1], "f64");
        else if (!strcmp(argv[a], "--per-item")) per_item = atoi(argv[a + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[a]); return 2; }
    }
    if (!strcmp(kernel, "attention")) {
        sf_set_num_threads(threads);
        return bench_attention(repeats);
    }
    if (!strcmp(kernel, "favor")) {
        sf_set_num_threads(threads);
        return bench_favor(repeats);
    }
    if (n < 2 || c < 1 || b < 1) { fprintf(stderr, "need N >= 2, C >= 1, B >= 1\n"); return 2; }
    sf_set_num_threads(threads);
    pattern p = chord(n, c, b);
    const size_t s = f64 ? sizeof(double) : sizeof(float);
    const size_t block = (size_t)(b * n * c), values = (size_t)(p.m * n * p.k * (per_item ? b : 1));
    /* Single-factor kernels take factor 1 of each item: the item stride is the whole chain. */
    p.wstride = per_item ? p.m * n * p.k : 0;
    buffers bf = {&p, f64, calloc(block, s), malloc(block * s), malloc(values * s), calloc(values, s),
                  malloc(block * s * (size_t)(p.m > 1 ? p.m - 1 : 1))};
    if (!bf.y || !bf.x || !bf.w || !bf.dw || !bf.acts) { fprintf(stderr, "out of memory\n"); return 1; }
    srand(1);
    for (size_t e = 0; e < block; e++) {
        double v = 2.0 * rand() / RAND_MAX - 1;
        if (f64) ((double *)bf.x)[e] = v; else ((float *)bf.x)[e] = (float)v;
    }
    for (size_t e = 0; e < values; e++) {
        double v = 1.0 / p.k + 0.01 * rand() / RAND_MAX;
        if (f64) ((double *)bf.w)[e] = v; else ((float *)bf.w)[e] = (float)v;
    }
    const char *all[] = {"forward", "transpose", "backward", "chain-forward", "chain-backward"};
    printf("N=%lld K=%lld C=%lld B=%lld M=%lld %s threads=%d cpu=%s\n", (long long)n, (long long)p.k, (long long)c,
           (long long)b, (long long)p.m, f64 ? "f64" : "f32", sf_get_num_threads(), sf_cpu_dispatch_name());
    for (int q = 0; q < 5; q++) {
        if (strcmp(kernel, "all") && strcmp(kernel, all[q])) continue;
        if (run_kernel(all[q], &bf) != SF_OK) { fprintf(stderr, "%s failed\n", all[q]); return 1; }
        double t0 = now_ms();
        run_kernel(all[q], &bf);
        double probe = now_ms() - t0;
        int64_t reps = repeats ? repeats : (int64_t)(300.0 / (probe > 1e-3 ? probe : 1e-3));
        if (reps < 5) reps = 5;
        if (reps > 2000) reps = 2000;
        double *times = malloc(sizeof(double) * reps);
        for (int64_t r = 0; r < reps; r++) {
            t0 = now_ms();
            run_kernel(all[q], &bf);
            times[r] = now_ms() - t0;
        }
        qsort(times, reps, sizeof(double), cmp_double);
        const double ms = times[reps / 2];
        const int64_t factors = q >= 3 ? p.m : 1;
        /* forward/transpose: 2 flops per link and channel; backward does dx and dw: twice that. */
        const double flops = 2.0 * factors * b * n * p.k * c * ((q == 2 || q == 4) ? 2 : 1);
        const double bytes = factors * (2.0 * block * s + (double)n * p.k * (s + 8));
        printf("%-15s %10.3f ms  %8.2f GFLOP/s  %8.2f GB/s  (%lld reps)\n", all[q], ms, flops / (ms * 1e6),
               bytes / (ms * 1e6), (long long)reps);
        free(times);
    }
    return 0;
}
