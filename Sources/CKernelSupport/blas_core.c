// OpenBLAS's kernel choice, corrected where its CPU table is older than the CPU. See
// blas_core.h.
#include "blas_core.h"

#include "direct_conv.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

/// AVX2 and FMA, and the operating system saves the YMM registers.
static int cpu_has_avx2_fma(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1;
  if (!fma || !osxsave) return 0;
  unsigned low, high;
  __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  if ((low & 0x6) != 0x6) return 0;
  return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && ((ebx >> 5) & 1);
}
#endif

/// Kernel sets older than AVX2 (OpenBLAS's names, as `openblas_get_corename` returns them).
static int is_pre_avx2(const char *core) {
  static const char *const old[] = {"katmai",  "coppermine", "northwood", "prescott",
                                    "banias",  "atom",       "core2",     "penryn",
                                    "dunnington", "nehalem", "sandybridge", "unknown"};
  for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
    if (strcasecmp(core, old[i]) == 0) return 1;
  }
  return 0;
}

const char *classify_openblas_correct_core(void) {
#if defined(__x86_64__)
  // Only OpenBLAS built with DYNAMIC_ARCH has these; any other BLAS is left alone.
  char *(*corename)(void) = (char *(*)(void))dlsym(RTLD_DEFAULT, "openblas_get_corename");
  void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
  void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
  if (corename == NULL || quit == NULL || init == NULL) return NULL;
  if (getenv("OPENBLAS_CORETYPE") != NULL) return NULL;  // the user chose
  const char *current = corename();
  if (current == NULL || !is_pre_avx2(current)) return NULL;
  const char *target = classify_cpu_has_avx512() ? "SkylakeX" : cpu_has_avx2_fma() ? "Haswell"
                                                                                    : NULL;
  if (target == NULL) return NULL;
  // OpenBLAS picks its kernels once, when it is loaded; gotoblas_dynamic_init picks again,
  // reading OPENBLAS_CORETYPE, once gotoblas_dynamic_quit has cleared the choice. The variable
  // is removed again so that child processes choose for themselves.
  if (setenv("OPENBLAS_CORETYPE", target, 1) != 0) return NULL;
  quit();
  init();
  unsetenv("OPENBLAS_CORETYPE");
  return corename();
#else
  return NULL;
#endif
}
