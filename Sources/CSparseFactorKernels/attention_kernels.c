/*
 * Multi-head softmax attention (Float32): the FlashAttention algorithm (Dao et al. 2022) on the CPU,
 * with the backward of FlashAttention-2 (Dao 2023), llm.c style: attention_forward / attention_backward.
 * The scores are recomputed tile by tile and never stored: no n_q x n_kv buffer; the only heap scratch
 * is the backward's D (B*H*n_q floats), plus per-thread tiles for a head_dim without a specialized copy.
 * One implementation serves self-attention (sf_attention_*: n_q = n_kv, one row stride) and attention
 * of n_q queries over n_kv keys and values with their own row strides (sf_cross_attention_*, e.g.
 * Linformer's keys and values projected to k rows).
 *
 * Vectorization. A work item owns 16 rows of one (batch, head), one per vector lane: 16 queries in
 * the forward and in the dQ pass, 16 keys in the dK/dV pass. It walks the other side one row at a
 * time, in order, broadcasting that row's head_dim values, so one score, one exp and one
 * accumulator update each serve 16 (query, key) pairs: no horizontal sums, no transposed copy of K
 * or V, and the owned accumulators (O, dQ, dK, dV: head_dim vectors) stay in registers. With
 * Dh = 8 the exp is about half of the work; it is nn_exp_nonpositive applied lane by lane in a loop
 * the vectorizer turns into straight vector code. head_dim 4, 8, 16 and 32 get specialized copies
 * (their loops over d unroll); any other head_dim runs the same code with run-time loops.
 *
 * Forward: an online softmax over tiles of AT_KEY_TILE keys. Per tile: the 16 x tile scores (kept in
 * an L1 buffer) and their running maximum m, one rescale of l and O by exp(m_old - m), then
 * p = exp(s - m), then l += p, O += p v. At the end out = O / l and lse = m + log l.
 * Backward (FlashAttention-2): D_i = dO_i . O_i per row first; then
 *   pass 1, per group of 16 keys, over all queries i in order:  p = exp(s - lse_i),
 *     dp = dO_i . v, ds = p (dp - D_i);  dV += p dO_i,  dK += scale ds q_i;
 *   pass 2, per group of 16 queries, over all keys j in order: the same p and ds,  dQ += scale ds k_j.
 * The backward walks in steps of AT_ROW_TILE rows the same way: the step's scores and dp first, then
 * its exps, then the accumulator updates. Each loop's iterations are short and independent, so the
 * out-of-order core overlaps them; one loop doing dot, exp and update per row chains about a hundred
 * cycles of latency per row, more than the reorder window hides (measured a third slower; splitting
 * the forward's exp from its P V loop gained a tenth).
 * Every pass computes a score the same way (the q.k products summed over d in order, then times
 * scale), so the backward's p sees the forward's scores bit for bit.
 *
 * Determinism: every output row (out, lse, D, and each row of dQ, dK, dV) belongs to exactly one
 * item, and each item sums in a fixed order; the tile sizes are constants. Results are therefore
 * the same for any thread count. (The CPU's code path, AVX-512, AVX2 or baseline, may change the
 * last bits: only the baseline path has no FMA.) The naive oracle is sf_ref_cross_attention_* (and
 * sf_ref_attention_*) in attention_reference_kernels.c (CSparseFactorReference).
 */
#include "sparse_factor_kernels.h"
#include "kernel_common.h"
#include "nn_math.h"
#include "parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Owned rows per item: one vector of 16 floats (one AVX-512 register, two AVX2 ones). */
#define AT_LANES 16
/* Forward: keys per online-softmax step; the rescale of O costs head_dim multiplies per tile. */
#define AT_KEY_TILE 64
/* Backward: rows per step of the walk over the other side (scores, then exps, then updates). */
#define AT_ROW_TILE 32

typedef float at_vec __attribute__((vector_size(AT_LANES * sizeof(float))));
typedef int32_t at_mask __attribute__((vector_size(AT_LANES * sizeof(int32_t))));
#define AT_INLINE static inline __attribute__((always_inline))

/* exp lane by lane (arguments <= 0 up to rounding). A macro, not a function: a function taking or
 * returning at_vec would change its ABI per clone. The pragma keeps the loop from being unrolled
 * into 16 scalar exps. */
#define at_exp(x)                                                                      \
    ({                                                                                 \
        at_vec x_ = (x);                                                               \
        float t_[AT_LANES];                                                            \
        memcpy(t_, &x_, sizeof x_);                                                    \
        _Pragma("clang loop vectorize(enable) unroll(disable)")                        \
        for (int l_ = 0; l_ < AT_LANES; l_++) t_[l_] = nn_exp_nonpositive(t_[l_]);     \
        memcpy(&x_, t_, sizeof x_);                                                    \
        x_;                                                                            \
    })

/* a > b ? a : b lanewise: one max instruction. (__builtin_elementwise_max is IEEE maxNum, whose NaN
 * handling adds two instructions to the running maximum's dependency chain: 30% of the forward.) */
#define at_max(a, b)                                                                   \
    ({                                                                                 \
        const at_vec a_ = (a), b_ = (b);                                               \
        const at_mask m_ = a_ > b_;                                                    \
        (at_vec)((m_ & (at_mask)a_) | (~m_ & (at_mask)b_));                            \
    })

/* sum_d a[d] * b[d] for 16 lanes: a holds head_dim vectors (the owned rows), b is the walked row. */
#define at_dot(a, b, dh)                                                               \
    ({                                                                                 \
        at_vec s_ = (a)[0] * (b)[0];                                                   \
        for (int64_t d_ = 1; d_ < (dh); d_++) s_ += (a)[d_] * (b)[d_];                 \
        s_;                                                                            \
    })

/* The two sides: n_q queries (rows of q, dq, out, dout, lse, D) and n_kv keys and values (rows of k,
 * v, dk, dv) per (batch, head). Self-attention is n_q = n_kv, ld_q = ld_kv. */
typedef struct {
    float *out, *lse;                  /* forward */
    float *dq, *dk, *dv;               /* backward (+=) */
    float *delta;                      /* backward scratch: D = rowsum(dO * O), [B, H, n_q] */
    const float *q, *k, *v;            /* [B, n_q, ld_q] and [B, n_kv, ld_kv] slices */
    const float *dout, *o, *slse;      /* backward inputs: dO and O ([B, n_q, H*Dh]), lse */
    int64_t heads, dh;
    int64_t nq, ldq, groups_q;         /* queries; groups of 16 per (batch, head) */
    int64_t nkv, ldkv, groups_kv;      /* keys and values */
    float scale;
    at_vec *scratch;                   /* run-time head_dim only: slot_vecs vectors per thread */
    int64_t slot_vecs;
} attn_job;

/* Item -> batch b, head h and its owned rows [r0, r0 + rows) of a side of n rows in groups per (b, h). */
typedef struct {
    int64_t b, h, r0, rows;
} at_group;

AT_INLINE at_group at_item(const attn_job *job, int64_t item, int64_t n, int64_t groups) {
    const int64_t bh = item / groups;
    at_group g = {bh / job->heads, bh % job->heads, (item % groups) * AT_LANES, 0};
    g.rows = n - g.r0 < AT_LANES ? n - g.r0 : AT_LANES;
    return g;
}

/* dst[d][r] = src[r*stride + d] for the group's rows; lanes past the last row are 0. */
AT_INLINE void at_gather(at_vec *dst, const float *src, int64_t stride, int64_t rows, int64_t dh) {
    for (int64_t d = 0; d < dh; d++) dst[d] = (at_vec){0};
    for (int64_t r = 0; r < rows; r++)
        for (int64_t d = 0; d < dh; d++) dst[d][r] = src[r * stride + d];
}

/* dst[r*stride + d] += scale * src[d][r] for the group's rows. */
AT_INLINE void at_scatter_add(float *dst, const at_vec *src, int64_t stride, int64_t rows, int64_t dh, float scale) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t d = 0; d < dh; d++) dst[r * stride + d] += scale * src[d][r];
}

/* ---- forward ------------------------------------------------------------------------- */

/* 16 queries of one (b, h) against all n_kv keys.  ws: 2*dh vectors (Q^T, O). */
AT_INLINE void attn_forward_group(const attn_job *job, int64_t item, const int64_t dh, at_vec *ws) {
    const at_group g = at_item(job, item, job->nq, job->groups_q);
    const int64_t nq = job->nq, nkv = job->nkv, ld = job->ldkv, hd = job->heads * dh;
    const float *k = job->k + g.b * nkv * ld + g.h * dh, *v = job->v + g.b * nkv * ld + g.h * dh;
    at_vec *qt = ws, *acc = ws + dh;
    at_gather(qt, job->q + (g.b * nq + g.r0) * job->ldq + g.h * dh, job->ldq, g.rows, dh);
    for (int64_t d = 0; d < dh; d++) acc[d] = (at_vec){0};
    const at_vec zero = {0};
    /* m starts at -inf: the first rescale is exp(-inf), clamped to ~1e-38, times l = O = 0. */
    at_vec m = zero - INFINITY, l = zero;
    at_vec s[AT_KEY_TILE];
    for (int64_t j0 = 0; j0 < nkv; j0 += AT_KEY_TILE) {
        const int64_t tile = nkv - j0 < AT_KEY_TILE ? nkv - j0 : AT_KEY_TILE;
        at_vec mt = m;
        for (int64_t j = 0; j < tile; j++) {
            s[j] = at_dot(qt, k + (j0 + j) * ld, dh) * job->scale;
            mt = at_max(s[j], mt);
        }
        /* One rescale per tile rather than per key: exp(m_old - m) is 1 when the max did not move. */
        const at_vec alpha = at_exp(m - mt);
        m = mt;
        l *= alpha;
        for (int64_t d = 0; d < dh; d++) acc[d] *= alpha;
        for (int64_t j = 0; j < tile; j++) s[j] = at_exp(s[j] - m);
        for (int64_t j = 0; j < tile; j++) {
            const float *vj = v + (j0 + j) * ld;
            const at_vec p = s[j];
            l += p;
            for (int64_t d = 0; d < dh; d++) acc[d] += p * vj[d];
        }
    }
    float *out = job->out + (g.b * nq + g.r0) * hd + g.h * dh;
    float *lse = job->lse + (g.b * job->heads + g.h) * nq + g.r0;
    for (int64_t r = 0; r < g.rows; r++) {
        lse[r] = m[r] + logf(l[r]);   /* l >= 1 (the maximal key's term is exp(0) = 1) */
        for (int64_t d = 0; d < dh; d++) out[r * hd + d] = acc[d][r] / l[r];
    }
}

/* The item functions: a copy per specialized head_dim (scratch on the stack, where the loops over d
 * unroll and the vectors become registers), else the run-time head_dim on the slot's scratch. */
#define AT_DISPATCH(group_fn, nvec)                                                              \
    do {                                                                                         \
        const attn_job *job_ = (const attn_job *)ctx;                                            \
        switch (job_->dh) {                                                                      \
        case 4: { at_vec ws_[(nvec) * 4]; group_fn(job_, item, 4, ws_); break; }                 \
        case 8: { at_vec ws_[(nvec) * 8]; group_fn(job_, item, 8, ws_); break; }                 \
        case 16: { at_vec ws_[(nvec) * 16]; group_fn(job_, item, 16, ws_); break; }              \
        case 32: { at_vec ws_[(nvec) * 32]; group_fn(job_, item, 32, ws_); break; }              \
        default: group_fn(job_, item, job_->dh, job_->scratch + slot * job_->slot_vecs); break;  \
        }                                                                                        \
    } while (0)

static int at_specialized(int64_t dh) { return dh == 4 || dh == 8 || dh == 16 || dh == 32; }

SF_VECTOR_CLONES
static void attn_forward_item(void *ctx, int64_t item, int slot) { AT_DISPATCH(attn_forward_group, 2); }

/* ---- backward ------------------------------------------------------------------------ */

/* Pass 0: D[b, h, i] = dO_i . O_i, rows = (b, i) pairs of queries. */
static void attn_delta_rows(void *ctx, int64_t begin, int64_t end) {
    const attn_job *job = (const attn_job *)ctx;
    const int64_t n = job->nq, dh = job->dh, hd = job->heads * dh;
    for (int64_t row = begin; row < end; row++) {
        const int64_t b = row / n, i = row % n;
        for (int64_t h = 0; h < job->heads; h++) {
            const float *dy = job->dout + row * hd + h * dh, *y = job->o + row * hd + h * dh;
            float sum = 0.0f;
            for (int64_t d = 0; d < dh; d++) sum += dy[d] * y[d];
            job->delta[(b * job->heads + h) * n + i] = sum;
        }
    }
}

/* Pass 1: dK and dV of 16 keys, over all n_q queries in order.  ws: 4*dh vectors (K^T, V^T, dK, dV). */
AT_INLINE void attn_backward_kv_group(const attn_job *job, int64_t item, const int64_t dh, at_vec *ws) {
    const at_group g = at_item(job, item, job->nkv, job->groups_kv);
    const int64_t n = job->nq, ld = job->ldq, hd = job->heads * dh;
    const int64_t own = (g.b * job->nkv + g.r0) * job->ldkv + g.h * dh;
    const float *q = job->q + g.b * n * ld + g.h * dh, *dout = job->dout + g.b * n * hd + g.h * dh;
    const float *lse = job->slse + (g.b * job->heads + g.h) * n, *delta = job->delta + (g.b * job->heads + g.h) * n;
    at_vec *kt = ws, *vt = ws + dh, *gk = ws + 2 * dh, *gv = ws + 3 * dh;
    at_gather(kt, job->k + own, job->ldkv, g.rows, dh);
    at_gather(vt, job->v + own, job->ldkv, g.rows, dh);
    for (int64_t d = 0; d < dh; d++) gk[d] = gv[d] = (at_vec){0};
    at_vec x[AT_ROW_TILE], y[AT_ROW_TILE];
    for (int64_t i0 = 0; i0 < n; i0 += AT_ROW_TILE) {
        const int64_t tile = n - i0 < AT_ROW_TILE ? n - i0 : AT_ROW_TILE;
        for (int64_t t = 0; t < tile; t++) {
            const float *qi = q + (i0 + t) * ld, *dyi = dout + (i0 + t) * hd;
            x[t] = at_dot(kt, qi, dh) * job->scale - lse[i0 + t];
            y[t] = at_dot(vt, dyi, dh) - delta[i0 + t];
        }
        for (int64_t t = 0; t < tile; t++) {
            x[t] = at_exp(x[t]);
            y[t] *= x[t];
        }
        for (int64_t t = 0; t < tile; t++) {
            const float *qi = q + (i0 + t) * ld, *dyi = dout + (i0 + t) * hd;
            const at_vec p = x[t], ds = y[t];
            for (int64_t d = 0; d < dh; d++) {
                gv[d] += p * dyi[d];
                gk[d] += ds * qi[d];
            }
        }
    }
    at_scatter_add(job->dk + own, gk, job->ldkv, g.rows, dh, job->scale);
    at_scatter_add(job->dv + own, gv, job->ldkv, g.rows, dh, 1.0f);
}

/* Pass 2: dQ of 16 queries, over all n_kv keys in order.  ws: 3*dh vectors (Q^T, dO^T, dQ). */
AT_INLINE void attn_backward_q_group(const attn_job *job, int64_t item, const int64_t dh, at_vec *ws) {
    const at_group g = at_item(job, item, job->nq, job->groups_q);
    const int64_t n = job->nkv, ld = job->ldkv, hd = job->heads * dh, base = g.b * n * ld + g.h * dh;
    const float *k = job->k + base, *v = job->v + base;
    const int64_t own = (g.b * job->nq + g.r0) * job->ldq + g.h * dh, bh = (g.b * job->heads + g.h) * job->nq + g.r0;
    at_vec *qt = ws, *dyt = ws + dh, *gq = ws + 2 * dh;
    at_gather(qt, job->q + own, job->ldq, g.rows, dh);
    at_gather(dyt, job->dout + (g.b * job->nq + g.r0) * hd + g.h * dh, hd, g.rows, dh);
    at_vec lse, delta;
    at_gather(&lse, job->slse + bh, 1, g.rows, 1);
    at_gather(&delta, job->delta + bh, 1, g.rows, 1);
    for (int64_t d = 0; d < dh; d++) gq[d] = (at_vec){0};
    at_vec x[AT_ROW_TILE], y[AT_ROW_TILE];
    for (int64_t j0 = 0; j0 < n; j0 += AT_ROW_TILE) {
        const int64_t tile = n - j0 < AT_ROW_TILE ? n - j0 : AT_ROW_TILE;
        for (int64_t t = 0; t < tile; t++) {
            x[t] = at_dot(qt, k + (j0 + t) * ld, dh) * job->scale - lse;
            y[t] = at_dot(dyt, v + (j0 + t) * ld, dh) - delta;
        }
        for (int64_t t = 0; t < tile; t++) y[t] *= at_exp(x[t]);
        for (int64_t t = 0; t < tile; t++) {
            const float *kj = k + (j0 + t) * ld;
            const at_vec ds = y[t];
            for (int64_t d = 0; d < dh; d++) gq[d] += ds * kj[d];
        }
    }
    at_scatter_add(job->dq + own, gq, job->ldq, g.rows, dh, job->scale);
}

SF_VECTOR_CLONES
static void attn_backward_kv_item(void *ctx, int64_t item, int slot) { AT_DISPATCH(attn_backward_kv_group, 4); }

SF_VECTOR_CLONES
static void attn_backward_q_item(void *ctx, int64_t item, int slot) { AT_DISPATCH(attn_backward_q_group, 3); }

/* ---- entry points -------------------------------------------------------------------- */

/* One side: n >= 1 rows per batch item, ld >= hd, and B*n*ld elements whose byte count (with room to
 * spare) is representable. */
static int at_side_ok(int64_t batch, int64_t n, int64_t ld, int64_t hd) {
    int64_t rows, elems;
    if (n < 1 || ld < hd) return 0;
    if (__builtin_mul_overflow(batch, n, &rows) || __builtin_mul_overflow(rows, ld, &elems)) return 0;
    return elems <= INT64_MAX / (int64_t)sizeof(at_vec);
}

/* Sizes >= 1, ld_q and ld_kv >= heads*head_dim, and every array's byte count representable: out, dout
 * (B*n_q*H*Dh), lse and D (B*H*n_q) are no larger than q (B*n_q*ld_q). */
static int attn_sizes_ok(int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim, int64_t ld_q,
                         int64_t ld_kv) {
    int64_t hd;
    if (batch < 1 || heads < 1 || head_dim < 1 || __builtin_mul_overflow(heads, head_dim, &hd)) return 0;
    return at_side_ok(batch, n_q, ld_q, hd) && at_side_ok(batch, n_kv, ld_kv, hd);
}

static attn_job attn_make_job(const float *q, const float *k, const float *v, int64_t heads, int64_t n_q, int64_t n_kv,
                              int64_t head_dim, int64_t ld_q, int64_t ld_kv, float scale) {
    attn_job job = {.q = q, .k = k, .v = v, .heads = heads, .dh = head_dim,
                    .nq = n_q, .ldq = ld_q, .groups_q = (n_q + AT_LANES - 1) / AT_LANES,
                    .nkv = n_kv, .ldkv = ld_kv, .groups_kv = (n_kv + AT_LANES - 1) / AT_LANES, .scale = scale};
    return job;
}

/* The parallel driver's work estimate of one item that walks n rows touching nvec*dh + 16 values per lane
 * each, AT_LANES * n * (nvec*dh + 16), saturated so that items times it stays in range. */
static int64_t at_work(int64_t items, int64_t n, int64_t dh, int64_t nvec) {
    int64_t work;
    if (__builtin_mul_overflow(nvec, dh, &work) || __builtin_add_overflow(work, 16, &work) ||
        __builtin_mul_overflow(work, n, &work) || __builtin_mul_overflow(work, AT_LANES, &work) ||
        work > INT64_MAX / items)
        work = INT64_MAX / items;
    return work;
}

/* Per-thread scratch of nvec*head_dim vectors, needed only for a head_dim without a specialized copy.
 * Returns the number of slots (0 when the allocation failed). */
static int attn_alloc_scratch(attn_job *job, int64_t nvec) {
    int slots = sf_get_num_threads();
    if (slots < 1) slots = 1;
    if (at_specialized(job->dh)) return slots;
    size_t bytes;
    job->slot_vecs = nvec * job->dh;
    if (__builtin_mul_overflow((size_t)job->slot_vecs * sizeof(at_vec), (size_t)slots, &bytes)) return 0;
    job->scratch = (at_vec *)aligned_alloc(sizeof(at_vec), bytes);
    return job->scratch ? slots : 0;
}

/* out: B*n_q*H*Dh, lse: B*H*n_q, q: B*n_q*ld_q, k/v: B*n_kv*ld_kv */
int sf_cross_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                                   int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim,
                                   int64_t ld_q, int64_t ld_kv, float scale) {
    if (!out || !lse || !q || !k || !v || !attn_sizes_ok(batch, heads, n_q, n_kv, head_dim, ld_q, ld_kv))
        return SF_ERR_ARGUMENT;
    attn_job job = attn_make_job(q, k, v, heads, n_q, n_kv, head_dim, ld_q, ld_kv, scale);
    job.out = out;
    job.lse = lse;
    const int slots = attn_alloc_scratch(&job, 2);
    if (!slots) return SF_ERR_MEMORY;
    const int64_t items = batch * heads * job.groups_q;
    sf_parallel_items(attn_forward_item, &job, items, slots, at_work(items, n_kv, head_dim, 2));
    free(job.scratch);
    return SF_OK;
}

/* dq: B*n_q*ld_q, dk/dv: B*n_kv*ld_kv (+=), dout/out: B*n_q*H*Dh, lse: B*H*n_q, q: B*n_q*ld_q, k/v: B*n_kv*ld_kv */
int sf_cross_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                                    const float *q, const float *k, const float *v,
                                    int64_t batch, int64_t heads, int64_t n_q, int64_t n_kv, int64_t head_dim,
                                    int64_t ld_q, int64_t ld_kv, float scale) {
    if (!dq || !dk || !dv || !dout || !out || !lse || !q || !k || !v ||
        !attn_sizes_ok(batch, heads, n_q, n_kv, head_dim, ld_q, ld_kv))
        return SF_ERR_ARGUMENT;
    attn_job job = attn_make_job(q, k, v, heads, n_q, n_kv, head_dim, ld_q, ld_kv, scale);
    job.dq = dq;
    job.dk = dk;
    job.dv = dv;
    job.dout = dout;
    job.o = out;
    job.slse = lse;
    job.delta = (float *)malloc(sizeof(float) * (size_t)(batch * heads * n_q));
    const int slots = job.delta ? attn_alloc_scratch(&job, 4) : 0;
    if (!slots) {
        free(job.delta);
        return SF_ERR_MEMORY;
    }
    const int64_t items_kv = batch * heads * job.groups_kv, items_q = batch * heads * job.groups_q;
    sf_parallel_rows(attn_delta_rows, &job, batch * n_q, heads * head_dim);
    sf_parallel_items(attn_backward_kv_item, &job, items_kv, slots, at_work(items_kv, n_q, head_dim, 4));
    sf_parallel_items(attn_backward_q_item, &job, items_q, slots, at_work(items_q, n_kv, head_dim, 4));
    free(job.scratch);
    free(job.delta);
    return SF_OK;
}

/* Self-attention: queries, keys and values are the same n positions with one row stride. */
int sf_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                             int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale) {
    return sf_cross_attention_forward_f32(out, lse, q, k, v, batch, heads, n, n, head_dim, ld, ld, scale);
}

int sf_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                              const float *q, const float *k, const float *v,
                              int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, float scale) {
    return sf_cross_attention_backward_f32(dq, dk, dv, dout, out, lse, q, k, v, batch, heads, n, n, head_dim, ld, ld,
                                           scale);
}
