// classify_transpose (transpose.h): the weight gradient's Gᵀ, in 16 × 16 register blocks.
#include "transpose.h"

#include "compute_pool.h"
#include "transpose16.h"

#if defined(__x86_64__)

/// A rows × cols source and its cols × rows transpose.
typedef struct {
  long rows, cols;
  const float *src;
  float *dst;
} transpose_job;

/// Source rows [16·strip, 16·strip + 16), every 16-column block transposed into the destination.
__attribute__((target("avx512f"))) static void transpose_task(void *context, long strip) {
  const transpose_job *t = context;
  const long r0 = strip * 16;
  const long n = t->rows - r0 < 16 ? t->rows - r0 : 16;  // rows of this strip
  const __mmask16 row_mask = n == 16 ? 0xFFFF : (__mmask16)((1u << n) - 1);
  for (long c0 = 0; c0 < t->cols; c0 += 16) {
    long m = t->cols - c0 < 16 ? t->cols - c0 : 16;
    __mmask16 column_mask = m == 16 ? 0xFFFF : (__mmask16)((1u << m) - 1);
    __m512 r[16];
    for (int i = 0; i < 16; i++)
      r[i] = i < n ? _mm512_maskz_loadu_ps(column_mask, t->src + (r0 + i) * t->cols + c0)
                   : _mm512_setzero_ps();
    transpose16(r);
    for (long i = 0; i < m; i++)
      _mm512_mask_storeu_ps(t->dst + (c0 + i) * t->rows + r0, row_mask, r[i]);
  }
}

void classify_transpose(const float *src, long rows, long cols, float *dst, long threads) {
  transpose_job t = {.rows = rows, .cols = cols, .src = src, .dst = dst};
  classify_pool_run((rows + 15) / 16, threads, transpose_task, &t);
}

#else

void classify_transpose(const float *src, long rows, long cols, float *dst, long threads) {
  (void)src, (void)rows, (void)cols, (void)dst, (void)threads;  // never called off x86-64
}

#endif
