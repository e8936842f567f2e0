// The AMX form of the direct convolution (direct_conv_amx.c), reached through direct_conv.h's
// functions with CLASSIFY_FORMAT_BF16_AMX.
#ifndef CLASSIFY_DIRECT_CONV_AMX_H
#define CLASSIFY_DIRECT_CONV_AMX_H

#include "direct_conv.h"

/// uint16 elements of the packed weight: blocks of 32 output channels, each the depth (ky, kx, c)
/// in steps of 32, each step two AMX B tiles (16 pairs × 16 channels × 2).
long classify_amx_packed_count(const classify_conv_shape *shape);

/// PyTorch's weight [outputs][channels][kh][kw] rounded to bf16 as `classify_round_bf16` rounds,
/// in that order (zeros past the outputs and the depth).
void classify_amx_pack_weight(const float *weight, const classify_conv_shape *shape,
                              uint16_t *packed);

/// The packed weight back in PyTorch's layout, each value its bf16 rounding exactly.
void classify_amx_unpack_weight(const uint16_t *packed, const classify_conv_shape *shape,
                                float *weight);

/// Floats of scratch for `threads` threads: each its tile configuration, sums and gathered input
/// panels, and for a 3×3 at stride 1 the zero-padded bf16 copy of the input its tiles load from.
long classify_amx_scratch_floats(const classify_conv_shape *shape, long threads);

void classify_amx_conv_nhwc(const uint16_t *packed, const classify_conv_shape *shape,
                            const float *input, float *output, const classify_epilogue *epilogue,
                            float *scratch, long threads);

#endif
