#ifndef CLASSIFY_PACKED_GEMM_H
#define CLASSIFY_PACKED_GEMM_H

#include <stdint.h>

/// 1 when this CPU executes AVX-512 (F and BW) and the operating system saves its registers: the
/// packed fp32 GEMM runs. 0 otherwise (other CPUs, other architectures). Checked once.
int classify_cpu_has_avx512(void);

/// 1 when, in addition, the CPU executes AVX512-BF16 (`vdpbf16ps`): the packed bf16 GEMM runs.
int classify_cpu_has_bf16(void);

/// fp32 → bf16 bits with round-to-nearest-even, as PyTorch's `.to(torch.bfloat16)` (ATen's vector
/// conversion): NaN becomes 0xFFFF (c10's scalar one writes 0x7FC0; both are NaN), infinities and
/// subnormals are kept (no flush to zero).
void classify_round_bf16(const float *x, uint16_t *bits, long count);

/// How a packed GEMM multiplies. FP32_ROWS: fp32, FMA, A's rows read where they lie (row-major,
/// lda = k), so a frozen weight needs no second copy. BF16_PAIRS: A packed by `classify_pack_a`
/// as bf16 pairs of k, B rounded to bf16 pairs as it is packed, multiplied by AVX512-BF16
/// `vdpbf16ps`. BF16_VALUES: A packed as in BF16_PAIRS (16 bits a weight) and expanded to fp32
/// values block by block, B rounded to bf16 as fp32 values, multiplied by FMA: the same products
/// exactly (a bf16 × bf16 product is exact in fp32) and fp32 sums, for CPUs whose `vdpbf16ps`
/// is slower than their FMA.
#define CLASSIFY_FORMAT_BF16_PAIRS 1
#define CLASSIFY_FORMAT_BF16_VALUES 2
#define CLASSIFY_FORMAT_FP32_ROWS 3

/// The faster bf16 format on this CPU, measured once (about 2 ms of register-only loops) and
/// kept: BF16_PAIRS where `vdpbf16ps` does more multiply-adds per second than FMA (AMD Zen 4:
/// twice), else BF16_VALUES (Intel Sapphire Rapids without AMX: `vdpbf16ps` at 0.55× FMA's
/// rate); FP32_ROWS without AVX-512 (where no packed GEMM runs).
int classify_bf16_format(void);

/// Rows of A per micro-panel of the packed GEMMs.
#define CLASSIFY_PACKED_PANEL_ROWS 12

/// Words of the bf16 form of an m×k A (both bf16 formats): one bf16 pair per two k, rows padded
/// to panels of 12.
long classify_packed_count(long m, long k);

/// Packs row-major fp32 A (m×k, row stride lda) for the bf16 formats: panels of 12 rows, each
/// the bf16 pairs (A[r][2p], A[r][2p+1]) of its rows, rounded to nearest even; rows and the odd
/// k padded with 0.
void classify_pack_a(const float *a, long m, long k, long lda, uint32_t *packed);

/// What the GEMM applies to each C element as it stores it, in this order: × scale[row] (when
/// `scale`: a batch norm's γ/σ, so a folded convolution keeps the weight it was given), + bias[row]
/// (when `bias`), + residual[row·residual_stride + column] (when `residual`), then max(·, 0) (when
/// `relu`). A convolution's bias, a bottleneck's shortcut and its ReLU thus cost no pass of their
/// own over the output.
typedef struct {
  const float *scale;
  const float *bias;
  const float *residual;
  long residual_stride;
  int relu;
} classify_epilogue;

/// C (m×n, row stride ldc) = A·B with A packed by `classify_pack_a` (for FP32_ROWS, A itself)
/// and B row-major fp32 (k×n, row stride ldb), packed strip by strip (rounded to bf16 in the
/// bf16 formats); products accumulate in fp32, each C element written once, through `epilogue`
/// (NULL: none). Runs on up to `threads` threads of the compute pool. Requires
/// `classify_cpu_has_avx512()` (and `classify_cpu_has_bf16()` for BF16_PAIRS).
void classify_packed_gemm(const uint32_t *packed_a, int format, long m, long k, const float *b,
                          long ldb, long n, float *c, long ldc, const classify_epilogue *epilogue,
                          long threads);

/// B given implicitly as the im2col matrix of a convolution on channel-major activations
/// `[C, images, H, W]`: row (c, i, j), column (n, oh, ow) is input (c, n, oh·sh + i·dh − ph,
/// ow·sw + j·dw − pw), zero where that falls outside the image. The GEMM packs it straight from
/// the input (one load per 16 columns at stride 1 and same size, a gather otherwise), so no
/// im2col matrix is ever written. The input must have fewer than 2^31 elements.
typedef struct {
  const float *input;
  long images, height, width, output_height, output_width, kernel_height, kernel_width;
  long stride_height, stride_width, dilation_height, dilation_width, padding_height, padding_width;
} classify_conv_input;

/// `classify_packed_gemm` with B the implicit im2col of `b` (k = C·kh·kw,
/// n = images·output_height·output_width, ldc ≥ n).
void classify_packed_gemm_conv(const uint32_t *packed_a, int format, long m, long k,
                               const classify_conv_input *b, float *c, long ldc,
                               const classify_epilogue *epilogue, long threads);

#endif
