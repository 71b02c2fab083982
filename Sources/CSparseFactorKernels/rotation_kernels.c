/*
 * ChordMixer's track rotation (Float32): a gather of whole track segments along the sequence.
 * Each output row (b, i) is written by one thread (rows handed out in static ranges), so the
 * results do not depend on the thread count; the backward is the inverse gather, also one owner
 * per row of dinp. The naive oracle is sf_ref_chord_rotate_* in the reference target.
 */
#include "sparse_factor_kernels.h"
#include "kernel_common.h"
#include "parallel.h"

#include <stdlib.h>

typedef struct {
    float *out;
    const float *inp;
    const int64_t *shift;   /* per track, already reduced mod n */
    int64_t n, d, track;
    int inverse;            /* 0: out[i] = inp[i + s] (forward); 1: out[i] += inp[i - s] (backward) */
} rotate_job;

SF_VECTOR_CLONES
static void rotate_rows(void *ctx, int64_t begin, int64_t end) {
    const rotate_job *job = (const rotate_job *)ctx;
    const int64_t n = job->n, d = job->d, track = job->track;
    for (int64_t row = begin; row < end; row++) {
        const int64_t b = row / n, i = row % n;
        float *restrict out = job->out + row * d;
        for (int64_t lo = 0, t = 0; lo < d; lo += track, t++) {
            const int64_t hi = lo + track < d ? lo + track : d;
            const int64_t s = job->shift[t];
            const int64_t j = job->inverse ? (i >= s ? i - s : i - s + n) : (i + s < n ? i + s : i + s - n);
            const float *restrict src = job->inp + (b * n + j) * d;
            if (job->inverse) {
                for (int64_t c = lo; c < hi; c++) out[c] += src[c];
            } else {
                for (int64_t c = lo; c < hi; c++) out[c] = src[c];
            }
        }
    }
}

static int rotate(float *out, const float *inp, int64_t batch, int64_t n, int64_t d, int64_t track, int inverse) {
    int64_t rows;
    if (!out || !inp || batch < 1 || n < 1 || d < 1 || track < 1 || __builtin_mul_overflow(batch, n, &rows)) return SF_ERR_ARGUMENT;
    int64_t total;
    if (__builtin_mul_overflow(rows, d, &total)) return SF_ERR_ARGUMENT;
    const int64_t tracks = (d - 1) / track + 1;
    int64_t *shift = malloc(sizeof(int64_t) * (size_t)tracks);
    if (!shift) return SF_ERR_MEMORY;
    /* s(0) = 0, s(t) = 2^(t-1) mod n, by doubling mod n (no overflow for any t). */
    int64_t power = 1 % n;
    for (int64_t t = 0; t < tracks; t++) {
        shift[t] = t == 0 ? 0 : power;
        if (t > 0) power = (int64_t)(((uint64_t)power * 2) % (uint64_t)n);   /* power < n < 2^63: no wrap */
    }
    rotate_job job = {out, inp, shift, n, d, track, inverse};
    sf_parallel_rows(rotate_rows, &job, rows, d);
    free(shift);
    return SF_OK;
}

/* out: batch*n*d, inp: batch*n*d */
int sf_chord_rotate_forward_f32(float *out, const float *inp, int64_t batch, int64_t n, int64_t d, int64_t track) {
    return rotate(out, inp, batch, n, d, track, 0);
}

/* dinp: batch*n*d (+=), dout: batch*n*d */
int sf_chord_rotate_backward_f32(float *dinp, const float *dout, int64_t batch, int64_t n, int64_t d, int64_t track) {
    return rotate(dinp, dout, batch, n, d, track, 1);
}
