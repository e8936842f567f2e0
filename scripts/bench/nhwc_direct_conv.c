// A naive direct convolution in NHWC, to measure what the activation-layout redesign would give
// (docs/BENCHMARKS.md, session 9). Not the product: stride 1 only, no blocking, ReLU epilogue.
// Activations are [pixels][channels]; the weight is packed once as [output/64][taps·C][64]; each
// tile of 6 pixels × 64 output channels keeps 24 accumulators, broadcasts one input value per
// pixel and loads 4 weight vectors per step, reading every input where it lies (no packing).
// Build and run (its line ends in "mean N GFLOP/s", for scripts/bench/paired.sh):
//   clang -O2 scripts/bench/nhwc_direct_conv.c -o /tmp/nhwc_direct_conv
//   /tmp/nhwc_direct_conv CIN COUT SIZE KERNEL IMAGES REPETITIONS     (COUT a multiple of 64)
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PIXELS 6
#define VECTORS 4
#define TARGET __attribute__((target("avx512f")))

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/// acc[r][v] += Σ_p row[r][p] · w[p][16v … 16v + 15] over `depth` steps.
TARGET static inline void tile(long depth, const float *const row[PIXELS], const float *w,
                               __m512 acc[PIXELS][VECTORS]) {
  for (long p = 0; p < depth; p++) {
    __m512 b[VECTORS];
    for (int v = 0; v < VECTORS; v++) b[v] = _mm512_loadu_ps(w + 16 * v);
    for (int r = 0; r < PIXELS; r++) {
      __m512 x = _mm512_set1_ps(row[r][p]);
      for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_fmadd_ps(x, b[v], acc[r][v]);
    }
    w += 16 * VECTORS;
  }
}

TARGET static void convolve(const float *x, long images, long size, long channels, const float *w,
                            long outputs, long kernel, const float *zeros, float *y) {
  long pixels = images * size * size, pad = kernel / 2, taps = kernel * kernel;
  long depth = taps * channels, width = 16 * VECTORS;
  for (long p0 = 0; p0 < pixels; p0 += PIXELS) {
    long rows = pixels - p0 < PIXELS ? pixels - p0 : PIXELS;
    for (long s = 0; s < outputs / width; s++) {
      __m512 acc[PIXELS][VECTORS];
      for (int r = 0; r < PIXELS; r++)
        for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_setzero_ps();
      for (long t = 0; t < taps; t++) {
        long dy = t / kernel - pad, dx = t % kernel - pad;
        const float *row[PIXELS];
        for (int r = 0; r < PIXELS; r++) {
          long p = p0 + (r < rows ? r : rows - 1), n = p / (size * size);
          long iy = p / size % size + dy, ix = p % size + dx;
          int inside = iy >= 0 && iy < size && ix >= 0 && ix < size;
          row[r] = inside ? x + ((n * size + iy) * size + ix) * channels : zeros;
        }
        tile(channels, row, w + (s * depth + t * channels) * width, acc);
      }
      for (int r = 0; r < rows; r++) {
        float *out = y + (p0 + r) * outputs + s * width;
        for (int v = 0; v < VECTORS; v++)
          _mm512_storeu_ps(out + 16 * v, _mm512_max_ps(acc[r][v], _mm512_setzero_ps()));
      }
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: nhwc_direct_conv CIN COUT SIZE KERNEL IMAGES REPETITIONS\n");
    return 64;
  }
  long channels = atol(argv[1]), outputs = atol(argv[2]), size = atol(argv[3]);
  long kernel = atol(argv[4]), images = atol(argv[5]);
  int reps = atoi(argv[6]);
  if (outputs % (16 * VECTORS) != 0 || channels <= 0 || kernel % 2 == 0) {
    fprintf(stderr, "nhwc_direct_conv: COUT must be a multiple of 64, KERNEL odd\n");
    return 64;
  }
  long pixels = images * size * size, depth = kernel * kernel * channels;
  float *x = aligned_alloc(64, pixels * channels * 4), *w = aligned_alloc(64, outputs * depth * 4);
  float *y = aligned_alloc(64, pixels * outputs * 4), *zeros = calloc(channels, 4);
  for (long i = 0; i < pixels * channels; i++) x[i] = ((i * 5) % 11) * 0.1f - 0.5f;
  for (long i = 0; i < outputs * depth; i++) w[i] = ((i * 7) % 13) * 0.1f - 0.6f;
  double flops = 2.0 * outputs * depth * pixels / 1e9, best = 1e9, sum = 0;
  for (int r = 0; r < reps; r++) {
    double t = now();
    convolve(x, images, size, channels, w, outputs, kernel, zeros, y);
    t = now() - t;
    sum += t;
    if (t < best) best = t;
  }
  printf("nhwc %ld→%ld %ld×%ld k%ld ×%ld: best %.1f, mean %.1f GFLOP/s\n", channels, outputs, size,
         size, kernel, images, flops / best, flops * reps / sum);
  return 0;
}
