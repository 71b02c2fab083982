/*
 * Chord factors in diagonal form, for blocks stored channel-major (Float32).
 *
 * A factor whose row i links to (i + s_k) mod N for k = 0..K-1 (the Chord pattern has
 * s = 0, 1, 2, 4, ...) is W = sum_k diag(w_k) S^{s_k} with (S^s x)[i] = x[(i + s) mod N].
 * With the block stored channel by channel ([B, C, N]: each channel a contiguous row over the
 * N positions) and the values link by link ([B, K, N]), every product is a run of
 * multiply-adds over contiguous, shifted rows: no index arrays, no horizontal sums. Rows are
 * ld >= N floats apart: callers pad N = 1024, 2048, ... so that the rows of one sequence do not
 * all start at the same address modulo 4 KiB, which costs this loop more than half its speed
 * (L1 set conflicts and false store-to-load dependencies, measured at N = 1024 vs 1040).
 *
 * Determinism: each sequence b belongs to one thread; forward and the input gradient add the
 * links in order k = 0..K-1, the value gradient adds the channels in order c = 0..C-1.
 * Nothing is summed across threads.
 * The naive oracle is sf_ref_shift_factor_* in reference_kernels.c.
 */
#include "sparse_factor_kernels.h"
#include "kernel_common.h"
#include "parallel.h"

#include <string.h>

typedef struct {
    float *y, *dx, *dw, *dr;
    const float *w, *x, *dy, *r;
    const int64_t *shifts;
    int64_t B, N, K, C, ld;
    int accumulate;
} shift_job;

/* 16 floats as one value; macros rather than functions so that no function passes one (its ABI
 * would differ between the target clones). */
typedef float sv_vec __attribute__((vector_size(64)));
#define SV_LANES 16
#define sv_load(p) ({ sv_vec v_; memcpy(&v_, (p), sizeof v_); v_; })
#define sv_store(p, v) do { sv_vec w_ = (v); memcpy((p), &w_, sizeof w_); } while (0)

/* The positions [0, N) cut where some link's source index wraps around: for the forward shift
 * (source i + s) at N - s, for the transposed one (source j - s) at s. Within a segment every
 * link reads at one fixed offset, so the loops below run over contiguous memory. Returns the
 * number of boundaries written (sorted, first 0, last N). */
static int64_t shift_segments(int64_t *bounds, const int64_t *shifts, int64_t K, int64_t N, int transposed) {
    int64_t count = 0;
    bounds[count++] = 0;
    bounds[count++] = N;
    for (int64_t k = 0; k < K; k++) {
        const int64_t cut = transposed ? shifts[k] : N - shifts[k];
        if (cut > 0 && cut < N) bounds[count++] = cut;
    }
    for (int64_t a = 1; a < count; a++)               /* insertion sort: K is small */
        for (int64_t b = a; b > 0 && bounds[b - 1] > bounds[b]; b--) {
            const int64_t t = bounds[b]; bounds[b] = bounds[b - 1]; bounds[b - 1] = t;
        }
    int64_t unique = 1;
    for (int64_t a = 1; a < count; a++)
        if (bounds[a] != bounds[unique - 1]) bounds[unique++] = bounds[a];
    return unique;
}

/* The offset of link k's source for positions in the segment starting at lo. */
static inline int64_t shift_offset(int64_t s, int64_t lo, int64_t N, int transposed) {
    if (transposed) return lo >= s ? -s : N - s;
    return lo < N - s ? s : s - N;
}

/* One sequence, positions [lo, hi) of a segment, channels c0 .. c0 + CC - 1 (CC constant when
 * inlined from the switches below, so the accumulators live in registers):
 *   forward:    y[c][i] = start[c][i] + sum_k w[k][i] x[c][i + off_k]          (links in order)
 *   transposed: y[c][j] = start[c][j] + sum_k w[k][j + off_k] x[c][j + off_k]  (links in order)
 * where start is `init` (the residual, or y itself to accumulate) or zero when init is NULL. */
static inline __attribute__((always_inline)) void shift_gather_(float *y, const float *init,
                                                                const float *restrict w, const float *restrict x,
                                                                const int64_t *off, int64_t lo, int64_t hi, int64_t ld,
                                                                int64_t K, int64_t CC, int transposed) {
    int64_t i = lo;
    for (; i + SV_LANES <= hi; i += SV_LANES) {
        sv_vec acc[CC];
        for (int64_t c = 0; c < CC; c++) acc[c] = init ? sv_load(init + c * ld + i) : (sv_vec){0};
        for (int64_t k = 0; k < K; k++) {
            const sv_vec wv = transposed ? sv_load(w + k * ld + i + off[k]) : sv_load(w + k * ld + i);
            for (int64_t c = 0; c < CC; c++) acc[c] += wv * sv_load(x + c * ld + i + off[k]);
        }
        for (int64_t c = 0; c < CC; c++) sv_store(y + c * ld + i, acc[c]);
    }
    for (; i < hi; i++)
        for (int64_t c = 0; c < CC; c++) {
            float acc = init ? init[c * ld + i] : 0.0f;
            for (int64_t k = 0; k < K; k++)
                acc += (transposed ? w[k * ld + i + off[k]] : w[k * ld + i]) * x[c * ld + i + off[k]];
            y[c * ld + i] = acc;
        }
}

/* dw[k][i] (+)= sum_c dy[c][i] x[c][i + off_k] for positions [lo, hi), channels in order. */
static inline __attribute__((always_inline)) void shift_value_grad_(float *restrict dw, const float *restrict dy,
                                                                    const float *restrict x, const int64_t *off,
                                                                    int64_t lo, int64_t hi, int64_t ld, int64_t K,
                                                                    int64_t C, int accumulate) {
    int64_t i = lo;
    for (; i + SV_LANES <= hi; i += SV_LANES) {
        sv_vec d[C];
        for (int64_t c = 0; c < C; c++) d[c] = sv_load(dy + c * ld + i);
        for (int64_t k = 0; k < K; k++) {
            sv_vec acc = accumulate ? sv_load(dw + k * ld + i) : (sv_vec){0};
            for (int64_t c = 0; c < C; c++) acc += d[c] * sv_load(x + c * ld + i + off[k]);
            sv_store(dw + k * ld + i, acc);
        }
    }
    for (; i < hi; i++)
        for (int64_t k = 0; k < K; k++) {
            float acc = accumulate ? dw[k * ld + i] : 0.0f;
            for (int64_t c = 0; c < C; c++) acc += dy[c * ld + i] * x[c * ld + i + off[k]];
            dw[k * ld + i] = acc;
        }
}

/* Channel groups of 8 (constant-size accumulators), then the rest. */
#define SHIFT_CHANNEL_GROUPS(CALL8, CALLN)                                                        \
    do {                                                                                          \
        int64_t c0_ = 0;                                                                          \
        for (; c0_ + 8 <= C; c0_ += 8) { const int64_t c0 = c0_; CALL8; }                         \
        if (c0_ < C) { const int64_t c0 = c0_; const int64_t cn = C - c0_; CALLN; }               \
    } while (0)

SF_VECTOR_CLONES
static void shift_gather_item(float *y, const float *init, const float *w, const float *x, const int64_t *shifts,
                              const int64_t *bounds, int64_t segments, int64_t N, int64_t ld, int64_t K, int64_t C,
                              int transposed) {
    int64_t off[K];
    for (int64_t sgm = 0; sgm + 1 < segments; sgm++) {
        const int64_t lo = bounds[sgm], hi = bounds[sgm + 1];
        for (int64_t k = 0; k < K; k++) off[k] = shift_offset(shifts[k], lo, N, transposed);
        const float *start = init;
        if (transposed)
            SHIFT_CHANNEL_GROUPS(
                shift_gather_(y + c0 * ld, start ? start + c0 * ld : NULL, w, x + c0 * ld, off, lo, hi, ld, K, 8, 1),
                shift_gather_(y + c0 * ld, start ? start + c0 * ld : NULL, w, x + c0 * ld, off, lo, hi, ld, K, cn, 1));
        else
            SHIFT_CHANNEL_GROUPS(
                shift_gather_(y + c0 * ld, start ? start + c0 * ld : NULL, w, x + c0 * ld, off, lo, hi, ld, K, 8, 0),
                shift_gather_(y + c0 * ld, start ? start + c0 * ld : NULL, w, x + c0 * ld, off, lo, hi, ld, K, cn, 0));
    }
}

SF_VECTOR_CLONES
static void shift_value_grad_item(float *dw, const float *dy, const float *x, const int64_t *shifts,
                                  const int64_t *bounds, int64_t segments, int64_t N, int64_t ld, int64_t K, int64_t C,
                                  int accumulate) {
    int64_t off[K];
    for (int64_t sgm = 0; sgm + 1 < segments; sgm++) {
        const int64_t lo = bounds[sgm], hi = bounds[sgm + 1];
        for (int64_t k = 0; k < K; k++) off[k] = shift_offset(shifts[k], lo, N, 0);
        if (C == 8) shift_value_grad_(dw, dy, x, off, lo, hi, ld, K, 8, accumulate);
        else shift_value_grad_(dw, dy, x, off, lo, hi, ld, K, C, accumulate);
    }
}

/* y[c][i] += x[c][i] for C rows of N entries, ld apart. */
SF_VECTOR_CLONES
static void shift_add_rows(float *restrict y, const float *restrict x, int64_t C, int64_t N, int64_t ld) {
    for (int64_t c = 0; c < C; c++)
        for (int64_t i = 0; i < N; i++) y[c * ld + i] += x[c * ld + i];
}

/* Each sequence b belongs to one thread. */
static void shift_forward_items(void *ctx, int64_t begin, int64_t end) {
    shift_job *t = (shift_job *)ctx;
    const int64_t N = t->N, K = t->K, C = t->C, ld = t->ld;
    int64_t bounds[K + 2];
    const int64_t segments = shift_segments(bounds, t->shifts, K, N, 0);
    for (int64_t b = begin; b < end; b++)
        shift_gather_item(t->y + b * C * ld, t->r ? t->r + b * C * ld : NULL, t->w + b * K * ld, t->x + b * C * ld,
                          t->shifts, bounds, segments, N, ld, K, C, 0);
}

static void shift_backward_items(void *ctx, int64_t begin, int64_t end) {
    shift_job *t = (shift_job *)ctx;
    const int64_t N = t->N, K = t->K, C = t->C, ld = t->ld;
    int64_t forward_bounds[K + 2], transposed_bounds[K + 2];
    const int64_t fseg = shift_segments(forward_bounds, t->shifts, K, N, 0);
    const int64_t tseg = shift_segments(transposed_bounds, t->shifts, K, N, 1);
    for (int64_t b = begin; b < end; b++) {
        if (t->dw)
            shift_value_grad_item(t->dw + b * K * ld, t->dy + b * C * ld, t->x + b * C * ld, t->shifts, forward_bounds,
                                  fseg, N, ld, K, C, t->accumulate);
        if (t->dx) {
            float *dxb = t->dx + b * C * ld;
            shift_gather_item(dxb, t->accumulate ? dxb : NULL, t->w + b * K * ld, t->dy + b * C * ld, t->shifts,
                              transposed_bounds, tseg, N, ld, K, C, 1);
        }
        if (t->dr) shift_add_rows(t->dr + b * C * ld, t->dy + b * C * ld, C, N, ld);   /* the residual's gradient */
    }
}

static int shift_args_ok(const int64_t *shifts, int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld) {
    if (!shifts || !sf_sizes_ok(B, N, K, C) || ld < N) return 0;
    for (int64_t k = 0; k < K; k++)
        if (shifts[k] < 0 || shifts[k] >= N) return 0;
    return 1;
}

/* y[b, c, i] = r[b, c, i] + sum_k w[b, k, i] x[b, c, (i + s_k) mod N], links added in order k after
 * the residual r (taken as zero when NULL).
 * y: B*C*ld, w: B*K*ld, x: B*C*ld, r: B*C*ld (rows of N positions, ld >= N apart), shifts: K
 * (each in [0, N)); y must not overlap x (it may be r). Entries past N in a row are neither read
 * nor written. */
int sf_shift_factor_forward_f32(float *y, const float *w, const float *x, const float *r, const int64_t *shifts,
                                int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld) {
    if (!y || !w || !x || !shift_args_ok(shifts, B, N, K, C, ld)) return SF_ERR_ARGUMENT;
    shift_job job = {.y = y, .w = w, .x = x, .r = r, .shifts = shifts, .B = B, .N = N, .K = K, .C = C, .ld = ld};
    sf_parallel_rows_dynamic(shift_forward_items, &job, B, C * K * N);
    return SF_OK;
}

/* Backward of sf_shift_factor_forward_f32 for dy. With accumulate = 1 the gradients are added
 * (llm.c style), with 0 they overwrite the outputs (no zeroing pass needed):
 *   dx[b, c, j] (+)= sum_k w[b, k, i] dy[b, c, i] over the i with (i + s_k) mod N = j (skipped when dx is NULL),
 *   dw[b, k, i] (+)= sum_c dy[b, c, i] x[b, c, (i + s_k) mod N]             (skipped when dw is NULL),
 *   dr[b, c, i] += dy[b, c, i]: the residual's gradient, always added     (skipped when dr is NULL).
 * dx, dr: B*C*ld, dw: B*K*ld, dy: B*C*ld, w: B*K*ld, x: B*C*ld, shifts: K */
int sf_shift_factor_backward_f32(float *dx, float *dw, float *dr, const float *dy, const float *w, const float *x,
                                 const int64_t *shifts, int64_t B, int64_t N, int64_t K, int64_t C, int64_t ld,
                                 int accumulate) {
    if (!dy || !w || !x || !shift_args_ok(shifts, B, N, K, C, ld)) return SF_ERR_ARGUMENT;
    shift_job job = {.dx = dx, .dw = dw, .dr = dr, .w = w, .x = x, .dy = dy, .shifts = shifts, .B = B, .N = N, .K = K,
                     .C = C, .ld = ld, .accumulate = accumulate != 0};
    if (dw || dx || dr) sf_parallel_rows_dynamic(shift_backward_items, &job, B, 2 * C * K * N);
    return SF_OK;
}
