// The whole ResNet-50 backbone on a blocked NHWC direct convolution of our own: what the
// activation-layout redesign of issue #14 would give end to end, at 32×32 and 224×224, before the
// engine is rewritten for it (docs/BENCHMARKS.md, session 10). Not the product; random weights, BN
// folded away (bias), the last 1×1 of each block adds the shortcut and applies ReLU as it stores.
//
// The kernel: activations are [pixels][channels]; a convolution is C[P, Cout] = X̂[P, K] · Ŵ[K, Cout]
// with K = (ky, kx, c) and X̂ never formed: each tile of 6 output pixels × 64 output channels keeps
// 24 accumulators, broadcasts each pixel's input values where they lie (one run of C floats per tap,
// or kw·C when the pixel's whole kernel row is inside the image) and loads 4 vectors of the packed
// weight [Cout/64][K][64] per step. Tasks are (64-channel block, run of pixel tiles), the block
// outermost so that each core keeps one weight panel in its L2.
//
// Build and run from the repository root:
//   clang -O2 -ISources/CKernelSupport/include Sources/CKernelSupport/compute_pool.c \
//     scripts/bench/nhwc_resnet50.c -o /tmp/nhwc_resnet50 -lpthread -lm
//   /tmp/nhwc_resnet50 SIZE BATCH ITERATIONS THREADS      (e.g. 224 16 4 2, or 32 64 10 2)
//   /tmp/nhwc_resnet50 check                                (the kernel against a naive twin)
// TRANSIENT=1 packs each layer's weight on every call (no persistent copy), as a folded engine
// that keeps only PyTorch's weight would.
#include "compute_pool.h"

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIXELS 6
#define VECTORS 4
#define BLOCK (16 * VECTORS)
#define TARGET __attribute__((target("avx512f")))

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
  const float *input;  // [images][height][width][channels]
  long images, height, width, channels;
  long kernel_h, kernel_w, stride, padding;
  const float *weight;  // packed: [ceil(outputs / 64)][kernel_h · kernel_w · channels][64]
  long outputs;
  const float *bias, *residual;  // [outputs], [P][outputs] or NULL
  int relu;
  float *output;  // [images][out_h][out_w][outputs]
  long out_h, out_w;
  const float *zeros;  // at least `channels` zeros
  long tiles_per_task, chunks;
  int blocks_inside;
} conv_job;

/// Ŵ from PyTorch's [Cout][C][kh][kw], zero-padded to a multiple of 64 output channels.
static void pack_weight(const float *w, long outputs, long channels, long kh, long kw, float *packed) {
  long depth = kh * kw * channels, blocks = (outputs + BLOCK - 1) / BLOCK;
  memset(packed, 0, blocks * depth * BLOCK * sizeof(float));
  for (long o = 0; o < outputs; o++)
    for (long c = 0; c < channels; c++)
      for (long y = 0; y < kh; y++)
        for (long x = 0; x < kw; x++) {
          long k = (y * kw + x) * channels + c;
          packed[((o / BLOCK) * depth + k) * BLOCK + o % BLOCK] = w[((o * channels + c) * kh + y) * kw + x];
        }
}

/// acc[r][v] += Σ_k row[r][k] · w[k][16v … 16v + 15] over `depth` steps (on local copies, so that
/// the compiler keeps the 24 sums in registers through the loop).
TARGET static inline __attribute__((always_inline)) void tile(long depth, const float *const row[PIXELS],
                                                              const float *w, __m512 acc[PIXELS][VECTORS]) {
  __m512 a[PIXELS][VECTORS];
  for (int r = 0; r < PIXELS; r++)
    for (int v = 0; v < VECTORS; v++) a[r][v] = acc[r][v];
  const float *x0 = row[0], *x1 = row[1], *x2 = row[2], *x3 = row[3], *x4 = row[4], *x5 = row[5];
  for (long k = 0; k < depth; k++) {
    __m512 b0 = _mm512_loadu_ps(w), b1 = _mm512_loadu_ps(w + 16), b2 = _mm512_loadu_ps(w + 32),
           b3 = _mm512_loadu_ps(w + 48);
#define ROW(r, x)                                  \
  {                                                \
    __m512 s = _mm512_set1_ps(x[k]);               \
    a[r][0] = _mm512_fmadd_ps(s, b0, a[r][0]);     \
    a[r][1] = _mm512_fmadd_ps(s, b1, a[r][1]);     \
    a[r][2] = _mm512_fmadd_ps(s, b2, a[r][2]);     \
    a[r][3] = _mm512_fmadd_ps(s, b3, a[r][3]);     \
  }
    ROW(0, x0) ROW(1, x1) ROW(2, x2) ROW(3, x3) ROW(4, x4) ROW(5, x5)
#undef ROW
    w += BLOCK;
  }
  for (int r = 0; r < PIXELS; r++)
    for (int v = 0; v < VECTORS; v++) acc[r][v] = a[r][v];
}

/// One tile: 6 output pixels (n, iy0, ix0: their first input row and column) × one 64-channel block.
TARGET static inline __attribute__((always_inline)) void conv_tile(const conv_job *j, const long n[PIXELS], const long iy0[PIXELS],
                                    const long ix0[PIXELS], int whole_rows, const float *panel,
                                    __m512 acc[PIXELS][VECTORS]) {
  for (int r = 0; r < PIXELS; r++)
    for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_setzero_ps();
  long row_floats = j->kernel_w * j->channels;
  for (long ky = 0; ky < j->kernel_h; ky++) {
    const float *row[PIXELS];
    if (whole_rows) {  // each pixel's kernel row is kw·C contiguous floats (or all padding)
      int inside = 0;
      for (int r = 0; r < PIXELS; r++) {
        long iy = iy0[r] + ky;
        int in = iy >= 0 && iy < j->height;
        inside += in;
        row[r] = in ? j->input + ((n[r] * j->height + iy) * j->width + ix0[r]) * j->channels : NULL;
      }
      if (inside == 0) continue;
      if (inside == PIXELS) {
        tile(row_floats, row, panel + ky * row_floats * BLOCK, acc);
        continue;
      }
    }
    for (long kx = 0; kx < j->kernel_w; kx++) {
      int any = 0;
      for (int r = 0; r < PIXELS; r++) {
        long iy = iy0[r] + ky, ix = ix0[r] + kx;
        int in = iy >= 0 && iy < j->height && ix >= 0 && ix < j->width;
        any |= in;
        row[r] = in ? j->input + ((n[r] * j->height + iy) * j->width + ix) * j->channels : j->zeros;
      }
      if (any) tile(j->channels, row, panel + (ky * j->kernel_w + kx) * j->channels * BLOCK, acc);
    }
  }
}

TARGET static inline __attribute__((always_inline)) void store_tile(const conv_job *j, long p0, long rows, long block,
                                     __m512 acc[PIXELS][VECTORS]) {
  long o0 = block * BLOCK, width = j->outputs - o0 < BLOCK ? j->outputs - o0 : BLOCK;
  __mmask16 masks[VECTORS];
  for (int v = 0; v < VECTORS; v++) {
    long left = width - 16 * v;
    masks[v] = left >= 16 ? 0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
  }
  for (int r = 0; r < rows; r++) {
    float *out = j->output + (p0 + r) * j->outputs + o0;
    const float *res = j->residual ? j->residual + (p0 + r) * j->outputs + o0 : NULL;
    for (int v = 0; v < VECTORS; v++) {
      if (!masks[v]) break;
      __m512 y = acc[r][v];
      if (j->bias) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(masks[v], j->bias + o0 + 16 * v));
      if (res) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(masks[v], res + 16 * v));
      if (j->relu) y = _mm512_max_ps(y, _mm512_setzero_ps());
      _mm512_mask_storeu_ps(out + 16 * v, masks[v], y);
    }
  }
}

/// A task is a run of pixel tiles, for one 64-channel block or (when the whole weight fits in L2)
/// for every block, tile by tile, so that the tile's inputs stay in L1.
TARGET static void conv_task(void *context, long index) {
  const conv_job *j = context;
  long blocks = (j->outputs + BLOCK - 1) / BLOCK;
  long first_block = 0, last_block = blocks, chunk = index;
  if (!j->blocks_inside) {
    first_block = index / j->chunks;
    last_block = first_block + 1;
    chunk = index % j->chunks;
  }
  long pixels = j->images * j->out_h * j->out_w;
  long depth = j->kernel_h * j->kernel_w * j->channels;
  long first = chunk * j->tiles_per_task * PIXELS, last = first + j->tiles_per_task * PIXELS;
  if (last > pixels) last = pixels;
  // The running output coordinates of pixel `first`, advanced one pixel at a time.
  long plane = j->out_h * j->out_w;
  long cn = first / plane, cy = first % plane / j->out_w, cx = first % j->out_w;
  for (long p0 = first; p0 < last; p0 += PIXELS) {
    long rows = last - p0 < PIXELS ? last - p0 : PIXELS;
    long n[PIXELS], iy0[PIXELS], ix0[PIXELS];
    int whole_rows = 1;
    for (int r = 0; r < PIXELS; r++) {
      n[r] = cn;
      iy0[r] = cy * j->stride - j->padding;
      ix0[r] = cx * j->stride - j->padding;
      if (ix0[r] < 0 || ix0[r] + j->kernel_w > j->width) whole_rows = 0;
      if (r < rows - 1 && ++cx == j->out_w) {  // the tail tile repeats its last pixel
        cx = 0;
        if (++cy == j->out_h) cy = 0, cn++;
      }
    }
    if (rows == PIXELS && ++cx == j->out_w) {
      cx = 0;
      if (++cy == j->out_h) cy = 0, cn++;
    }
    for (long block = first_block; block < last_block; block++) {
      __m512 acc[PIXELS][VECTORS];
      conv_tile(j, n, iy0, ix0, whole_rows, j->weight + block * depth * BLOCK, acc);
      store_tile(j, p0, rows, block, acc);
    }
  }
}

static const float zero_row[8192];

static void conv_run(conv_job *j, long threads) {
  j->out_h = (j->height + 2 * j->padding - j->kernel_h) / j->stride + 1;
  j->out_w = (j->width + 2 * j->padding - j->kernel_w) / j->stride + 1;
  j->zeros = zero_row;
  long pixels = j->images * j->out_h * j->out_w, tiles = (pixels + PIXELS - 1) / PIXELS;
  long blocks = (j->outputs + BLOCK - 1) / BLOCK;
  long weight_bytes = blocks * BLOCK * j->kernel_h * j->kernel_w * j->channels * 4;
  j->blocks_inside = weight_bytes <= (getenv("INSIDE") ? atol(getenv("INSIDE")) : 1L << 20);
  // Enough tasks to balance (≥ 4 a thread), each at least 8 tiles.
  long want = j->blocks_inside ? 4 * threads : 4 * threads / blocks + 1;
  j->tiles_per_task = (tiles + want - 1) / want;
  if (j->tiles_per_task < 8) j->tiles_per_task = 8;
  j->chunks = (tiles + j->tiles_per_task - 1) / j->tiles_per_task;
  classify_pool_run((j->blocks_inside ? 1 : blocks) * j->chunks, threads, conv_task, j);
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
  float *weight, *packed, *bias;
  int id;
} layer;

static int transient, profile;
static double layer_seconds[64], layer_flops[64];
static const char *layer_names[64];
static int layer_count;

static layer make_layer(long cin, long cout, long k, long stride, long pad, unsigned seed) {
  layer l = {cin, cout, k, stride, pad};
  l.id = layer_count++;
  l.weight = filled(cout * cin * k * k, 2.f * sqrtf(6.f / (cin * k * k)), seed);
  l.bias = filled(cout, 0.02f, seed + 1);
  long blocks = (cout + BLOCK - 1) / BLOCK;
  l.packed = aligned_alloc(64, blocks * k * k * cin * BLOCK * 4);
  pack_weight(l.weight, cout, cin, k, k, l.packed);
  return l;
}

static void run_layer(layer *l, const float *x, long images, long h, long w, const float *residual,
                      int relu, float *y, long threads) {
  if (transient) pack_weight(l->weight, l->cout, l->cin, l->k, l->k, l->packed);
  conv_job j = {x, images, h, w, l->cin, l->k, l->k, l->stride, l->pad, l->packed, l->cout, l->bias,
                residual, relu, y};
  double start = profile ? now() : 0;
  conv_run(&j, threads);
  if (profile) {
    layer_seconds[l->id] += now() - start;
    layer_flops[l->id] += 2.0 * images * j.out_h * j.out_w * l->cout * l->cin * l->k * l->k;
    static char names[64][48];
    snprintf(names[l->id], 48, "%ld→%ld k%ld s%ld %ld×%ld", l->cin, l->cout, l->k, l->stride, h, w);
    layer_names[l->id] = names[l->id];
  }
}

static long out_size(long in, long k, long s, long p) { return (in + 2 * p - k) / s + 1; }

static int check(void) {  // the kernel against a naive NCHW-indexed twin on odd shapes
  long shapes[][6] = {{3, 64, 23, 7, 2, 3}, {20, 70, 9, 3, 1, 1}, {64, 16, 8, 1, 1, 0},
                      {33, 130, 11, 3, 2, 1}, {48, 64, 5, 1, 2, 0}};
  int bad = 0;
  for (int s = 0; s < 5; s++) {
    long c = shapes[s][0], o = shapes[s][1], h = shapes[s][2], k = shapes[s][3], st = shapes[s][4], p = shapes[s][5];
    long images = 3, oh = out_size(h, k, st, p);
    float *x = filled(images * h * h * c, 2.f, 7), *res = filled(images * oh * oh * o, 1.f, 9);
    layer l = make_layer(c, o, k, st, p, 11);
    float *y = malloc(images * oh * oh * o * 4);
    run_layer(&l, x, images, h, h, res, 1, y, 2);
    double worst = 0;
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
            if (e > worst) worst = e;
          }
    printf("check %ld→%ld %ld×%ld k%ld s%ld: max |error| %.2e\n", c, o, h, h, k, st, worst);
    bad |= worst > 1e-4;
  }
  return bad;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "check") == 0) return check();
  long size = argc > 1 ? atol(argv[1]) : 224, batch = argc > 2 ? atol(argv[2]) : 16;
  int iterations = argc > 3 ? atoi(argv[3]) : 4;
  long threads = argc > 4 ? atol(argv[4]) : 2;
  transient = getenv("TRANSIENT") != NULL;
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
  float *a = malloc(most * 4), *b = malloc(most * 4), *t1 = malloc(most * 4), *t2 = malloc(most * 4);
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
  printf("nhwc%s forward %ld×%ld batch %ld: %.1f img/s (best %.1f), %.0f GFLOP/s\n",
         transient ? " transient" : "", size, size, batch, batch * iterations / total, batch / best,
         flops / best / 1e9);
  return 0;
}
