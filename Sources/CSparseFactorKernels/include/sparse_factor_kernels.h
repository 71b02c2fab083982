/*
 * SparseFactor C kernels: the hot path of the package. One header per area, all included here.
 *   sf_common.h     conventions, status codes, threading
 *   sf_factor.h     one Chord factor and chains (row-major blocks)
 *   sf_objective.h  the fused fitting objective and gradient
 *   sf_shift.h      Chord factors in diagonal form on channel-major blocks (PSF-Attn)
 *   sf_dense.h      GEMM through OpenBLAS and the SVD through LAPACKE
 *   sf_nn.h         neural-network kernels (GELU, LayerNorm, bias, embedding, Adam, folded MLPs)
 *   sf_attention.h  multi-head softmax attention (FlashAttention-style tiles, forward and backward)
 *   sf_favor.h      Performer's FAVOR+ attention (positive orthogonal random features, forward and backward)
 * The naive oracles (sf_ref_*) are in the CSparseFactorReference target.
 */
#ifndef SPARSE_FACTOR_KERNELS_H
#define SPARSE_FACTOR_KERNELS_H

#include "sf_common.h"
#include "sf_factor.h"
#include "sf_objective.h"
#include "sf_shift.h"
#include "sf_dense.h"
#include "sf_nn.h"
#include "sf_attention.h"
#include "sf_favor.h"

#endif /* SPARSE_FACTOR_KERNELS_H */
