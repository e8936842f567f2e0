// The CPU's register-only peak: 12 independent chains of 512-bit FMA (`vfmadd231ps`, 32 FLOP
// each) and of `vdpbf16ps` (64 FLOP each), a million rounds, no memory. What the ceiling
// arguments in docs/BENCHMARKS.md divide by (session 16: 115 and 232 GFLOP/s a core on AMD Zen 4).
//
// Build and run from the repository root (one process per core to see both at once):
//   clang -O2 scripts/bench/peak_flops.c -o /tmp/peak_flops && /tmp/peak_flops
//   /tmp/peak_flops & /tmp/peak_flops; wait
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define CHAINS(OP)                                                                              \
  OP " %%zmm16, %%zmm17, %%zmm0\n" OP " %%zmm16, %%zmm17, %%zmm1\n" OP                         \
     " %%zmm16, %%zmm17, %%zmm2\n" OP " %%zmm16, %%zmm17, %%zmm3\n" OP                          \
     " %%zmm16, %%zmm17, %%zmm4\n" OP " %%zmm16, %%zmm17, %%zmm5\n" OP                          \
     " %%zmm16, %%zmm17, %%zmm6\n" OP " %%zmm16, %%zmm17, %%zmm7\n" OP                          \
     " %%zmm16, %%zmm17, %%zmm8\n" OP " %%zmm16, %%zmm17, %%zmm9\n" OP                          \
     " %%zmm16, %%zmm17, %%zmm10\n" OP " %%zmm16, %%zmm17, %%zmm11\n"
#define LOOP(OP)                                                                                \
  __asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n"                                        \
                   "vpxord %%zmm17, %%zmm17, %%zmm17\n"                                        \
                   "mov %0, %%ecx\n"                                                           \
                   "1:\n" CHAINS(OP) "dec %%ecx\n"                                            \
                   "jnz 1b\n"                                                                  \
                   :                                                                           \
                   : "r"(ROUNDS)                                                               \
                   : "ecx", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",     \
                     "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm16", "xmm17")
#define ROUNDS 1000000

__attribute__((target("avx512f,avx512bf16"))) int main(void) {
  for (int trial = 0; trial < 3; trial++) {
    double a = now();
    LOOP("vfmadd231ps");
    double b = now();
    LOOP("vdpbf16ps");
    double c = now();
    printf("fp32 FMA %.1f GFLOP/s, bf16 vdpbf16ps %.1f GFLOP/s (one core)\n",
           12.0 * ROUNDS * 32 / (b - a) / 1e9, 12.0 * ROUNDS * 64 / (c - b) / 1e9);
  }
  return 0;
}
