// One frozen convolution on our packed GEMM, timed alone (docs/BENCHMARKS.md, session 9). Build and
// run from the repository root:
//   clang -O2 -ISources/CKernelSupport/include Sources/CKernelSupport/packed_gemm.c \
//     Sources/CKernelSupport/cpu_features.c Sources/CKernelSupport/compute_pool.c \
//     scripts/bench/conv_harness.c -o /tmp/conv_harness -lpthread -lm
//   /tmp/conv_harness CIN COUT SIZE KERNEL STRIDE IMAGES REPETITIONS THREADS
// e.g. `/tmp/conv_harness 64 64 56 3 1 4 20 1` (ResNet-50's 3×3 on 56×56, 4 images, one thread).
// COLD=1 flushes the input and output from the caches before each repetition. Two builds run at
// once with `taskset -c 0` and `taskset -c 1` (swapped each round) give a paired A/B on this
// noisy host.
#include "packed_gemm.h"

#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void flush(const void *p, long bytes) {
  const char *c = p;
  for (long i = 0; i < bytes; i += 64) _mm_clflush(c + i);
  _mm_mfence();
}

int main(int argc, char **argv) {
  if (argc < 9) {
    fprintf(stderr, "usage: conv_harness CIN COUT SIZE KERNEL STRIDE IMAGES REPETITIONS THREADS\n");
    return 64;
  }
  long ci = atol(argv[1]), co = atol(argv[2]), hw = atol(argv[3]), ks = atol(argv[4]);
  long st = atol(argv[5]), im = atol(argv[6]), threads = atol(argv[8]);
  int reps = atoi(argv[7]);
  if (!classify_cpu_has_avx512()) {
    fprintf(stderr, "conv_harness: this CPU has no AVX-512, which the packed GEMM needs\n");
    return 1;
  }
  long pad = ks / 2, oh = (hw + 2 * pad - ks) / st + 1, k = ci * ks * ks, n = im * oh * oh;
  float *a = malloc(co * k * 4), *x = malloc(ci * im * hw * hw * 4), *c = malloc(co * n * 4);
  for (long i = 0; i < co * k; i++) a[i] = ((i * 7) % 13) * 0.1f - 0.6f;
  for (long i = 0; i < ci * im * hw * hw; i++) x[i] = ((i * 5) % 11) * 0.1f - 0.5f;
  classify_conv_input input = {x, im, hw, hw, oh, oh, ks, ks, st, st, 1, 1, pad, pad};
  double flops = 2.0 * co * k * n / 1e9, best = 1e9, sum = 0;
  int cold = getenv("COLD") != NULL;
  for (int r = 0; r < reps; r++) {
    if (cold) {
      flush(x, ci * im * hw * hw * 4);
      flush(c, co * n * 4);
    }
    double t = now();
    classify_packed_gemm_conv((const uint32_t *)a, CLASSIFY_FORMAT_FP32_ROWS, co, k, &input, c, n,
                              NULL, threads);
    t = now() - t;
    sum += t;
    if (t < best) best = t;
  }
  printf("conv %ld→%ld %ld×%ld k%ld s%ld ×%ld (GEMM %ld×%ld×%ld): best %.1f, mean %.1f GFLOP/s\n", ci,
         co, hw, hw, ks, st, im, co, k, n, flops / best, flops * reps / sum);
  return 0;
}
