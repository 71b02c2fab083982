/*
 * The two-layer MLPs of PSF-Attn (the factor MLPs f_m and the value MLP g) with their first
 * layer folded through the input embedding (Float32).
 *
 * Every token's embedding is E[r] = Q z[r] + s[pos(r)]: z[r] is the token's F input features
 * (or the one-hot of its id), Q the embedding matrix, s[p] the embedding bias plus the learned
 * position p. The first layer of an MLP is then W1 E[r] + b1 = A z[r] + c[pos(r)] with
 * A = W1 Q (H x F) and c[p] = W1 s[p] + b1: F multiply-adds per hidden unit instead of D, and
 * the gradients of W1, Q and s follow from dA and dc by small matrix products (done by the
 * caller). Hidden activations are never stored: backward recomputes them per block of rows,
 * which keeps every pass in L1/L2.
 *
 * Rows are handled 16 at a time in structure-of-arrays form (a hidden unit's 16 values are
 * contiguous), so every inner loop runs over 16 lanes and vectorizes. Inputs and outputs are
 * channel-major ([B, F, N], [B, O, N]: a feature's N positions contiguous), the layout of the
 * shift kernels (shift_kernels.c) that apply the factors.
 *
 * Determinism: positions are split into groups of 16 and the groups into a fixed number of
 * chunks that depends only on N. A chunk owns its positions' dc and sums its rows' share of
 * dA, dW2 and db2 into its own partial buffer; the partials are then added in chunk order.
 * Nothing is summed across threads, so results do not depend on the thread count.
 * The naive oracle is sf_ref_folded_mlp_* in nn_reference_kernels.c.
 */
#include "sparse_factor_kernels.h"
#include "kernel_common.h"
#include "nn_math.h"
#include "parallel.h"

#include <stdlib.h>
#include <string.h>

#define FM_LANES 16
/* Sequences handled together at the same 16 positions (a tile): each weight loaded from L1
 * then serves FM_TILE registers. B is padded to a multiple with zero inputs and gradients. */
#define FM_TILE 4
/* Outputs handled together in the register-blocked loops. */
#define FM_KB 4

/* 16 floats as one value (one AVX-512 register; two AVX2 or four SSE registers in the other
 * clones). Written with vector types because the auto-vectorizer turned some of the loops
 * below into gathers. */
typedef float fm_vec __attribute__((vector_size(64)));
/* (Macros, not functions: a function taking or returning fm_vec would change its ABI per clone.) */
#define fm_load(p) ({ fm_vec v_; memcpy(&v_, (p), sizeof v_); v_; })
#define fm_store(p, v) do { fm_vec w_ = (v); memcpy((p), &w_, sizeof w_); } while (0)
/* Partial-gradient buffers: at most this many chunks of position groups. */
#define FM_MAX_CHUNKS 64

typedef struct {
    float *out;           /* forward: R*O */
    float *dct;           /* backward: H*P (P == N: owned per position; P == 1: via partials) */
    float *dz;            /* backward, optional: B*N*F, owned per row */
    float *partials;      /* backward: chunks * partial_size */
    const float *dout, *z, *a, *ct;
    const float *w2, *b2;   /* O*H and O */
    int64_t B, N, P, F, H, O;
    int64_t ld;             /* row stride of every [.., N] row (positions) */
    int64_t groups, chunks, partial_size;
    _Atomic int failed;
} folded_job;

static inline int64_t fm_groups(int64_t N) { return (N + FM_LANES - 1) / FM_LANES; }

/* The rows of one tile: sequences b0 .. b0 + FM_TILE - 1 at positions i0 .. i0 + lanes - 1.
 * Rows past B or past the last lane read as zero. */
typedef struct {
    int64_t b0, i0, lanes;
} fm_tile;

static inline int64_t fm_tile_sequences(const folded_job *job, fm_tile t) {
    return job->B - t.b0 < FM_TILE ? job->B - t.b0 : FM_TILE;
}

/* dst[0..lanes) = src[0..lanes): one vector move in the common full case (a memcpy of a
 * run-time length would be a library call). */
static inline __attribute__((always_inline)) void fm_copy_lanes(float *dst, const float *src, int64_t lanes) {
    if (lanes == FM_LANES) fm_store(dst, fm_load(src));
    else for (int64_t l = 0; l < lanes; l++) dst[l] = src[l];
}

/* dst[t][x][0..16) = src[b0 + t, x, i0 .. i0 + 16) for a channel-major [B, X, N] array (rows ld
 * apart); lanes past the last position and sequences past B are zero. */
static inline void fm_load_lanes(float *dst, const float *src, int64_t X, const folded_job *job, fm_tile t) {
    const int64_t seqs = fm_tile_sequences(job, t);
    if (seqs < FM_TILE || t.lanes < FM_LANES) memset(dst, 0, sizeof(float) * (size_t)(FM_TILE * X * FM_LANES));
    for (int64_t q = 0; q < seqs; q++)
        for (int64_t x = 0; x < X; x++) fm_copy_lanes(dst + (q * X + x) * FM_LANES, src + ((t.b0 + q) * X + x) * job->ld + t.i0, t.lanes);
}

/* Asks for the 64-byte lines src[b0 + q, x, i0 .. i0 + 16) of a channel-major [B, X, N] array,
 * for the tile that will be handled next. Why: a tile reads one line from each of B*X rows that
 * lie ld floats apart, more streams than the hardware prefetcher follows, so without this every
 * load waited on memory (perf: the two loads of the backward's tile were 60% of its own time).
 * Only hints: nothing is read or written, so results are the same bits. */
static inline void fm_prefetch_lanes(const float *src, int64_t X, const folded_job *job, int64_t b0, int64_t i0) {
    if (b0 >= job->B || i0 >= job->N) return;
    const int64_t seqs = job->B - b0 < FM_TILE ? job->B - b0 : FM_TILE;
    for (int64_t q = 0; q < seqs; q++)
        for (int64_t x = 0; x < X; x++) __builtin_prefetch(src + ((b0 + q) * X + x) * job->ld + i0, 0, 3);
}

/* ctg[j][l] = c[j, pos(i0 + l)]: the first layer's constant part for the tile's positions. */
static inline void fm_load_constants(float *ctg, const folded_job *job, int64_t i0, int64_t lanes) {
    const int64_t H = job->H;
    for (int64_t j = 0; j < H; j++) {
        float *row = ctg + j * FM_LANES;
        if (job->P == 1) {
            for (int64_t l = 0; l < FM_LANES; l++) row[l] = job->ct[j];
        } else {
            if (lanes < FM_LANES) memset(row, 0, sizeof(float) * FM_LANES);
            fm_copy_lanes(row, job->ct + j * job->ld + i0, lanes);
        }
    }
}

/* For every sequence t of a tile: pre = A zt + ctg, hid = GELU(pre), and (when gp != NULL)
 * gp = GELU'(pre).     hid, gp: FM_TILE*H*16, zt: FM_TILE*F*16, ctg: H*16
 * GELU runs over the whole tile at once (gelu_fast.c) so that several of its long dependency
 * chains are in flight; one vector at a time leaves the core waiting on latency. */
SF_VECTOR_CLONES
static void fm_hidden(float *restrict hid, float *restrict gp, const float *restrict zt, const float *restrict ctg,
                      const float *restrict a, int64_t F, int64_t H) {
    /* Eight hidden units at a time: eight independent FMA chains (F is often 2, and one chain
     * at a time would wait on the FMA latency). */
    enum { JB = 8 };
    for (int t = 0; t < FM_TILE; t++) {
        const float *z = zt + t * F * FM_LANES;
        int64_t j0 = 0;
        for (; j0 + JB <= H; j0 += JB) {
            fm_vec pre[JB];
            for (int jj = 0; jj < JB; jj++) pre[jj] = fm_load(ctg + (j0 + jj) * FM_LANES);
            for (int64_t f = 0; f < F; f++) {
                const fm_vec zf = fm_load(z + f * FM_LANES);
                for (int jj = 0; jj < JB; jj++) pre[jj] += a[(j0 + jj) * F + f] * zf;
            }
            for (int jj = 0; jj < JB; jj++) fm_store(hid + (t * H + j0 + jj) * FM_LANES, pre[jj]);
        }
        for (; j0 < H; j0++) {
            fm_vec pre = fm_load(ctg + j0 * FM_LANES);
            for (int64_t f = 0; f < F; f++) pre += a[j0 * F + f] * fm_load(z + f * FM_LANES);
            fm_store(hid + (t * H + j0) * FM_LANES, pre);
        }
    }
    nn_gelu_block(hid, gp, FM_TILE * H * FM_LANES);
}

/* Calls BLOCK(k0, kb) for k0 = 0, FM_KB, ... < O with kb = min(FM_KB, O - k0) a compile-time
 * constant, so a block's accumulators stay in registers and no work is spent on padding. */
#define FM_FOR_OUTPUT_BLOCKS(O, BLOCK)                                                          \
    for (int64_t k0 = 0; k0 < (O); k0 += FM_KB) {                                               \
        switch ((O) - k0 < FM_KB ? (O) - k0 : FM_KB) {                                          \
        case 4: BLOCK(k0, 4); break;                                                            \
        case 3: BLOCK(k0, 3); break;                                                            \
        case 2: BLOCK(k0, 2); break;                                                            \
        default: BLOCK(k0, 1); break;                                                           \
        }                                                                                       \
    }

/* ot[t][k] for k in [k0, k0 + KB): b2[k] + sum_j W2[k, j] hid[t][j], so that each hidden
 * vector loaded serves KB * FM_TILE multiply-adds. */
static inline __attribute__((always_inline)) void fm_output_block_(float *restrict ot, const float *restrict hid,
                                                                   const float *restrict w2, const float *restrict b2,
                                                                   int64_t H, int64_t O, int64_t k0, int KB) {
    fm_vec acc[FM_TILE][KB];
    for (int t = 0; t < FM_TILE; t++)
        for (int kk = 0; kk < KB; kk++) acc[t][kk] = (fm_vec){0} + b2[k0 + kk];
    for (int64_t j = 0; j < H; j++) {
        fm_vec h[FM_TILE];
        for (int t = 0; t < FM_TILE; t++) h[t] = fm_load(hid + (t * H + j) * FM_LANES);
        for (int kk = 0; kk < KB; kk++) {
            const float w = w2[(k0 + kk) * H + j];
            for (int t = 0; t < FM_TILE; t++) acc[t][kk] += w * h[t];
        }
    }
    for (int t = 0; t < FM_TILE; t++)
        for (int kk = 0; kk < KB; kk++) fm_store(ot + (t * O + k0 + kk) * FM_LANES, acc[t][kk]);
}

/* ot[t][k] = b2[k] + sum_j W2[k, j] hid[t][j].     ot: FM_TILE*O*16, hid: FM_TILE*H*16, w2: O*H */
SF_VECTOR_CLONES
static void fm_output(float *restrict ot, const float *restrict hid, const float *restrict w2,
                      const float *restrict b2, int64_t H, int64_t O) {
#define FM_OUTPUT_BLOCK(k0, kb) fm_output_block_(ot, hid, w2, b2, H, O, k0, kb)
    FM_FOR_OUTPUT_BLOCKS(O, FM_OUTPUT_BLOCK)
#undef FM_OUTPUT_BLOCK
}

/* Per-thread scratch of one tile: inputs, constants, hidden units, GELU', dpre, output (gradient). */
typedef struct {
    float *zt, *ctg, *hid, *gp, *dh, *ot;
} fm_tile_buffers;

static float *fm_tile_buffers_alloc(fm_tile_buffers *g, const folded_job *job) {
    const int64_t T = FM_TILE * FM_LANES;
    float *block = (float *)malloc(sizeof(float) * (size_t)(T * (job->F + 3 * job->H + job->O) + FM_LANES * job->H));
    if (!block) return NULL;
    g->zt = block;
    g->hid = g->zt + job->F * T;
    g->gp = g->hid + job->H * T;
    g->dh = g->gp + job->H * T;
    g->ot = g->dh + job->H * T;
    g->ctg = g->ot + job->O * T;
    return block;
}

/* Forward work items: (tile of FM_TILE sequences, run of FM_FORWARD_RUN position groups), the
 * groups innermost, so each output row is written front to back in 1 KiB runs rather than one
 * 64-byte line per visit across all rows (which left the stores waiting on cache misses). */
#define FM_FORWARD_RUN 16

static void folded_forward_items(void *ctx, int64_t begin, int64_t end) {
    folded_job *job = (folded_job *)ctx;
    fm_tile_buffers g;
    float *block = fm_tile_buffers_alloc(&g, job);
    if (!block) { job->failed = 1; return; }
    const int64_t N = job->N, O = job->O;
    const int64_t runs = (job->groups + FM_FORWARD_RUN - 1) / FM_FORWARD_RUN;
    if (job->P == 1) fm_load_constants(g.ctg, job, 0, FM_LANES);     /* the same for every position */
    for (int64_t item = begin; item < end; item++) {
        const int64_t b0 = (item / runs) * FM_TILE, g0 = (item % runs) * FM_FORWARD_RUN;
        const int64_t g1 = g0 + FM_FORWARD_RUN < job->groups ? g0 + FM_FORWARD_RUN : job->groups;
        for (int64_t grp = g0; grp < g1; grp++) {
            const int64_t i0 = grp * FM_LANES;
            const int64_t lanes = N - i0 < FM_LANES ? N - i0 : FM_LANES;
            const fm_tile t = {b0, i0, lanes};
            if (grp + 1 < g1) {   /* the next group's lines of every row this one touches */
                fm_prefetch_lanes(job->z, job->F, job, b0, i0 + FM_LANES);
                fm_prefetch_lanes(job->out, O, job, b0, i0 + FM_LANES);
                if (job->P != 1)
                    for (int64_t j = 0; j < job->H; j++) __builtin_prefetch(job->ct + j * job->ld + i0 + FM_LANES, 0, 3);
            }
            if (job->P != 1) fm_load_constants(g.ctg, job, i0, lanes);
            fm_load_lanes(g.zt, job->z, job->F, job, t);
            fm_hidden(g.hid, NULL, g.zt, g.ctg, job->a, job->F, job->H);
            fm_output(g.ot, g.hid, job->w2, job->b2, job->H, job->O);
            const int64_t seqs = fm_tile_sequences(job, t);
            for (int64_t q = 0; q < seqs; q++)
                for (int64_t k = 0; k < O; k++)
                    fm_copy_lanes(job->out + ((b0 + q) * O + k) * job->ld + i0, g.ot + (q * O + k) * FM_LANES, lanes);
        }
    }
    free(block);
}

/* Lane-wise accumulators of one chunk: dW2 (O*H), db2 (O), dA (H*F), dc (H, for P == 1),
 * each entry 16 lanes wide; the chunk's partial is their lane sums in lane order. */
static inline int64_t fm_partial_size(int64_t F, int64_t H, int64_t O) { return O * H + O + H * F + H; }

/* dW2[k, j] += sum_t dout[t][k] hid[t][j] and db2[k] += sum_t dout[t][k] for k in [k0, k0 + KB)
 * (lane-wise accumulators). */
static inline __attribute__((always_inline)) void fm_weight_grad_block_(float *restrict dw2, float *restrict db2,
                                                                        const float *restrict dout,
                                                                        const float *restrict hid, int64_t H, int64_t O,
                                                                        int64_t k0, int KB) {
    fm_vec dk[FM_TILE][KB];
    for (int t = 0; t < FM_TILE; t++)
        for (int kk = 0; kk < KB; kk++) dk[t][kk] = fm_load(dout + (t * O + k0 + kk) * FM_LANES);
    for (int64_t j = 0; j < H; j++) {
        fm_vec h[FM_TILE];
        for (int t = 0; t < FM_TILE; t++) h[t] = fm_load(hid + (t * H + j) * FM_LANES);
        for (int kk = 0; kk < KB; kk++) {
            float *d = dw2 + ((k0 + kk) * H + j) * FM_LANES;
            fm_vec s = fm_load(d);
            for (int t = 0; t < FM_TILE; t++) s += dk[t][kk] * h[t];
            fm_store(d, s);
        }
    }
    for (int kk = 0; kk < KB; kk++) {
        fm_vec s = fm_load(db2 + (k0 + kk) * FM_LANES);
        for (int t = 0; t < FM_TILE; t++) s += dk[t][kk];
        fm_store(db2 + (k0 + kk) * FM_LANES, s);
    }
}

/* One tile's share of every weight gradient, and dpre (into g->dh). The loops are blocked so
 * that every vector loaded serves several multiply-adds (FM_KB outputs or hidden units by
 * FM_TILE sequences). acc: lane-wise dW2 (O*H), db2 (O), dA (H*F), dc (H) */
SF_VECTOR_CLONES
static void fm_backward_tile(float *restrict acc, fm_tile_buffers *g, const folded_job *job) {
    const int64_t F = job->F, H = job->H, O = job->O;
    float *restrict dw2 = acc;
    float *restrict db2 = dw2 + O * H * FM_LANES;
    float *restrict da = db2 + O * FM_LANES;
    float *restrict dc = da + H * F * FM_LANES;
    const float *restrict dout = g->ot;
    const float *restrict hid = g->hid;
    const float *restrict w2 = job->w2;
    /* dW2[k, j] += sum_t dout[t][k] hid[t][j];  db2[k] += sum_t dout[t][k] */
#define FM_WGRAD_BLOCK(k0, kb) fm_weight_grad_block_(dw2, db2, dout, hid, H, O, k0, kb)
    FM_FOR_OUTPUT_BLOCKS(O, FM_WGRAD_BLOCK)
#undef FM_WGRAD_BLOCK
    /* dpre[t][j] = GELU'(pre[t][j]) * sum_k W2[k, j] dout[t][k], FM_KB hidden units at a time */
    float *restrict dh = g->dh;
    int64_t j0 = 0;
    for (; j0 + FM_KB <= H; j0 += FM_KB) {
        fm_vec s[FM_TILE][FM_KB];
        for (int t = 0; t < FM_TILE; t++)
            for (int jj = 0; jj < FM_KB; jj++) s[t][jj] = (fm_vec){0};
        for (int64_t k = 0; k < job->O; k++) {
            fm_vec d[FM_TILE];
            for (int t = 0; t < FM_TILE; t++) d[t] = fm_load(dout + (t * O + k) * FM_LANES);
            for (int jj = 0; jj < FM_KB; jj++) {
                const float w = w2[k * H + j0 + jj];
                for (int t = 0; t < FM_TILE; t++) s[t][jj] += w * d[t];
            }
        }
        for (int t = 0; t < FM_TILE; t++)
            for (int jj = 0; jj < FM_KB; jj++) {
                const int64_t at = (t * H + j0 + jj) * FM_LANES;
                fm_store(dh + at, s[t][jj] * fm_load(g->gp + at));
            }
    }
    for (; j0 < H; j0++) {
        fm_vec s[FM_TILE];
        for (int t = 0; t < FM_TILE; t++) s[t] = (fm_vec){0};
        for (int64_t k = 0; k < job->O; k++) {
            const float w = w2[k * H + j0];
            for (int t = 0; t < FM_TILE; t++) s[t] += w * fm_load(dout + (t * O + k) * FM_LANES);
        }
        for (int t = 0; t < FM_TILE; t++) {
            const int64_t at = (t * H + j0) * FM_LANES;
            fm_store(dh + at, s[t] * fm_load(g->gp + at));
        }
    }
    /* dA[j, f] += sum_t dpre[t][j] z[t][f];  dc[j] += sum_t dpre[t][j] (P == 1; P == N: the caller) */
    for (int64_t j = 0; j < H; j++) {
        fm_vec dj[FM_TILE];
        for (int t = 0; t < FM_TILE; t++) dj[t] = fm_load(dh + (t * H + j) * FM_LANES);
        for (int64_t f = 0; f < F; f++) {
            float *d = da + (j * F + f) * FM_LANES;
            fm_vec s = fm_load(d);
            for (int t = 0; t < FM_TILE; t++) s += dj[t] * fm_load(g->zt + (t * F + f) * FM_LANES);
            fm_store(d, s);
        }
        if (job->P == 1) {
            fm_vec s = fm_load(dc + j * FM_LANES);
            for (int t = 0; t < FM_TILE; t++) s += dj[t];
            fm_store(dc + j * FM_LANES, s);
        }
    }
}

/* dz[b0 + q, f, i0 + l] += S[l] for the tile's lanes (a macro: fm_vec may not cross a function boundary). */
#define FM_ADD_INPUT_GRADIENT(JOB, TILE, Q, F_, S)                                                  \
    do {                                                                                        \
        float *dz_ = (JOB)->dz + (((TILE).b0 + (Q)) * (JOB)->F + (F_)) * (JOB)->ld + (TILE).i0;  \
        if ((TILE).lanes == FM_LANES) {                                                         \
            fm_store(dz_, fm_load(dz_) + (S));                                                  \
        } else {                                                                                \
            float v_[FM_LANES];                                                                 \
            fm_store(v_, (S));                                                                  \
            for (int64_t l_ = 0; l_ < (TILE).lanes; l_++) dz_[l_] += v_[l_];                    \
        }                                                                                       \
    } while (0)

/* dz[b0 + t, f, i0 + l] += sum_j A[j, f] dpre[t][j][l] for the tile's rows, FB features at a time:
 * FB independent sums over j (one sum at a time waited on the FMA latency), each in the order
 * j = 0, 1, ..., so the result is the same whatever the blocking. */
SF_VECTOR_CLONES
static void fm_input_gradient(const folded_job *job, fm_tile tile, const float *restrict dpre) {
    enum { FB = 8 };
    const int64_t F = job->F, H = job->H;
    const int64_t seqs = fm_tile_sequences(job, tile);
    for (int64_t q = 0; q < seqs; q++) {
        const float *restrict dq = dpre + q * H * FM_LANES;
        int64_t f0 = 0;
        for (; f0 + FB <= F; f0 += FB) {
            fm_vec s[FB];
            for (int ff = 0; ff < FB; ff++) s[ff] = (fm_vec){0};
            for (int64_t j = 0; j < H; j++) {
                const fm_vec d = fm_load(dq + j * FM_LANES);
                const float *aj = job->a + j * F + f0;
                for (int ff = 0; ff < FB; ff++) s[ff] += aj[ff] * d;
            }
            for (int ff = 0; ff < FB; ff++) FM_ADD_INPUT_GRADIENT(job, tile, q, f0 + ff, s[ff]);
        }
        for (; f0 < F; f0++) {
            fm_vec s = (fm_vec){0};
            for (int64_t j = 0; j < H; j++) s += job->a[j * F + f0] * fm_load(dq + j * FM_LANES);
            FM_ADD_INPUT_GRADIENT(job, tile, q, f0, s);
        }
    }
}

static void folded_backward_chunks(void *ctx, int64_t begin, int64_t end) {
    folded_job *job = (folded_job *)ctx;
    const int64_t F = job->F, H = job->H, O = job->O, N = job->N;
    const int64_t lane_entries = job->partial_size * FM_LANES;
    fm_tile_buffers g;
    float *block = fm_tile_buffers_alloc(&g, job);
    float *acc = (float *)malloc(sizeof(float) * (size_t)lane_entries);
    float *dcg = (float *)malloc(sizeof(float) * (size_t)(H * FM_LANES));
    if (!block || !acc || !dcg) {
        job->failed = 1;
        free(block); free(acc); free(dcg);
        return;
    }
    for (int64_t chunk = begin; chunk < end; chunk++) {
        memset(acc, 0, sizeof(float) * (size_t)lane_entries);
        const int64_t g0 = job->groups * chunk / job->chunks, g1 = job->groups * (chunk + 1) / job->chunks;
        for (int64_t grp = g0; grp < g1; grp++) {
            const int64_t i0 = grp * FM_LANES;
            const int64_t lanes = N - i0 < FM_LANES ? N - i0 : FM_LANES;
            fm_load_constants(g.ctg, job, i0, lanes);
            memset(dcg, 0, sizeof(float) * (size_t)(H * FM_LANES));
            for (int64_t b0 = 0; b0 < job->B; b0 += FM_TILE) {
                const fm_tile t = {b0, i0, lanes};
                const int64_t next_b0 = b0 + FM_TILE < job->B ? b0 + FM_TILE : 0;
                const int64_t next_i0 = b0 + FM_TILE < job->B ? i0 : i0 + FM_LANES;
                fm_prefetch_lanes(job->z, F, job, next_b0, next_i0);
                fm_prefetch_lanes(job->dout, O, job, next_b0, next_i0);
                if (job->dz) fm_prefetch_lanes(job->dz, F, job, next_b0, next_i0);
                fm_load_lanes(g.zt, job->z, F, job, t);
                fm_hidden(g.hid, g.gp, g.zt, g.ctg, job->a, F, H);
                fm_load_lanes(g.ot, job->dout, O, job, t);
                fm_backward_tile(acc, &g, job);
                if (job->dz) fm_input_gradient(job, t, g.dh);
                if (job->P != 1)   /* dc[j, i] += dpre[j] at this group's positions, sequences in order */
                    for (int q = 0; q < FM_TILE; q++)
                        for (int64_t x = 0; x < H * FM_LANES; x++) dcg[x] += g.dh[q * H * FM_LANES + x];
            }
            if (job->P != 1)
                for (int64_t j = 0; j < H; j++)
                    for (int64_t l = 0; l < lanes; l++) job->dct[j * job->ld + i0 + l] += dcg[j * FM_LANES + l];
        }
        float *partial = job->partials + chunk * job->partial_size;
        for (int64_t e = 0; e < job->partial_size; e++) {
            float s = 0.0f;
            for (int l = 0; l < FM_LANES; l++) s += acc[e * FM_LANES + l];
            partial[e] = s;
        }
    }
    free(block); free(acc); free(dcg);
}

static int folded_sizes_ok(int64_t B, int64_t N, int64_t P, int64_t F, int64_t H, int64_t O, int64_t ld) {
    return B > 0 && N > 0 && F > 0 && H > 0 && O > 0 && (P == 1 || P == N) && ld >= N;
}


/* out[b, :, i] = W2 GELU(A z[b, :, i] + c[:, pos(i)]) + b2, pos(i) = i when P == N, 0 when P == 1.
 * out: B*O*ld, z: B*F*ld (channel-major, rows ld >= N apart), a: H*F, ct: H*ld (P == N) or H,
 * w2: O*H, b2: O */
int sf_folded_mlp_forward_f32(float *out, const float *z, const float *a, const float *ct, const float *w2,
                              const float *b2, int64_t B, int64_t N, int64_t P, int64_t F, int64_t H, int64_t O,
                              int64_t ld) {
    if (!out || !z || !a || !ct || !w2 || !b2 || !folded_sizes_ok(B, N, P, F, H, O, ld)) return SF_ERR_ARGUMENT;
    folded_job job = {.out = out, .z = z, .a = a, .ct = ct, .w2 = w2, .b2 = b2,
                      .B = B, .N = N, .P = P, .F = F, .H = H, .O = O, .ld = ld, .groups = fm_groups(N)};
    const int64_t items = (B + FM_TILE - 1) / FM_TILE * ((job.groups + FM_FORWARD_RUN - 1) / FM_FORWARD_RUN);
    sf_parallel_rows_dynamic(folded_forward_items, &job, items, FM_TILE * FM_FORWARD_RUN * FM_LANES * H * (F + O + 20));
    return job.failed ? SF_ERR_MEMORY : SF_OK;
}

/* Backward of sf_folded_mlp_forward_f32 for dout = dL/dout; recomputes the hidden units and adds
 *   da[j, f] += sum_r dpre[r, j] z[r, f],   dct[j, p] += sum_{r: pos(r) = p} dpre[r, j],
 *   dw2[k, j] += sum_r dout[r, k] hid[r, j],   db2[k] += sum_r dout[r, k],
 *   dz[r, f] += sum_j A[j, f] dpre[r, j]   (skipped when dz is NULL),
 * with dpre = GELU'(pre) * (W2^T dout).
 * dz: B*F*ld, da: H*F, dct: like ct, dw2: O*H, db2: O, dout: B*O*ld, other inputs as in the forward */
int sf_folded_mlp_backward_f32(float *dz, float *da, float *dct, float *dw2, float *db2, const float *dout,
                               const float *z, const float *a, const float *ct, const float *w2, int64_t B, int64_t N,
                               int64_t P, int64_t F, int64_t H, int64_t O, int64_t ld) {
    if (!da || !dct || !dw2 || !db2 || !dout || !z || !a || !ct || !w2 || !folded_sizes_ok(B, N, P, F, H, O, ld))
        return SF_ERR_ARGUMENT;
    const int64_t groups = fm_groups(N);
    const int64_t chunks = groups < FM_MAX_CHUNKS ? groups : FM_MAX_CHUNKS;
    const int64_t partial_size = fm_partial_size(F, H, O);
    float *partials = (float *)malloc(sizeof(float) * (size_t)(chunks * partial_size));
    if (!partials) return SF_ERR_MEMORY;
    folded_job job = {.dz = dz, .dct = dct, .partials = partials, .dout = dout, .z = z, .a = a, .ct = ct, .w2 = w2,
                      .B = B, .N = N, .P = P, .F = F, .H = H, .O = O, .ld = ld,
                      .groups = groups, .chunks = chunks, .partial_size = partial_size};
    sf_parallel_rows_dynamic(folded_backward_chunks, &job, chunks, (groups / chunks + 1) * B * FM_LANES * H * (2 * F + 3 * O + 40));
    if (job.failed) { free(partials); return SF_ERR_MEMORY; }
    /* the chunks' partials, added in chunk order */
    for (int64_t chunk = 0; chunk < chunks; chunk++) {
        const float *p = partials + chunk * partial_size;
        for (int64_t e = 0; e < O * H; e++) dw2[e] += p[e];
        p += O * H;
        for (int64_t e = 0; e < O; e++) db2[e] += p[e];
        p += O;
        for (int64_t e = 0; e < H * F; e++) da[e] += p[e];
        p += H * F;
        if (P == 1)
            for (int64_t e = 0; e < H; e++) dct[e] += p[e];
    }
    free(partials);
    return SF_OK;
}
