#ifndef CLASSIFY_GEMM_BF16_H
#define CLASSIFY_GEMM_BF16_H

#include <stdint.h>

/// 1 when this CPU executes AVX512-BF16 (`vdpbf16ps`) and the operating system saves the AVX-512
/// registers; 0 otherwise (other CPUs, other architectures). Checked once, then cached.
int classify_cpu_has_bf16(void);

/// fp32 → bf16 bits with round-to-nearest-even, as PyTorch's `.to(torch.bfloat16)` (ATen's vector
/// conversion): NaN becomes 0xFFFF (c10's scalar one writes 0x7FC0; both are NaN), infinities and
/// subnormals are kept (no flush to zero).
void classify_round_bf16(const float *x, uint16_t *bits, long count);

/// Rows of A per micro-panel of `classify_gemm_bf16`.
#define CLASSIFY_BF16_PANEL_ROWS 12

/// Elements (uint32 bf16 pairs) of the packed form of an m×k A.
long classify_bf16_packed_count(long m, long k);

/// Packs row-major fp32 A (m×k, row stride lda) as bf16 for `classify_gemm_bf16`: panels of 12
/// rows, each the k pairs (A[r][2p], A[r][2p+1]) of its rows; rows and the odd k padded with 0.
void classify_bf16_pack_a(const float *a, long m, long k, long lda, uint32_t *packed);

/// C (m×n, row stride ldc) = A·B, with A packed by `classify_bf16_pack_a` and B row-major fp32
/// (k×n, row stride ldb) rounded to bf16 as it is packed; products accumulate in fp32. Runs on
/// up to `threads` threads of the compute pool. Requires `classify_cpu_has_bf16()`.
void classify_gemm_bf16(const uint32_t *packed_a, long m, long k, const float *b, long ldb, long n,
                        float *c, long ldc, long threads);

/// B given implicitly as the im2col matrix of a stride-1 convolution whose output has its input's
/// size, on channel-major activations: row (c, i, j) is channel c's whole [images·H·W] run shifted
/// by (i·dh − ph)·W + (j·dw − pw), zero where the tap falls outside its image. The GEMM packs it
/// straight from the input, so no im2col matrix is ever written.
typedef struct {
  const float *input;
  long images, height, width, kernel_height, kernel_width;
  long dilation_height, dilation_width, padding_height, padding_width;
} classify_same_size_input;

/// `classify_gemm_bf16` with B the implicit im2col of `b` (k = C·kh·kw, n = images·H·W, ldc ≥ n).
void classify_gemm_bf16_same_size(const uint32_t *packed_a, long m, long k,
                                  const classify_same_size_input *b, float *c, long ldc,
                                  long threads);

#endif
