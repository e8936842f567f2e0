#ifndef CLASSIFY_TRANSPOSE_H
#define CLASSIFY_TRANSPOSE_H

/// dst[c][r] = src[r][c] for a dense rows × cols matrix (dst is cols × rows), in 16 × 16 register
/// blocks on up to `threads` threads of the compute pool: the output gradient as the "image" of
/// the weight gradient's convolution. Requires `classify_cpu_has_avx512()`.
void classify_transpose(const float *src, long rows, long cols, float *dst, long threads);

#endif
