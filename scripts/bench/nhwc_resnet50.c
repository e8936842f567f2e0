// The whole ResNet-50 backbone on our direct NHWC convolution (Sources/CKernelSupport/
// direct_conv.c) with nothing of Swift around it: how fast the kernel runs the network end to end,
// at 32×32 and 224×224, and per layer (docs/BENCHMARKS.md, session 10). Random weights, BN folded
// away (bias), the last 1×1 of each block adds the shortcut and applies ReLU as it stores, passes
// of PASS images (2 by default at 224×224, as the engine's first stages). Session 10's first
// measurements ran a standalone copy of the kernel (this file at commit 8a7cbd5).
//
// Build and run from the repository root:
//   clang -O2 -ISources/CKernelSupport/include Sources/CKernelSupport/direct_conv.c \
//     Sources/CKernelSupport/direct_conv_amx.c Sources/CKernelSupport/cpu_features.c Sources/CKernelSupport/compute_pool.c \
//     scripts/bench/nhwc_resnet50.c -o /tmp/nhwc_resnet50 -lpthread -lm
//   /tmp/nhwc_resnet50 SIZE BATCH ITERATIONS THREADS      (e.g. 224 16 4 2, or 32 64 10 2)
//   /tmp/nhwc_resnet50 check                                (the kernel against a naive twin)
// PROFILE=1 adds the time per layer; FORMAT=amx|pairs|values picks a bf16 form (fp32 by default);
// OFFSET=0 starts the activations on a cache line (by default 16 bytes past one, as the engine's
// Swift arrays do).
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

// ---- the rest of a network, NHWC ----

typedef struct {
  const float *input;
  float *output;
  long images, height, width, channels, out_h, out_w;
} pool_job;

TARGET static void maxpool_task(void *context, long index) {  // 3×3 stride 2 padding 1, one image
  const pool_job *j = context;
  for (long oy = 0; oy < j->out_h; oy++)
    for (long ox = 0; ox < j->out_w; ox++) {
      float *out = j->output + ((index * j->out_h + oy) * j->out_w + ox) * j->channels;
      for (long c = 0; c < j->channels; c += 16) {
        __m512 m = _mm512_set1_ps(-INFINITY);
        for (long dy = -1; dy <= 1; dy++)
          for (long dx = -1; dx <= 1; dx++) {
            long iy = oy * 2 + dy, ix = ox * 2 + dx;
            if (iy < 0 || iy >= j->height || ix < 0 || ix >= j->width) continue;
            m = _mm512_max_ps(m, _mm512_loadu_ps(j->input + ((index * j->height + iy) * j->width + ix) * j->channels + c));
          }
        _mm512_storeu_ps(out + c, m);
      }
    }
}

TARGET static void avgpool_task(void *context, long index) {
  const pool_job *j = context;
  long plane = j->height * j->width;
  for (long c = 0; c < j->channels; c += 16) {
    __m512 s = _mm512_setzero_ps();
    for (long p = 0; p < plane; p++) s = _mm512_add_ps(s, _mm512_loadu_ps(j->input + (index * plane + p) * j->channels + c));
    _mm512_storeu_ps(j->output + index * j->channels + c, _mm512_mul_ps(s, _mm512_set1_ps(1.f / plane)));
  }
}

static float *filled(long count, float scale, unsigned seed) {
  float *p = aligned_alloc(64, ((count * 4 + 63) / 64) * 64);
  for (long i = 0; i < count; i++) p[i] = ((float)(((i + seed) * 2654435761u) % 1000) / 1000.f - 0.5f) * scale;
  return p;
}

typedef struct {
  long cin, cout, k, stride, pad;
  float *weight, *bias;
  void *packed;  // the weight packed in `format` (the weight itself for FP32)
  int id;
} layer;

static int format = CLASSIFY_FORMAT_FP32;  // FORMAT=amx|pairs|values|fp32

static int profile;
static double layer_seconds[64], layer_flops[64];
static const char *layer_names[64];
static int layer_count;
static float *scratch;
static long scratch_floats;

static layer make_layer(long cin, long cout, long k, long stride, long pad, unsigned seed) {
  layer l = {cin, cout, k, stride, pad};
  l.id = layer_count++;
  l.weight = filled(cout * cin * k * k, 2.f * sqrtf(6.f / (cin * k * k)), seed);
  l.bias = filled(cout, 0.02f, seed + 1);
  l.packed = l.weight;
  if (format != CLASSIFY_FORMAT_FP32) {
    classify_conv_shape s = {1, 64, 64, cin, cout, 64, 64, k, k, stride, stride, pad, pad, 1, 1};
    l.packed = malloc(classify_conv_packed_count(&s, format) * 4);
    classify_conv_pack_weight(l.weight, &s, format, l.packed);
  }
  return l;
}

static void run_layer(layer *l, const float *x, long images, long h, long w, const float *residual,
                      int relu, float *y, long threads) {
  classify_conv_shape s = {images, h, w, l->cin, l->cout, (h + 2 * l->pad - l->k) / l->stride + 1,
                           (w + 2 * l->pad - l->k) / l->stride + 1, l->k, l->k, l->stride,
                           l->stride, l->pad, l->pad, 1, 1};
  long need = classify_conv_scratch_count(&s, format, threads);
  if (need > scratch_floats) {
    free(scratch);
    scratch = malloc(need * sizeof(float));
    scratch_floats = need;
  }
  classify_epilogue e = {NULL, l->bias, residual, l->cout, relu};
  double start = profile ? now() : 0;
  classify_conv_nhwc(l->packed, format, &s, x, y, &e, scratch, threads);
  if (profile) {
    layer_seconds[l->id] += now() - start;
    layer_flops[l->id] += 2.0 * images * s.output_height * s.output_width * l->cout * l->cin * l->k * l->k;
    static char names[64][48];
    snprintf(names[l->id], 48, "%ld→%ld k%ld s%ld %ld×%ld", l->cin, l->cout, l->k, l->stride, h, w);
    layer_names[l->id] = names[l->id];
  }
}

static long out_size(long in, long k, long s, long p) { return (in + 2 * p - k) / s + 1; }

static int check(void) {  // the kernel against a naive NCHW-indexed twin on odd shapes
  long shapes[][6] = {{3, 64, 23, 7, 2, 3}, {20, 70, 9, 3, 1, 1}, {64, 16, 8, 1, 1, 0},
                      {33, 130, 11, 3, 2, 1}, {48, 64, 5, 1, 2, 0}, {64, 70, 20, 3, 1, 1},
                      {32, 48, 18, 3, 1, 1},  {96, 40, 9, 1, 2, 0}, {64, 33, 18, 3, 1, 0}};
  int bad = 0;
  for (int s = 0; s < (int)(sizeof shapes / sizeof shapes[0]); s++) {
    long c = shapes[s][0], o = shapes[s][1], h = shapes[s][2], k = shapes[s][3], st = shapes[s][4], p = shapes[s][5];
    long images = 3, oh = out_size(h, k, st, p);
    float *x = filled(images * h * h * c, 2.f, 7), *res = filled(images * oh * oh * o, 1.f, 9);
    layer l = make_layer(c, o, k, st, p, 11);
    float *y = malloc(images * oh * oh * o * 4);
    run_layer(&l, x, images, h, h, res, 1, y, 2);
    double worst = 0, largest = 0;
    for (long n = 0; n < images; n++)
      for (long oy = 0; oy < oh; oy++)
        for (long ox = 0; ox < oh; ox++)
          for (long f = 0; f < o; f++) {
            double sum = l.bias[f];
            for (long ci = 0; ci < c; ci++)
              for (long u = 0; u < k; u++)
                for (long v = 0; v < k; v++) {
                  long iy = oy * st - p + u, ix = ox * st - p + v;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= h) continue;
                  sum += (double)x[((n * h + iy) * h + ix) * c + ci] * l.weight[((f * c + ci) * k + u) * k + v];
                }
            long at = ((n * oh + oy) * oh + ox) * o + f;
            sum += res[at];
            if (sum < 0) sum = 0;
            double e = fabs(sum - y[at]);
            if (fabs(sum) > largest) largest = fabs(sum);
            if (e > worst) worst = e;
          }
    printf("check %ld→%ld %ld×%ld k%ld s%ld: max |error| %.2e of max %.2f\n", c, o, h, h, k, st, worst, largest);
    bad |= worst > (format == CLASSIFY_FORMAT_FP32 ? 1e-4 : 2e-2 * largest);
  }
  return bad;
}

int main(int argc, char **argv) {
  const char *name = getenv("FORMAT");
  if (name && strcmp(name, "amx") == 0) format = CLASSIFY_FORMAT_BF16_AMX;
  if (name && strcmp(name, "pairs") == 0) format = CLASSIFY_FORMAT_BF16_PAIRS;
  if (name && strcmp(name, "values") == 0) format = CLASSIFY_FORMAT_BF16_VALUES;
  if (format == CLASSIFY_FORMAT_BF16_AMX && !classify_cpu_has_amx()) {
    fprintf(stderr, "nhwc_resnet50: FORMAT=amx needs AMX\n");
    return 1;
  }
  if (argc > 1 && strcmp(argv[1], "check") == 0) return check();
  long size = argc > 1 ? atol(argv[1]) : 224, batch = argc > 2 ? atol(argv[2]) : 16;
  int iterations = argc > 3 ? atoi(argv[3]) : 4;
  long threads = argc > 4 ? atol(argv[4]) : 2;
  if (!classify_cpu_has_avx512()) {
    fprintf(stderr, "nhwc_resnet50: the direct convolution needs AVX-512\n");
    return 1;
  }
  profile = getenv("PROFILE") != NULL;
  long h = out_size(size, 7, 2, 3), ph = out_size(h, 3, 2, 1);
  double flops = 2.0 * batch * 64 * 3 * 49 * h * h;
  layer stem = make_layer(3, 64, 7, 2, 3, 1);
  int depths[4] = {3, 4, 6, 3};
  long widths[4] = {64, 128, 256, 512};
  layer c1[16], c2[16], c3[16], down[4];
  long sizes[16], channels[16];
  long ch = 64, s = ph, count = 0, most = batch * h * h * 64;
  for (int stage = 0; stage < 4; stage++)
    for (int b = 0; b < depths[stage]; b++, count++) {
      long width = widths[stage], st = (b == 0 && stage > 0) ? 2 : 1, os = out_size(s, 3, st, 1);
      c1[count] = make_layer(ch, width, 1, 1, 0, 10 * count);
      c2[count] = make_layer(width, width, 3, st, 1, 10 * count + 3);
      c3[count] = make_layer(width, width * 4, 1, 1, 0, 10 * count + 5);
      if (b == 0) down[stage] = make_layer(ch, width * 4, 1, st, 0, 10 * count + 7);
      flops += 2.0 * batch * (s * s * ch * width + os * os * (9 * width * width + width * width * 4));
      if (b == 0) flops += 2.0 * batch * os * os * ch * width * 4;
      sizes[count] = s;
      channels[count] = ch;
      if (batch * s * s * ch > most) most = batch * s * s * ch;
      if (batch * s * s * width * 4 > most) most = batch * s * s * width * 4;
      ch = width * 4;
      s = os;
    }
  float *image = filled(batch * size * size * 3, 2.f, 3);
  // Activations start OFFSET floats past a 64-byte boundary: 4 by default, as a Swift [Float]'s
  // elements do (16 or 48 bytes into a line, so every 16-float vector spans two lines); 0 aligns.
  long offset = getenv("OFFSET") ? atol(getenv("OFFSET")) : 4;
  float *a = (float *)aligned_alloc(64, (size_t)(most + 64) * 4) + offset;
  float *b = (float *)aligned_alloc(64, (size_t)(most + 64) * 4) + offset;
  float *t1 = (float *)aligned_alloc(64, (size_t)(most + 64) * 4) + offset;
  float *t2 = (float *)aligned_alloc(64, (size_t)(most + 64) * 4) + offset;
  float *features = malloc(batch * 2048 * 4);
  double total = 0, best = 1e9;
  long pass = getenv("PASS") ? atol(getenv("PASS")) : size >= 112 ? 2 : batch;
  for (int it = 0; it <= iterations; it++) {
    double start = now();
    for (long first = 0; first < batch; first += pass) {
    long images = batch - first < pass ? batch - first : pass;
    run_layer(&stem, image + first * size * size * 3, images, size, size, NULL, 1, t1, threads);
    pool_job mp = {t1, a, images, h, h, 64, ph, ph};
    classify_pool_run(images, threads, maxpool_task, &mp);
    float *x = a, *other = b;
    for (long i = 0; i < count; i++) {
      long sz = sizes[i], st = c2[i].stride, os = out_size(sz, 3, st, 1);
      run_layer(&c1[i], x, images, sz, sz, NULL, 1, t1, threads);
      run_layer(&c2[i], t1, images, sz, sz, NULL, 1, t2, threads);
      const float *shortcut = x;
      if (channels[i] != c3[i].cout || st != 1) {
        long stage = i < 3 ? 0 : i < 7 ? 1 : i < 13 ? 2 : 3;
        run_layer(&down[stage], x, images, sz, sz, NULL, 0, other, threads);
        shortcut = other;
        run_layer(&c3[i], t2, images, os, os, shortcut, 1, x, threads);  // x is no longer needed
      } else {
        run_layer(&c3[i], t2, images, os, os, shortcut, 1, other, threads);
        float *swap = x;
        x = other;
        other = swap;
      }
    }
    pool_job ap = {x, features + first * 2048, images, s, s, 2048, 1, 1};
    classify_pool_run(images, threads, avgpool_task, &ap);
    }
    double t = now() - start;
    if (it > 0) {
      total += t;
      if (t < best) best = t;
    }
  }
  if (profile)
    for (int i = 0; i < layer_count; i++)
      printf("%-28s %7.2f ms/img %6.1f GFLOP/s\n", layer_names[i], layer_seconds[i] * 1e3 / (batch * (iterations + 1)),
             layer_flops[i] / layer_seconds[i] / 1e9);
  printf("nhwc forward %ld×%ld batch %ld: %.1f img/s (best %.1f), %.0f GFLOP/s\n", size, size, batch, batch * iterations / total, batch / best,
         flops / best / 1e9);
  return 0;
}
