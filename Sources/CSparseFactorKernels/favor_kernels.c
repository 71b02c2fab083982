/*
 * Performer's FAVOR+ attention (Choromanski et al., "Rethinking Attention with Performers", 2021), non-causal,
 * positive orthogonal random features, Float32, llm.c style: favor_forward / favor_backward.
 * Softmax attention's exp(q.k / sqrt(Dh)) is replaced by phi(q).phi(k) with m positive random features, so
 * attention costs O(N m Dh) instead of O(N^2 Dh): the keys are summed once into S = sum_j phi(k_j) v_j^T and
 * z = sum_j phi(k_j) per (batch, head), and every query reads them.
 *
 * Features. With w' = Dh^(-1/4) w (the scaling of x folded into the features once per call, transposed and
 * padded to a multiple of 16 features: wt[d][r], padded features 0) a row's projections are
 *   p_r = w'_r . x - (Dh^(-1/2) / 2) |x|^2,    phi_r = exp(p_r - s - ln sqrt(m))
 * (the 1/sqrt(m) folded into the exponent). A query's s is its own max over r; the keys' s is one max over the
 * whole sequence of the (b, h), found online: a chunk whose max exceeds the running one rescales S and z by
 * exp(s_old - s_new) first, so the keys are read once and the final s is the global max. Every exp argument is
 * therefore <= 0: nn_exp_nonpositive, in plain loops the vectorizer turns into straight vector code.
 *
 * Vectorization: 16 features per vector, one per lane (the m = 256 features of a head are 16 vectors). A chunk of
 * FV_CHUNK positions has its projections, then its exps, computed into a per-thread [chunk, mp] buffer (the only
 * O(m) per-position storage); the sums over positions (S and z, and dS and dz in the backward) then walk the
 * chunk's rows once per vector of features with that vector's head_dim + 1 accumulators in registers, and the
 * per-row contractions over features (phi(q)^T S, the gradients) accumulate 16 lanes and add them up at the end
 * in a fixed tree (fv_hsum). head_dim 4, 8, 16 and 32 get specialized copies (their loops over d unroll).
 *
 * Backward (s treated as constants: they cancel exactly in the ratio, so the gradient is exact), with
 * A_i = phi(q_i)^T S, c_i = phi(q_i)^T z (so out_i = A_i / c_i):
 *   pass 1, per (b, h): S, z as in the forward (and the keys' final s);
 *   pass 2, per (b, h), over the queries in order: dA_i = dout_i / c_i, dc_i = -(dout_i . out_i) / c_i,
 *     dphi(q_i) = S dA_i + z dc_i  ->  dq_i;   dS += phi(q_i) dA_i^T,  dz += phi(q_i) dc_i;
 *   pass 3, per chunk of keys: dphi(k_j) = dS v_j + dz -> dk_j,  dv_j = dS^T phi(k_j);
 * and through phi: dx = sum_r dphi_r phi_r (w'_r - Dh^(-1/2) x).
 *
 * Determinism: S, z, dS, dz are summed by one item per (b, h) in position order; every output row (out, dq,
 * dk, dv) belongs to exactly one item; chunk sizes are constants. Results are therefore the same for any thread
 * count. (The CPU's code path, AVX-512, AVX2 or baseline, may change the last bits: only the baseline has no
 * FMA.) The naive oracle is sf_ref_favor_* in favor_reference_kernels.c (CSparseFactorReference).
 * The passes per (b, h) run on at most B*H threads (the Transformer layer has B*H = 160); the per-chunk passes
 * have B*H*ceil(N/32) items. The denominator c_i is floored at FLT_MIN (see sf_favor.h): it only matters when
 * every key's feature underflowed, and gives 0 instead of NaN.
 * Where the time goes (AVX-512, Dh = 8, m = 256): about a third in the exps, a quarter each in the
 * projections and the sums over positions, the rest in the per-row contractions and their lane sums.
 */
#include "sparse_factor_kernels.h"
#include "kernel_common.h"
#include "nn_math.h"
#include "parallel.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Features per vector: one AVX-512 register, two AVX2 ones. */
#define FV_LANES 16
/* Positions per chunk: the chunk's features (32 x 256 floats = 32 KB at m = 256) stay in L1/L2. */
#define FV_CHUNK 32

typedef float fv_vec __attribute__((vector_size(FV_LANES * sizeof(float))));
typedef float fv_half __attribute__((vector_size(FV_LANES / 2 * sizeof(float))));
typedef float fv_quarter __attribute__((vector_size(FV_LANES / 4 * sizeof(float))));
typedef int32_t fv_mask __attribute__((vector_size(FV_LANES * sizeof(int32_t))));
#define FV_INLINE static inline __attribute__((always_inline))

/* Macros rather than functions: a function taking or returning fv_vec would change its ABI per clone. */
#define fv_load(p)                                                                     \
    ({                                                                                 \
        fv_vec v_;                                                                     \
        memcpy(&v_, (p), sizeof v_);                                                   \
        v_;                                                                            \
    })
#define fv_store(p, x)                                                                 \
    do {                                                                               \
        const fv_vec v_ = (x);                                                         \
        memcpy((p), &v_, sizeof v_);                                                   \
    } while (0)
/* a > b ? a : b lanewise: one max instruction (NaN handling is not needed here). */
#define fv_max(a, b)                                                                   \
    ({                                                                                 \
        const fv_vec a_ = (a), b_ = (b);                                               \
        const fv_mask m_ = a_ > b_;                                                    \
        (fv_vec)((m_ & (fv_mask)a_) | (~m_ & (fv_mask)b_));                            \
    })
/* The sum of the 16 lanes in a fixed tree (halves, then quarters, then pairs): the same order on every path. */
#define fv_hsum(x)                                                                                          \
    ({                                                                                                      \
        const fv_vec a_ = (x);                                                                              \
        const fv_half h_ = __builtin_shufflevector(a_, a_, 0, 1, 2, 3, 4, 5, 6, 7) +                        \
                           __builtin_shufflevector(a_, a_, 8, 9, 10, 11, 12, 13, 14, 15);                   \
        const fv_quarter q_ = __builtin_shufflevector(h_, h_, 0, 1, 2, 3) + __builtin_shufflevector(h_, h_, 4, 5, 6, 7); \
        (q_[0] + q_[2]) + (q_[1] + q_[3]);                                                                  \
    })

typedef struct {
    float *out;                        /* forward */
    float *dq, *dk, *dv;               /* backward (+=) */
    const float *q, *k, *v;            /* [B, N, ld] slices */
    const float *dout, *o;             /* backward inputs, [B, N, H*Dh] */
    const float *wt;                   /* w' transposed and padded: [heads][dh][mp] */
    float *sums;                       /* per (b, h): S^T [dh][mp], then z [mp] */
    float *dsums;                      /* backward: dS^T and dz, the same layout */
    float *skey;                       /* per (b, h): the keys' stabilizer */
    float *scratch;                    /* per thread: slot_floats floats */
    int64_t slot_floats, slot_vecs_at; /* the run-time head_dim's vectors start slot_vecs_at floats into a slot */
    int64_t heads, n, dh, ld, m, mp, chunks;
    float half_h2, h2, logc;           /* Dh^(-1/2) / 2, Dh^(-1/2), ln sqrt(m) */
    float tail[FV_LANES];              /* added to the last vector of projections: 0, or -inf on padded features */
} favor_job;

/* Per-thread scratch: the chunk's features [FV_CHUNK][mp], then per-row values. */
typedef struct {
    float *phi, *rowmax, *shift, *da, *dc;
} fv_slot;

FV_INLINE fv_slot fv_slot_of(const favor_job *job, int slot) {
    float *base = job->scratch + slot * job->slot_floats;
    fv_slot s = {base, base + FV_CHUNK * job->mp, 0, 0, 0};
    s.shift = s.rowmax + FV_CHUNK;
    s.dc = s.shift + FV_CHUNK;
    s.da = s.dc + FV_CHUNK;
    return s;
}

/* ---- features of a chunk ------------------------------------------------------------- */

/* phi[i][r] = w'_r . x_i - half_h2 |x_i|^2 for `rows` rows of x (stride ld), -inf on padded features;
 * rowmax[i] = the row's max over r. */
FV_INLINE void fv_project(const favor_job *job, float *restrict phi, float *restrict rowmax, const float *wt,
                          const float *x, int64_t rows, const int64_t dh) {
    const int64_t mp = job->mp, nv = mp / FV_LANES;
    const fv_vec tail = fv_load(job->tail), zero = {0};
    for (int64_t i = 0; i < rows; i++) {
        const float *xi = x + i * job->ld;
        float sq = 0.0f;
        for (int64_t d = 0; d < dh; d++) sq += xi[d] * xi[d];
        const fv_vec base = zero - sq * job->half_h2;
        fv_vec mx = zero - INFINITY;
        for (int64_t c = 0; c < nv; c++) {
            fv_vec p = base;
            for (int64_t d = 0; d < dh; d++) p += fv_load(wt + d * mp + c * FV_LANES) * xi[d];
            if (c == nv - 1) p += tail;
            mx = fv_max(p, mx);
            fv_store(phi + i * mp + c * FV_LANES, p);
        }
        float r = mx[0];
        for (int l = 1; l < FV_LANES; l++) r = mx[l] > r ? mx[l] : r;
        rowmax[i] = r;
    }
}

/* phi[i][r] = exp(phi[i][r] - shift[i]) (arguments <= 0), padded features 0. */
FV_INLINE void fv_exp_rows(const favor_job *job, float *restrict phi, const float *restrict shift, int64_t rows) {
    const int64_t mp = job->mp, m = job->m;
    for (int64_t i = 0; i < rows; i++) {
        float *row = phi + i * mp;
        const float s = shift[i];
        for (int64_t r = 0; r < mp; r++) row[r] = nn_exp_nonpositive(row[r] - s);
        for (int64_t r = m; r < mp; r++) row[r] = 0.0f;
    }
}

/* acc^T[d][r] += sum_i phi[i][r] * x_i[d] and acc_z[r] += sum_i phi[i][r] * w_i over the chunk's rows, in row
 * order, for every vector of features: the vector's dh + 1 accumulators stay in registers (ws: dh vectors).
 * The chunk is summed from zero and then added, a two-level sum: over N = 65536 positions its rounding error
 * grows like N/32 + 32 additions instead of N. x_i at x + i*stride; w_i = 1 when w is NULL. */
FV_INLINE void fv_accumulate(const favor_job *job, float *acc, const float *phi, const float *x, int64_t stride,
                             const float *w, int64_t rows, const int64_t dh, fv_vec *ws) {
    const int64_t mp = job->mp, nv = mp / FV_LANES;
    float *accz = acc + dh * mp;
    for (int64_t c = 0; c < nv; c++) {
        const int64_t off = c * FV_LANES;
        for (int64_t d = 0; d < dh; d++) ws[d] = (fv_vec){0};
        fv_vec za = {0};
        for (int64_t i = 0; i < rows; i++) {
            const fv_vec f = fv_load(phi + i * mp + off);
            const float *xi = x + i * stride;
            if (w) za += f * w[i];
            else za += f;
            for (int64_t d = 0; d < dh; d++) ws[d] += f * xi[d];
        }
        for (int64_t d = 0; d < dh; d++) fv_store(acc + d * mp + off, fv_load(acc + d * mp + off) + ws[d]);
        fv_store(accz + off, fv_load(accz + off) + za);
    }
}

/* ---- S and z (forward and backward pass 1) --------------------------------------------- */

/* Item (b, h): S, z and the keys' stabilizer over all keys in order.  ws: dh vectors. */
FV_INLINE void favor_sums_bh(const favor_job *job, int64_t bh, int slot, const int64_t dh, fv_vec *ws) {
    const int64_t b = bh / job->heads, h = bh % job->heads, n = job->n, ld = job->ld, mp = job->mp;
    const float *k = job->k + b * n * ld + h * dh, *v = job->v + b * n * ld + h * dh, *wt = job->wt + h * dh * mp;
    float *sums = job->sums + bh * (dh + 1) * mp;
    const fv_slot sl = fv_slot_of(job, slot);
    memset(sums, 0, sizeof(float) * (size_t)((dh + 1) * mp));
    float s = -INFINITY;
    for (int64_t j0 = 0; j0 < n; j0 += FV_CHUNK) {
        const int64_t rows = n - j0 < FV_CHUNK ? n - j0 : FV_CHUNK;
        fv_project(job, sl.phi, sl.rowmax, wt, k + j0 * ld, rows, dh);
        float top = s;
        for (int64_t i = 0; i < rows; i++) top = sl.rowmax[i] > top ? sl.rowmax[i] : top;
        if (top > s) {
            /* The max moved: what was summed so far was relative to the old one (the first time, exp(-inf)
             * clamps to ~1e-38 and multiplies zeros). */
            const float alpha = nn_exp_nonpositive(s - top);
            for (int64_t e = 0; e < (dh + 1) * mp; e++) sums[e] *= alpha;
            s = top;
        }
        for (int64_t i = 0; i < rows; i++) sl.shift[i] = s + job->logc;
        fv_exp_rows(job, sl.phi, sl.shift, rows);
        fv_accumulate(job, sums, sl.phi, v + j0 * ld, ld, NULL, rows, dh, ws);
    }
    job->skey[bh] = s;
}

/* ---- forward outputs ----------------------------------------------------------------- */

/* Item (b, h, chunk of queries): out_i = phi(q_i)^T S / phi(q_i)^T z.  ws: dh vectors. */
FV_INLINE void favor_out_chunk(const favor_job *job, int64_t item, int slot, const int64_t dh, fv_vec *ws) {
    const int64_t bh = item / job->chunks, b = bh / job->heads, h = bh % job->heads;
    const int64_t i0 = (item % job->chunks) * FV_CHUNK, rows = job->n - i0 < FV_CHUNK ? job->n - i0 : FV_CHUNK;
    const int64_t n = job->n, ld = job->ld, mp = job->mp, nv = mp / FV_LANES, hd = job->heads * dh;
    const float *st = job->sums + bh * (dh + 1) * mp, *z = st + dh * mp;
    const fv_slot sl = fv_slot_of(job, slot);
    fv_project(job, sl.phi, sl.rowmax, job->wt + h * dh * mp, job->q + (b * n + i0) * ld + h * dh, rows, dh);
    for (int64_t i = 0; i < rows; i++) sl.shift[i] = sl.rowmax[i] + job->logc;
    fv_exp_rows(job, sl.phi, sl.shift, rows);
    for (int64_t i = 0; i < rows; i++) {
        const float *phi = sl.phi + i * mp;
        fv_vec ca = {0};
        for (int64_t d = 0; d < dh; d++) ws[d] = (fv_vec){0};
        for (int64_t c = 0; c < nv; c++) {
            const fv_vec f = fv_load(phi + c * FV_LANES);
            ca += f * fv_load(z + c * FV_LANES);
            for (int64_t d = 0; d < dh; d++) ws[d] += f * fv_load(st + d * mp + c * FV_LANES);
        }
        float den = fv_hsum(ca);
        den = den > FLT_MIN ? den : FLT_MIN;
        float *out = job->out + (b * n + i0 + i) * hd + h * dh;
        for (int64_t d = 0; d < dh; d++) out[d] = fv_hsum(ws[d]) / den;
    }
}

/* ---- backward ------------------------------------------------------------------------ */

/* Pass 2, item (b, h): over all queries in order, dq and the sums dS, dz.  ws: dh vectors. */
FV_INLINE void favor_backward_q_bh(const favor_job *job, int64_t bh, int slot, const int64_t dh, fv_vec *ws) {
    const int64_t b = bh / job->heads, h = bh % job->heads, n = job->n, ld = job->ld, mp = job->mp;
    const int64_t nv = mp / FV_LANES, hd = job->heads * dh;
    const float *st = job->sums + bh * (dh + 1) * mp, *z = st + dh * mp, *wt = job->wt + h * dh * mp;
    float *dsums = job->dsums + bh * (dh + 1) * mp;
    const fv_slot sl = fv_slot_of(job, slot);
    memset(dsums, 0, sizeof(float) * (size_t)((dh + 1) * mp));
    for (int64_t i0 = 0; i0 < n; i0 += FV_CHUNK) {
        const int64_t rows = n - i0 < FV_CHUNK ? n - i0 : FV_CHUNK;
        const float *q = job->q + (b * n + i0) * ld + h * dh;
        fv_project(job, sl.phi, sl.rowmax, wt, q, rows, dh);
        for (int64_t i = 0; i < rows; i++) sl.shift[i] = sl.rowmax[i] + job->logc;
        fv_exp_rows(job, sl.phi, sl.shift, rows);
        for (int64_t i = 0; i < rows; i++) {
            const float *phi = sl.phi + i * mp, *qi = q + i * ld;
            const float *dy = job->dout + (b * n + i0 + i) * hd + h * dh, *y = job->o + (b * n + i0 + i) * hd + h * dh;
            float *da = sl.da + i * dh;
            fv_vec ca = {0};
            for (int64_t c = 0; c < nv; c++) ca += fv_load(phi + c * FV_LANES) * fv_load(z + c * FV_LANES);
            float den = fv_hsum(ca), dot = 0.0f;
            den = den > FLT_MIN ? den : FLT_MIN;
            for (int64_t d = 0; d < dh; d++) {
                da[d] = dy[d] / den;
                dot += dy[d] * y[d];
            }
            const float dc = -dot / den;
            sl.dc[i] = dc;
            /* g_r = dphi_r phi_r with dphi = S dA + z dc; dq += sum_r g_r w'_r - h2 q sum_r g_r */
            fv_vec gs = {0};
            for (int64_t d = 0; d < dh; d++) ws[d] = (fv_vec){0};
            for (int64_t c = 0; c < nv; c++) {
                const int64_t off = c * FV_LANES;
                fv_vec dphi = fv_load(z + off) * dc;
                for (int64_t d = 0; d < dh; d++) dphi += fv_load(st + d * mp + off) * da[d];
                const fv_vec g = dphi * fv_load(phi + off);
                gs += g;
                for (int64_t d = 0; d < dh; d++) ws[d] += g * fv_load(wt + d * mp + off);
            }
            const float gsum = fv_hsum(gs);
            float *dq = job->dq + (b * n + i0 + i) * ld + h * dh;
            for (int64_t d = 0; d < dh; d++) dq[d] += fv_hsum(ws[d]) - job->h2 * qi[d] * gsum;
        }
        fv_accumulate(job, dsums, sl.phi, sl.da, dh, sl.dc, rows, dh, ws);
    }
}

/* Pass 3, item (b, h, chunk of keys): dk and dv.  ws: 2*dh vectors. */
FV_INLINE void favor_backward_kv_chunk(const favor_job *job, int64_t item, int slot, const int64_t dh, fv_vec *ws) {
    const int64_t bh = item / job->chunks, b = bh / job->heads, h = bh % job->heads;
    const int64_t j0 = (item % job->chunks) * FV_CHUNK, rows = job->n - j0 < FV_CHUNK ? job->n - j0 : FV_CHUNK;
    const int64_t n = job->n, ld = job->ld, mp = job->mp, nv = mp / FV_LANES, base = (b * n + j0) * ld + h * dh;
    const float *dst = job->dsums + bh * (dh + 1) * mp, *dz = dst + dh * mp, *wt = job->wt + h * dh * mp;
    const fv_slot sl = fv_slot_of(job, slot);
    fv_vec *gk = ws, *gv = ws + dh;
    fv_project(job, sl.phi, sl.rowmax, wt, job->k + base, rows, dh);
    for (int64_t i = 0; i < rows; i++) sl.shift[i] = job->skey[bh] + job->logc;
    fv_exp_rows(job, sl.phi, sl.shift, rows);
    for (int64_t i = 0; i < rows; i++) {
        const float *phi = sl.phi + i * mp, *kj = job->k + base + i * ld, *vj = job->v + base + i * ld;
        fv_vec gs = {0};
        for (int64_t d = 0; d < dh; d++) gk[d] = gv[d] = (fv_vec){0};
        for (int64_t c = 0; c < nv; c++) {
            const int64_t off = c * FV_LANES;
            const fv_vec f = fv_load(phi + off);
            fv_vec dphi = fv_load(dz + off);
            for (int64_t d = 0; d < dh; d++) {
                const fv_vec ds = fv_load(dst + d * mp + off);
                dphi += ds * vj[d];
                gv[d] += f * ds;
            }
            const fv_vec g = dphi * f;
            gs += g;
            for (int64_t d = 0; d < dh; d++) gk[d] += g * fv_load(wt + d * mp + off);
        }
        const float gsum = fv_hsum(gs);
        float *dk = job->dk + base + i * ld, *dv = job->dv + base + i * ld;
        for (int64_t d = 0; d < dh; d++) {
            dk[d] += fv_hsum(gk[d]) - job->h2 * kj[d] * gsum;
            dv[d] += fv_hsum(gv[d]);
        }
    }
}

/* The item functions: a copy per specialized head_dim (vectors on the stack, where the loops over d unroll and
 * they become registers), else the run-time head_dim with its vectors in the slot's scratch. */
#define FV_DISPATCH(fn, nvec)                                                                              \
    do {                                                                                                   \
        const favor_job *job_ = (const favor_job *)ctx;                                                    \
        switch (job_->dh) {                                                                                \
        case 4: { fv_vec ws_[(nvec) * 4]; fn(job_, item, slot, 4, ws_); break; }                           \
        case 8: { fv_vec ws_[(nvec) * 8]; fn(job_, item, slot, 8, ws_); break; }                           \
        case 16: { fv_vec ws_[(nvec) * 16]; fn(job_, item, slot, 16, ws_); break; }                        \
        case 32: { fv_vec ws_[(nvec) * 32]; fn(job_, item, slot, 32, ws_); break; }                        \
        default:                                                                                           \
            fn(job_, item, slot, job_->dh,                                                                 \
               (fv_vec *)(job_->scratch + slot * job_->slot_floats + job_->slot_vecs_at));                 \
            break;                                                                                         \
        }                                                                                                  \
    } while (0)

SF_VECTOR_CLONES
static void favor_sums_item(void *ctx, int64_t item, int slot) { FV_DISPATCH(favor_sums_bh, 1); }

SF_VECTOR_CLONES
static void favor_out_item(void *ctx, int64_t item, int slot) { FV_DISPATCH(favor_out_chunk, 1); }

SF_VECTOR_CLONES
static void favor_backward_q_item(void *ctx, int64_t item, int slot) { FV_DISPATCH(favor_backward_q_bh, 1); }

SF_VECTOR_CLONES
static void favor_backward_kv_item(void *ctx, int64_t item, int slot) { FV_DISPATCH(favor_backward_kv_chunk, 2); }

/* ---- entry points -------------------------------------------------------------------- */

/* Sizes >= 1, ld >= heads*head_dim, and every array's and scratch's element count representable in bytes. */
static int favor_sizes_ok(int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m) {
    int64_t hd, rows, elems, outs, feats, bh, sums, wt;
    const int64_t limit = INT64_MAX / (int64_t)sizeof(fv_vec);
    if (batch < 1 || heads < 1 || n < 1 || head_dim < 1 || m < 1 || m > limit) return 0;
    const int64_t mp = (m + FV_LANES - 1) / FV_LANES * FV_LANES;
    if (__builtin_mul_overflow(heads, head_dim, &hd) || ld < hd) return 0;
    if (__builtin_mul_overflow(batch, n, &rows) || __builtin_mul_overflow(rows, ld, &elems) ||
        __builtin_mul_overflow(rows, hd, &outs) || __builtin_mul_overflow(hd, m, &feats) ||
        __builtin_mul_overflow(hd, mp, &wt) || __builtin_mul_overflow(batch, heads, &bh) ||
        __builtin_mul_overflow(bh, head_dim + 1, &sums) || __builtin_mul_overflow(sums, mp, &sums))
        return 0;
    /* the per-thread scratch: FV_CHUNK * (mp + head_dim + 3) floats and 2 * head_dim vectors (head_dim <= wt / 16) */
    return elems <= limit && outs <= limit && feats <= limit && wt <= limit && sums <= limit / 2 &&
           mp <= limit / FV_CHUNK - head_dim - 3 - 2 * FV_LANES * head_dim;
}

/* Fills the job's features (w', transposed, padded), constants and scratch: per (b, h) `nsums` arrays of
 * (head_dim + 1) * mp floats and the keys' stabilizers, per thread the chunk buffers. Returns the number of
 * thread slots, 0 when an allocation failed (then nothing is left allocated). */
static int favor_setup(favor_job *job, const float *features, int64_t batch, int nsums) {
    const int64_t dh = job->dh, m = job->m, mp = (m + FV_LANES - 1) / FV_LANES * FV_LANES, bh = batch * job->heads;
    job->mp = mp;
    job->chunks = (job->n + FV_CHUNK - 1) / FV_CHUNK;
    const double h2 = 1.0 / sqrt((double)dh);
    job->h2 = (float)h2;
    job->half_h2 = (float)(0.5 * h2);
    job->logc = (float)(0.5 * log((double)m));
    for (int64_t l = 0; l < FV_LANES; l++) job->tail[l] = mp - FV_LANES + l < m ? 0.0f : -INFINITY;
    int slots = sf_get_num_threads();
    if (slots < 1) slots = 1;
    /* slot: phi [FV_CHUNK][mp], rowmax, shift, dc [FV_CHUNK] each, dA [FV_CHUNK][dh], then 2*dh vectors */
    const int64_t floats = FV_CHUNK * (mp + dh + 3);
    job->slot_vecs_at = (floats + FV_LANES - 1) / FV_LANES * FV_LANES;
    job->slot_floats = job->slot_vecs_at + 2 * FV_LANES * dh;
    const size_t per_bh = (size_t)((dh + 1) * mp), fsize = sizeof(float);
    size_t scratch_bytes;
    if (__builtin_mul_overflow((size_t)job->slot_floats * fsize, (size_t)slots, &scratch_bytes)) return 0;
    float *wt = aligned_alloc(sizeof(fv_vec), (size_t)(job->heads * dh * mp) * fsize);
    job->sums = aligned_alloc(sizeof(fv_vec), per_bh * (size_t)bh * fsize * (size_t)nsums);
    job->skey = malloc((size_t)bh * fsize);
    job->scratch = aligned_alloc(sizeof(fv_vec), scratch_bytes);
    if (!wt || !job->sums || !job->skey || !job->scratch) {
        free(wt); free(job->sums); free(job->skey); free(job->scratch);
        return 0;
    }
    job->dsums = nsums > 1 ? job->sums + per_bh * (size_t)bh : NULL;
    /* w' = Dh^(-1/4) w, so that w'.x = w.x~ and the x~ = Dh^(-1/4) x of every row is never formed. */
    const float xscale = (float)(1.0 / sqrt(sqrt((double)dh)));
    for (int64_t h = 0; h < job->heads; h++)
        for (int64_t d = 0; d < dh; d++)
            for (int64_t r = 0; r < mp; r++)
                wt[(h * dh + d) * mp + r] = r < m ? xscale * features[(h * m + r) * dh + d] : 0.0f;
    job->wt = wt;
    return slots;
}

/* a * b capped at 2^20: an item's work only decides whether a job is worth threads (above 2^15 it is), and the
 * cap keeps items * work from overflowing. */
static int64_t fv_work(int64_t a, int64_t b) { return a > (1 << 20) / b ? (1 << 20) : a * b; }

static void favor_teardown(favor_job *job) {
    free((void *)job->wt);
    free(job->sums);
    free(job->skey);
    free(job->scratch);
}

/* out: B*N*H*Dh, q/k/v: B*N*ld, features: H*m*Dh */
int sf_favor_forward_f32(float *out, const float *q, const float *k, const float *v, const float *features,
                         int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m) {
    if (!out || !q || !k || !v || !features || !favor_sizes_ok(batch, heads, n, head_dim, ld, m)) return SF_ERR_ARGUMENT;
    favor_job job = {.out = out, .q = q, .k = k, .v = v, .heads = heads, .n = n, .dh = head_dim, .ld = ld, .m = m};
    const int slots = favor_setup(&job, features, batch, 1);
    if (!slots) return SF_ERR_MEMORY;
    const int64_t work = fv_work(job.mp * (3 * head_dim + 24), FV_CHUNK);   /* per chunk: projections, exp, sums */
    sf_parallel_items(favor_sums_item, &job, batch * heads, slots, fv_work(work, job.chunks));
    sf_parallel_items(favor_out_item, &job, batch * heads * job.chunks, slots, work);
    favor_teardown(&job);
    return SF_OK;
}

/* dq/dk/dv: B*N*ld (+=), dout/out: B*N*H*Dh, q/k/v: B*N*ld, features: H*m*Dh */
int sf_favor_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *out,
                          const float *q, const float *k, const float *v, const float *features,
                          int64_t batch, int64_t heads, int64_t n, int64_t head_dim, int64_t ld, int64_t m) {
    if (!dq || !dk || !dv || !dout || !out || !q || !k || !v || !features ||
        !favor_sizes_ok(batch, heads, n, head_dim, ld, m))
        return SF_ERR_ARGUMENT;
    favor_job job = {.dq = dq, .dk = dk, .dv = dv, .dout = dout, .o = out, .q = q, .k = k, .v = v,
                     .heads = heads, .n = n, .dh = head_dim, .ld = ld, .m = m};
    const int slots = favor_setup(&job, features, batch, 2);
    if (!slots) return SF_ERR_MEMORY;
    const int64_t work = fv_work(job.mp * (4 * head_dim + 24), FV_CHUNK), all = fv_work(work, job.chunks);
    sf_parallel_items(favor_sums_item, &job, batch * heads, slots, all);
    sf_parallel_items(favor_backward_q_item, &job, batch * heads, slots, all);
    sf_parallel_items(favor_backward_kv_item, &job, batch * heads * job.chunks, slots, work);
    favor_teardown(&job);
    return SF_OK;
}

/* ---- random features ------------------------------------------------------------------ */

/* Everything below is IEEE +, -, *, / and sqrt in double, each correctly rounded, with FMA contraction off
 * (`#pragma clang fp contract(off)`): the same bits on every machine. libm's log is not used (its last bit
 * may differ between libraries). */

typedef struct {
    uint64_t state;
    double spare;
    int has_spare;
} fv_rng;

static uint64_t fv_splitmix64(fv_rng *g) {
    uint64_t z = (g->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ln x for a normal x > 0: x = 2^e f with f in [sqrt(1/2), sqrt(2)), ln f = 2 atanh t, t = (f-1)/(f+1),
 * |t| <= 0.172, by its series to t^23 (truncation below 1e-18). */
static double fv_log(double x) {
#pragma clang fp contract(off)
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int64_t e = (int64_t)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0xFFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
    double f;
    memcpy(&f, &bits, sizeof f);
    if (f > 1.4142135623730951) {
        f *= 0.5;
        e++;
    }
    const double t = (f - 1.0) / (f + 1.0), t2 = t * t;
    double s = 1.0 / 23.0;
    for (int j = 21; j >= 1; j -= 2) s = s * t2 + 1.0 / (double)j;
    return 2.0 * t * s + (double)e * 0.69314718055994530942;
}

/* A standard Gaussian: the Marsaglia polar method (two per accepted pair, the second kept for the next call). */
static double fv_gaussian(fv_rng *g) {
#pragma clang fp contract(off)
    if (g->has_spare) {
        g->has_spare = 0;
        return g->spare;
    }
    for (;;) {
        const double u = (double)(fv_splitmix64(g) >> 11) * 0x1.0p-52 - 1.0;
        const double v = (double)(fv_splitmix64(g) >> 11) * 0x1.0p-52 - 1.0;
        const double s = u * u + v * v;
        if (s >= 1.0 || s < 0x1.0p-100) continue;
        const double r = sqrt(-2.0 * fv_log(s) / s);
        g->spare = v * r;
        g->has_spare = 1;
        return u * r;
    }
}

/* features: heads*m*head_dim */
int sf_favor_features_f32(float *features, int64_t heads, int64_t m, int64_t head_dim, uint64_t seed) {
#pragma clang fp contract(off)
    int64_t hm, total, block;
    if (!features || heads < 1 || m < 1 || head_dim < 1 || __builtin_mul_overflow(heads, m, &hm) ||
        __builtin_mul_overflow(hm, head_dim, &total) || total > INT64_MAX / (int64_t)sizeof(double) ||
        __builtin_mul_overflow(head_dim, head_dim, &block) || block > INT64_MAX / (int64_t)sizeof(double))
        return SF_ERR_ARGUMENT;
    const int64_t dh = head_dim;
    double *u = malloc(sizeof(double) * (size_t)block);   /* one block of orthonormal rows */
    if (!u) return SF_ERR_MEMORY;
    fv_rng g = {seed, 0.0, 0};
    for (int64_t h = 0; h < heads; h++)
        for (int64_t r0 = 0; r0 < m; r0 += dh) {
            const int64_t rows = m - r0 < dh ? m - r0 : dh;
            /* Gram-Schmidt of Gaussian rows, each orthogonalized twice against the earlier ones (the second pass
             * removes what rounding left of the first); a row that loses almost all of its length is redrawn. */
            for (int64_t i = 0; i < rows; i++) {
                double *ui = u + i * dh;
                for (;;) {
                    double raw = 0.0, len = 0.0;
                    for (int64_t d = 0; d < dh; d++) {
                        ui[d] = fv_gaussian(&g);
                        raw += ui[d] * ui[d];
                    }
                    for (int pass = 0; pass < 2; pass++)
                        for (int64_t j = 0; j < i; j++) {
                            const double *uj = u + j * dh;
                            double dot = 0.0;
                            for (int64_t d = 0; d < dh; d++) dot += ui[d] * uj[d];
                            for (int64_t d = 0; d < dh; d++) ui[d] -= dot * uj[d];
                        }
                    for (int64_t d = 0; d < dh; d++) len += ui[d] * ui[d];
                    if (len > 1e-12 * raw && len > 0.0) {
                        len = sqrt(len);
                        for (int64_t d = 0; d < dh; d++) ui[d] /= len;
                        break;
                    }
                }
            }
            /* Each direction gets the length of an independent Gaussian vector (chi with dh degrees of freedom),
             * so a row is distributed as a Gaussian vector while the block stays orthogonal. */
            for (int64_t i = 0; i < rows; i++) {
                double len = 0.0;
                for (int64_t d = 0; d < dh; d++) {
                    const double x = fv_gaussian(&g);
                    len += x * x;
                }
                len = sqrt(len);
                float *row = features + (h * m + r0 + i) * dh;
                for (int64_t d = 0; d < dh; d++) row[d] = (float)(u[i * dh + d] * len);
            }
        }
    free(u);
    return SF_OK;
}
