#ifndef CLASSIFY_DIRECT_CONV_H
#define CLASSIFY_DIRECT_CONV_H

#include <stdint.h>

/// 1 when this CPU executes AVX-512 (F and BW) and the operating system saves its registers: the
/// direct convolution runs in fp32. 0 otherwise (other CPUs, other architectures). Checked once.
int classify_cpu_has_avx512(void);

/// 1 when, in addition, the CPU executes AVX512-BF16 (`vdpbf16ps`): the bf16 forms run.
int classify_cpu_has_bf16(void);

/// 1 when, in addition, the CPU has Intel AMX with bf16 tiles and Linux grants this process
/// their state (asked for once, by `arch_prctl`): the BF16_AMX form runs.
int classify_cpu_has_amx(void);

/// fp32 → bf16 bits with round-to-nearest-even, as PyTorch's `.to(torch.bfloat16)` (ATen's vector
/// conversion): NaN becomes 0xFFFF (c10's scalar one writes 0x7FC0; both are NaN), infinities and
/// subnormals are kept (no flush to zero).
void classify_round_bf16(const float *x, uint16_t *bits, long count);

/// How a frozen convolution's weight is stored and multiplied. FP32: PyTorch's fp32 weight itself
/// (no copy), packed block by block into each thread's scratch as its tasks need it; FMA.
/// BF16_VALUES: bf16 bits (16 bits a weight), expanded to fp32 block by block as a task starts and
/// multiplied by FMA with fp32 activations. BF16_PAIRS: bf16 pairs of input channels, multiplied
/// by AVX512-BF16 `vdpbf16ps` with the activations rounded to bf16 pairs tile by tile. Both bf16
/// forms use the same rounded weights and sum in fp32; PAIRS also rounds the activations (twice
/// FMA's multiply-adds per instruction where the CPU issues it at FMA's rate).
#define CLASSIFY_FORMAT_BF16_PAIRS 1
#define CLASSIFY_FORMAT_BF16_VALUES 2
#define CLASSIFY_FORMAT_FP32 3
/// BF16_AMX: as BF16_PAIRS (activations and weights rounded, fp32 sums), multiplied by AMX tile
/// instructions (`tdpbf16ps`, 8,192 multiply-adds each) on Intel Sapphire Rapids and later.
#define CLASSIFY_FORMAT_BF16_AMX 4
/// FP32_SWAPPED: FP32 where `packed` is the weight of the convolution whose input gradient this
/// one computes (a stride-1 training backward, ∂x = conv(∂y, W̃)): PyTorch's
/// [channels][outputs][kernel_height][kernel_width] of *this* shape, i.e. channels and outputs
/// swapped, read with its taps flipped as each thread packs its blocks, so W̃ is never copied. A
/// 1×1 whose outputs fill whole 64-wide blocks is read where it lies, packing nothing and using
/// no slots — which also lets a weight gradient take the im2col [rows][patch] as its weight.
#define CLASSIFY_FORMAT_FP32_SWAPPED 5

/// The faster bf16 format on this CPU, measured once (about 2 ms of register-only loops) and
/// kept: BF16_AMX where the CPU has AMX, else BF16_PAIRS where `vdpbf16ps` does more multiply-adds per second than FMA (AMD Zen 4:
/// twice), else BF16_VALUES (Intel Sapphire Rapids without AMX: `vdpbf16ps` at 0.55× FMA's
/// rate); FP32 without AVX-512 (where no direct convolution runs).
int classify_bf16_format(void);

/// Output channels per block of a packed weight (four 16-lane vectors).
#define CLASSIFY_CONV_BLOCK 64

/// A 2-D convolution on NHWC activations: input [images][height][width][channels], output
/// [images][output_height][output_width][outputs], both channel-last and dense; PyTorch's
/// cross-correlation with per-axis stride, zero padding and dilation.
typedef struct {
  long images, height, width, channels;
  long outputs, output_height, output_width;
  long kernel_height, kernel_width;
  long stride_height, stride_width;
  long padding_height, padding_width;
  long dilation_height, dilation_width;
} classify_conv_shape;

/// Elements of `shape`'s packed weight in `format`: none for FP32 (the weight is read as it lies),
/// uint16 for BF16_VALUES and BF16_AMX, uint32 for BF16_PAIRS.
long classify_conv_packed_count(const classify_conv_shape *shape, int format);

/// Packs PyTorch's weight [outputs][channels][kernel_height][kernel_width] for the direct
/// convolution, once per frozen weight: blocks of 64 output channels, each the taps (ky, kx) in
/// order, each the input channels, each 64 output channels contiguous (zero-padded past
/// `outputs`). BF16_VALUES rounds the values to bf16, BF16_PAIRS rounds them and pairs
/// consecutive values of each kernel row, (kx, c) in order (an odd kw·C padded with a zero; for
/// an even C these are each tap's channel pairs); BF16_AMX rounds them into
/// AMX tiles of 32 output channels (`direct_conv_amx.h`); FP32 packs nothing (its `packed` is
/// PyTorch's weight).
void classify_conv_pack_weight(const float *weight, const classify_conv_shape *shape, int format,
                               void *packed);

/// The inverse of `classify_conv_pack_weight` for the bf16 formats: PyTorch's layout
/// [outputs][channels][kernel_height][kernel_width] back from `packed`, each value the exact fp32
/// of its bf16 rounding (the padding is dropped). What lets a frozen bf16 weight keep only its
/// packed form. Returns 0, writing nothing, for FP32 (which packs nothing).
int classify_conv_unpack_weight(const void *packed, const classify_conv_shape *shape, int format,
                                float *weight);

/// The fp32 value of bf16 `bits` (exact: bf16 is fp32's upper half).
float classify_bf16_to_float(uint16_t bits);

/// What the convolution applies to each output element as it stores it, in this order:
/// × scale[o] (when `scale`: a folded batch norm's γ/σ, so the folded layer keeps its weight),
/// + bias[o] (when `bias`), + residual[p·residual_stride + o] (when `residual`; p the output
/// pixel), then max(·, 0) (when `relu`). A bias, a bottleneck's shortcut and its ReLU thus cost no
/// pass of their own over the output.
typedef struct {
  const float *scale;
  const float *bias;
  const float *residual;
  long residual_stride;
  int relu;
} classify_epilogue;

/// Floats of scratch `classify_conv_nhwc` needs for `shape` in `format` on `threads` threads (a
/// zero row, each thread's expanded weight blocks or bf16 input pairs, and for BF16_PAIRS where
/// it rounds the whole input once, the input as pairs); the caller keeps and
/// reuses it.
long classify_conv_scratch_count(const classify_conv_shape *shape, int format, long threads);

/// output = epilogue(conv(input, weight)), the weight packed by `classify_conv_pack_weight` in
/// `format` (for FP32, PyTorch's weight), on up to `threads` threads of the compute pool, with `scratch` of
/// `classify_conv_scratch_count` floats. Each tile of 6 output pixels × 64
/// output channels keeps its 24 sums in registers for the whole depth, broadcasting each pixel's
/// inputs where they lie (no im2col, no packing of activations in fp32) and loading the weight
/// as vectors (BF16_AMX: tiles of 32 pixels × 32 channels, `direct_conv_amx.c`). Requires
/// `classify_cpu_has_avx512()` (and `classify_cpu_has_bf16()` for the bf16 formats,
/// `classify_cpu_has_amx()` for BF16_AMX); every size positive.
void classify_conv_nhwc(const void *packed, int format, const classify_conv_shape *shape,
                        const float *input, float *output, const classify_epilogue *epilogue,
                        float *scratch, long threads);

#endif
