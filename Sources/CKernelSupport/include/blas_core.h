#ifndef CLASSIFY_BLAS_CORE_H
#define CLASSIFY_BLAS_CORE_H

/// Debian's OpenBLAS 0.3.21 does not know CPUs newer than its table (an Intel Xeon of model 207,
/// Emerald Rapids, among them) and falls back to its SSE3 "Prescott" kernels there: 18 GFLOP/s
/// for a 1024² sgemm on one core instead of 104 with its AVX-512 "SkylakeX" ones. Where this
/// process's OpenBLAS chose kernels older than AVX2 on a CPU with AVX-512 (or AVX2 + FMA), this
/// has it choose again with SkylakeX (or Haswell) and returns the new kernels' name; NULL when
/// nothing changed (another BLAS, a good choice already, OPENBLAS_CORETYPE set by the user, or
/// a CPU without AVX2). Call it before any BLAS work, from one thread.
const char *classify_openblas_correct_core(void);

#endif
