// What this CPU runs, and which bf16 GEMM form is faster on it. See direct_conv.h.
#include "direct_conv.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <time.h>

/// 0: none, 1: AVX-512 F + BW, 2: and AVX512-BF16.
static int cpu_level(void) {
  static int cached = -1;
  if (cached >= 0) return cached;
  unsigned eax, ebx, ecx, edx;
  int level = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 27))) {  // OSXSAVE
    unsigned low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    // XMM, YMM, opmask, ZMM_Hi256 and Hi16_ZMM state saved by the OS.
    int os_avx512 = (low & 0xE6) == 0xE6;
    if (os_avx512 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && ((ebx >> 16) & 1) &&
        ((ebx >> 30) & 1)) {
      level = 1;
      if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && ((eax >> 5) & 1)) level = 2;
    }
  }
  cached = level;
  return level;
}

int classify_cpu_has_avx512(void) { return cpu_level() >= 1; }
int classify_cpu_has_bf16(void) { return cpu_level() >= 2; }

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18
#endif

int classify_cpu_has_amx(void) {
  static int cached = -1;
  if (cached >= 0) return cached;
  int amx = 0;
  unsigned eax, ebx, ecx, edx;
  // AMX-BF16 (bit 22) and AMX-TILE (bit 24) of CPUID.(7, 0).EDX.
  if (cpu_level() >= 2 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && ((edx >> 22) & 1) &&
      ((edx >> 24) & 1)) {
#if defined(__linux__)
    // Linux hands out the 8 KiB tile state only to a process that asks (kernel 5.16 and later);
    // without it the first tile instruction is an illegal instruction.
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0) {
      unsigned low, high;
      __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
      amx = ((low >> 17) & 3) == 3;  // XTILECFG and XTILEDATA enabled by the OS
    }
#endif
  }
  cached = amx;
  return amx;
}

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define ROUNDS 4000

// 16 independent chains of one instruction, `ROUNDS` times, in assembly: registers only at any
// optimisation level (the same loops in C kept their accumulators in memory in a debug build,
// where both instructions then ran at the speed of the stores and the choice came out wrong).
#define SIXTEEN(OP)                                                                             \
  OP " %%zmm16, %%zmm17, %%zmm0\n" OP " %%zmm16, %%zmm17, %%zmm1\n" OP                         \
     " %%zmm16, %%zmm17, %%zmm2\n" OP " %%zmm16, %%zmm17, %%zmm3\n" OP                          \
     " %%zmm16, %%zmm17, %%zmm4\n" OP " %%zmm16, %%zmm17, %%zmm5\n" OP                          \
     " %%zmm16, %%zmm17, %%zmm6\n" OP " %%zmm16, %%zmm17, %%zmm7\n" OP                          \
     " %%zmm16, %%zmm17, %%zmm8\n" OP " %%zmm16, %%zmm17, %%zmm9\n" OP                          \
     " %%zmm16, %%zmm17, %%zmm10\n" OP " %%zmm16, %%zmm17, %%zmm11\n" OP                        \
     " %%zmm16, %%zmm17, %%zmm12\n" OP " %%zmm16, %%zmm17, %%zmm13\n" OP                        \
     " %%zmm16, %%zmm17, %%zmm14\n" OP " %%zmm16, %%zmm17, %%zmm15\n"
#define TIMED_LOOP(OP)                                                                          \
  __asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n"                                        \
                   "vpxord %%zmm17, %%zmm17, %%zmm17\n"                                        \
                   "mov %0, %%ecx\n"                                                           \
                   "1:\n" SIXTEEN(OP) "dec %%ecx\n"                                           \
                   "jnz 1b\n"                                                                  \
                   :                                                                           \
                   : "r"(ROUNDS)                                                               \
                   : "ecx", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",     \
                     "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",     \
                     "xmm15", "xmm16", "xmm17")

/// Seconds for ROUNDS × 16 independent FMAs (16 multiply-adds each), registers only.
__attribute__((target("avx512f"))) static double time_fma(void) {
  double start = seconds_now();
  TIMED_LOOP("vfmadd231ps");
  return seconds_now() - start;
}

/// Seconds for ROUNDS × 16 independent `vdpbf16ps` (32 multiply-adds each), registers only.
__attribute__((target("avx512f,avx512bf16"))) static double time_dot(void) {
  double start = seconds_now();
  TIMED_LOOP("vdpbf16ps");
  return seconds_now() - start;
}

int classify_bf16_format(void) {
  static int cached = -1;
  if (cached >= 0) return cached;
  int format = CLASSIFY_FORMAT_FP32;
  if (classify_cpu_has_amx()) {
    format = CLASSIFY_FORMAT_BF16_AMX;
  } else if (cpu_level() >= 2) {
    // Best of five alternating trials each (about 2 ms in all): `vdpbf16ps` does twice an FMA's
    // multiply-adds, so it wins when it issues at least half as often. Measured 2× an FMA's
    // rate on AMD Zen 4 and 0.55× on Intel Sapphire Rapids without AMX; the threshold sits far
    // from both, so timing noise cannot flip the choice.
    double fma = 1e9, dot = 1e9;
    for (int trial = 0; trial < 5; trial++) {
      double f = time_fma(), d = time_dot();
      fma = f < fma ? f : fma;
      dot = d < dot ? d : dot;
    }
    format = 2 * fma > dot ? CLASSIFY_FORMAT_BF16_PAIRS : CLASSIFY_FORMAT_BF16_VALUES;
  } else if (cpu_level() >= 1) {
    format = CLASSIFY_FORMAT_BF16_VALUES;
  }
  cached = format;
  return format;
}

#else

int classify_cpu_has_avx512(void) { return 0; }
int classify_cpu_has_bf16(void) { return 0; }
int classify_cpu_has_amx(void) { return 0; }
int classify_bf16_format(void) { return CLASSIFY_FORMAT_FP32; }

#endif
