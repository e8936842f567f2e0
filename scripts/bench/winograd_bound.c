// How much Winograd's F(2×2, 3×3) could take off our fp32 3×3 convolutions at stride 1, measured
// rather than estimated (docs/BENCHMARKS.md, session 17): per ResNet-50 stage shape at 224×224,
// the direct convolution (Sources/CKernelSupport/direct_conv.c) against the same convolution as
// Winograd — input tiles of 4×4 transformed (Bᵀ d B), 16 GEMMs on our own kernel as 1×1
// convolutions of the tiles (T × C by C × K each), the 4×4 products transformed back to 2×2
// outputs (Aᵀ m A) with bias and ReLU. The weight transform (G g Gᵀ) is done once, outside the
// timing, as an engine would cache it. Prints both times, the ratio and the max relative error of
// Winograd against the direct convolution.
//
// Build and run from the repository root:
//   clang -O2 -ISources/CKernelSupport/include Sources/CKernelSupport/direct_conv.c \
//     Sources/CKernelSupport/direct_conv_amx.c Sources/CKernelSupport/cpu_features.c \
//     Sources/CKernelSupport/compute_pool.c scripts/bench/winograd_bound.c -o /tmp/winograd -lpthread -lm
//   /tmp/winograd THREADS ROUNDS      (e.g. 2 7)
#include "compute_pool.h"
#include "direct_conv.h"

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TARGET __attribute__((target("avx512f")))

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *random_floats(long count, unsigned seed, float scale) {
  float *values = aligned_alloc(64, (size_t)((count * 4 + 63) / 64 * 64));
  for (long i = 0; i < count; i++) {
    seed = seed * 1664525u + 1013904223u;
    values[i] = ((float)(seed >> 8) / (float)(1 << 24) * 2 - 1) * scale;
  }
  return values;
}

typedef struct {
  const float *input;  // NHWC [N][H][W][C]
  float *v;            // [16][T][C]
  const float *m;      // [16][T][K]
  float *output;       // NHWC [N][H][W][K]
  const float *bias;
  long images, size, channels, outputs, tiles_across, tiles;
} winograd_job;

/// One tile's 16 transformed values for every channel, 16 channels a vector.
/// Tile `tile`'s image and position in tiles.
static void tile_position(const winograd_job *j, long tile, long *n, long *ty, long *tx) {
  long per_image = j->tiles_across * j->tiles_across;
  *n = tile / per_image, *ty = tile % per_image / j->tiles_across, *tx = tile % j->tiles_across;
}

TARGET static void input_task(void *context, long tile) {
  const winograd_job *j = context;
  long n, ty, tx;
  tile_position(j, tile, &n, &ty, &tx);
  long c_count = j->channels, size = j->size;
  for (long c = 0; c < c_count; c += 16) {
    __m512 d[4][4];
    for (long r = 0; r < 4; r++)
      for (long s = 0; s < 4; s++) {
        long y = 2 * ty - 1 + r, x = 2 * tx - 1 + s;
        d[r][s] = (y < 0 || y >= size || x < 0 || x >= size)
                      ? _mm512_setzero_ps()
                      : _mm512_loadu_ps(j->input + ((n * size + y) * size + x) * c_count + c);
      }
    __m512 t[4][4];
    for (long s = 0; s < 4; s++) {  // Bᵀ d: rows
      t[0][s] = _mm512_sub_ps(d[0][s], d[2][s]);
      t[1][s] = _mm512_add_ps(d[1][s], d[2][s]);
      t[2][s] = _mm512_sub_ps(d[2][s], d[1][s]);
      t[3][s] = _mm512_sub_ps(d[1][s], d[3][s]);
    }
    for (long r = 0; r < 4; r++) {  // (Bᵀ d) B: columns
      __m512 u[4] = {_mm512_sub_ps(t[r][0], t[r][2]), _mm512_add_ps(t[r][1], t[r][2]),
                     _mm512_sub_ps(t[r][2], t[r][1]), _mm512_sub_ps(t[r][1], t[r][3])};
      for (long s = 0; s < 4; s++)
        _mm512_storeu_ps(j->v + ((r * 4 + s) * j->tiles + tile) * c_count + c, u[s]);
    }
  }
}

/// One tile's 2×2 outputs for every output channel: Aᵀ m A, + bias, ReLU.
TARGET static void output_task(void *context, long tile) {
  const winograd_job *j = context;
  long n, ty, tx;
  tile_position(j, tile, &n, &ty, &tx);
  long k_count = j->outputs, size = j->size;
  for (long k = 0; k < k_count; k += 16) {
    __m512 m[4][4];
    for (long r = 0; r < 4; r++)
      for (long s = 0; s < 4; s++)
        m[r][s] = _mm512_loadu_ps(j->m + ((r * 4 + s) * j->tiles + tile) * k_count + k);
    __m512 t[2][4];
    for (long s = 0; s < 4; s++) {
      t[0][s] = _mm512_add_ps(_mm512_add_ps(m[0][s], m[1][s]), m[2][s]);
      t[1][s] = _mm512_sub_ps(_mm512_sub_ps(m[1][s], m[2][s]), m[3][s]);
    }
    __m512 bias = _mm512_loadu_ps(j->bias + k), zero = _mm512_setzero_ps();
    for (long r = 0; r < 2; r++) {
      __m512 y[2] = {_mm512_add_ps(_mm512_add_ps(t[r][0], t[r][1]), t[r][2]),
                     _mm512_sub_ps(_mm512_sub_ps(t[r][1], t[r][2]), t[r][3])};
      for (long s = 0; s < 2; s++) {
        long oy = 2 * ty + r, ox = 2 * tx + s;
        if (oy >= size || ox >= size) continue;
        _mm512_storeu_ps(j->output + ((n * size + oy) * size + ox) * k_count + k,
                         _mm512_max_ps(_mm512_add_ps(y[s], bias), zero));
      }
    }
  }
}

/// U = G g Gᵀ for every (k, c), stored as 16 weights [K][C] (PyTorch's 1×1 layout).
static void transform_weight(const float *g, long outputs, long channels, float *u) {
  for (long k = 0; k < outputs; k++)
    for (long c = 0; c < channels; c++) {
      const float *w = g + (k * channels + c) * 9;
      float t[4][3];
      for (long s = 0; s < 3; s++) {
        t[0][s] = w[s];
        t[1][s] = 0.5f * (w[s] + w[3 + s] + w[6 + s]);
        t[2][s] = 0.5f * (w[s] - w[3 + s] + w[6 + s]);
        t[3][s] = w[6 + s];
      }
      for (long r = 0; r < 4; r++) {
        float row[4] = {t[r][0], 0.5f * (t[r][0] + t[r][1] + t[r][2]),
                        0.5f * (t[r][0] - t[r][1] + t[r][2]), t[r][2]};
        for (long s = 0; s < 4; s++) u[((r * 4 + s) * outputs + k) * channels + c] = row[s];
      }
    }
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  long threads = argc > 1 ? atol(argv[1]) : 2, rounds = argc > 2 ? atol(argv[2]) : 7;
  // ResNet-50's stride-1 3×3s at 224×224, with the engine's images a pass.
  long shapes[][4] = {{64, 56, 2, 3}, {128, 28, 2, 3}, {256, 14, 4, 5}, {512, 7, 8, 2}};
  printf("F(2x2,3x3) against the direct fp32 3x3, %ld threads, median of %ld (ms a pass)\n",
         threads, rounds);
  double direct_total = 0, winograd_total = 0;
  for (int which = 0; which < 4; which++) {
    long channels = shapes[which][0], size = shapes[which][1], images = shapes[which][2];
    long outputs = channels, across = (size + 1) / 2, tiles = images * across * across;
    float *input = random_floats(images * size * size * channels, 1, 1);
    float *weight = random_floats(outputs * channels * 9, 2, 0.05f);
    float *bias = random_floats(outputs, 3, 0.1f);
    float *direct_out = malloc(sizeof(float) * images * size * size * outputs);
    float *wino_out = malloc(sizeof(float) * images * size * size * outputs);
    float *u = malloc(sizeof(float) * 16 * outputs * channels);
    float *v = malloc(sizeof(float) * 16 * tiles * channels);
    float *m = malloc(sizeof(float) * 16 * tiles * outputs);
    transform_weight(weight, outputs, channels, u);

    classify_conv_shape conv = {images, size, size, channels, outputs, size, size, 3, 3, 1, 1, 1, 1,
                                1, 1};
    classify_conv_shape gemm = {1, tiles, 1, channels, outputs, tiles, 1, 1, 1, 1, 1, 0, 0, 1, 1};
    long scratch_count = classify_conv_scratch_count(&conv, CLASSIFY_FORMAT_FP32, threads);
    long gemm_scratch = classify_conv_scratch_count(&gemm, CLASSIFY_FORMAT_FP32, threads);
    if (gemm_scratch > scratch_count) scratch_count = gemm_scratch;
    float *scratch = aligned_alloc(64, (size_t)((scratch_count * 4 + 63) / 64 * 64));
    classify_epilogue with_bias = {.bias = bias, .relu = 1}, plain = {0};
    winograd_job job = {input, v, m, wino_out, bias, images, size, channels, outputs, across, tiles};

    double direct[64], winograd[64], inputs[64], gemms[64];
    for (long round = 0; round < rounds && round < 64; round++) {
      double start = now();
      classify_conv_nhwc(weight, CLASSIFY_FORMAT_FP32, &conv, input, direct_out, &with_bias, scratch,
                         threads);
      direct[round] = now() - start;
      start = now();
      classify_pool_run(tiles, threads, input_task, &job);
      inputs[round] = now() - start;
      for (long xi = 0; xi < 16; xi++)
        classify_conv_nhwc(u + xi * outputs * channels, CLASSIFY_FORMAT_FP32, &gemm,
                           v + xi * tiles * channels, m + xi * tiles * outputs, &plain, scratch,
                           threads);
      gemms[round] = now() - start - inputs[round];
      classify_pool_run(tiles, threads, output_task, &job);
      winograd[round] = now() - start;
    }
    qsort(direct, rounds, sizeof(double), compare);
    qsort(winograd, rounds, sizeof(double), compare);
    qsort(inputs, rounds, sizeof(double), compare);
    qsort(gemms, rounds, sizeof(double), compare);
    double worst = 0, largest = 0;
    for (long i = 0; i < images * size * size * outputs; i++) {
      worst = fmax(worst, fabs(direct_out[i] - wino_out[i]));
      largest = fmax(largest, fabs(direct_out[i]));
    }
    double d = direct[rounds / 2] * 1e3, w = winograd[rounds / 2] * 1e3;
    long layers = shapes[which][3];
    direct_total += d * layers * 16 / images;
    winograd_total += w * layers * 16 / images;
    printf("3x3/1 %ld->%ld on %ldx%ld, %ld images: direct %.3f ms, winograd %.3f ms, x%.2f, "
           "max error %.1e of the largest output (input transform %.3f, GEMMs %.3f ms, %.0f GFLOP/s)\n",
           channels, outputs, size, size, images, d, w, d / w, worst / largest, inputs[rounds / 2] * 1e3,
           gemms[rounds / 2] * 1e3, 2.0 * 16 * tiles * channels * outputs / gemms[rounds / 2] * 1e-9);
    free(input), free(weight), free(bias), free(direct_out), free(wino_out), free(u), free(v),
        free(m), free(scratch);
  }
  printf("all 13 stride-1 3x3s of a batch of 16: direct %.1f ms, winograd %.1f ms\n", direct_total,
         winograd_total);
  return 0;
}
