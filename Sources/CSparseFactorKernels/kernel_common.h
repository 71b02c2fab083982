/* Internal helpers shared by the kernel templates. */
#ifndef SF_KERNEL_COMMON_H
#define SF_KERNEL_COMMON_H

#include <stdint.h>

#define SF_CAT_(a, b) a##b
#define SF_CAT(a, b) SF_CAT_(a, b)

/* Runtime CPU dispatch: the compiler emits one copy of the function per target and an
 * ifunc resolver picks one at load time. SwiftPM builds C at -O2 without -march, so this
 * is how the AVX-512 and AVX2 (+FMA) code paths reach users. */
#if defined(SF_VECTOR_CLONES)
/* given on the command line (kernel experiments) */
#elif defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define SF_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SF_VECTOR_CLONES
#endif

/* Channels handled per register tile; 64 floats are 4 AVX-512 registers. */
#define SF_TILE 64
/* From this many channels on, and while one tile of channels of all N rows fits in about
 * half an L2 cache, the forward kernel sweeps the rows once per tile of channels. */
#ifndef SF_BAND_MIN_CHANNELS
#define SF_BAND_MIN_CHANNELS 256
#endif
#define SF_BAND_MAX_BYTES (512 * 1024)
/* A chain applied without a tape takes wide blocks this many bytes of channels at a time
 * (32 doubles, 64 floats; see chain_banded_ in factor_kernels.inc), or one 64-byte vector at a
 * time while the band's two buffers (2 * N * 64 bytes) fit SF_CHAIN_NARROW_MAX_BYTES, about one
 * core's L2 (N <= 16,384): then the K link streams gather from L2 rather than L3, which pays
 * more than the extra passes over the weights cost (N = 16,384, C = 64, float64: 22 ms -> 18 ms;
 * at N = 65,536 the narrow band was slower, 150 ms against 121). */
#ifndef SF_CHAIN_BAND_BYTES
#define SF_CHAIN_BAND_BYTES 256
#endif
#define SF_CHAIN_NARROW_BAND_BYTES 64
#ifndef SF_CHAIN_NARROW_MAX_BYTES
#define SF_CHAIN_NARROW_MAX_BYTES (2 * 1024 * 1024)
#endif
/* ... when one item's N x C block is larger than this (a quarter of this machine's L2). */
#ifndef SF_CHAIN_BAND_MIN_BLOCK_BYTES
#define SF_CHAIN_BAND_MIN_BLOCK_BYTES (1024 * 1024)
#endif

/* l / k for 0 <= l < 2^52 without an integer division in the inner loop: the quotient
 * through double is off by at most one, and the two checks correct it exactly. */
static inline __attribute__((always_inline)) int64_t sf_div_small(int64_t l, int64_t k, double inv_k) {
    int64_t q = (int64_t)((double)l * inv_k);
    if (q * k > l) q--;
    else if ((q + 1) * k <= l) q++;
    return q;
}

/* Links per row up to which a cyclic pattern gets the index-free gather (Chord: log2 N + 1). */
#define SF_CYCLIC_MAX_LINKS 64

/* 1 when every row i's links are (i + offsets[k]) mod N, with offsets[k] = cols[k] (row 0's
 * columns, each in [0, N)), and K <= SF_CYCLIC_MAX_LINKS; one pass over cols. */
static inline int sf_cyclic_offsets(int64_t *offsets, const int64_t *cols, int64_t N, int64_t K) {
    if (!cols || K > SF_CYCLIC_MAX_LINKS) return 0;
    for (int64_t k = 0; k < K; k++) {
        if (cols[k] < 0 || cols[k] >= N) return 0;
        offsets[k] = cols[k];
    }
    for (int64_t i = 1; i < N; i++)
        for (int64_t k = 0; k < K; k++) {
            int64_t s = i + offsets[k];
            s -= s >= N ? N : 0;
            if (cols[i * K + k] != s) return 0;
        }
    return 1;
}

static inline int sf_sizes_ok(int64_t B, int64_t N, int64_t K, int64_t C) {
    return B > 0 && N > 0 && K > 0 && C > 0;
}

#endif
