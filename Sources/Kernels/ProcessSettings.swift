import CKernelSupport
import Foundation

#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

/// The process-wide settings numeric work wants, applied by one explicit call: the classify CLI
/// and the Benchmarks make it before any work; a program that only links the library keeps its
/// own settings unless it makes it too.
public enum ProcessSettings {
  /// Sets, for the whole process:
  /// - the compute pool's thread count (`threads`, at least 1; nil: every active core);
  /// - OpenBLAS single-threaded: `BLAS.sgemm` splits large products over the compute pool
  ///   instead, because OpenBLAS's workers spin in `sched_yield` for a while after every call
  ///   and then compete with our element-wise kernels for the cores (15 % of a ResNet training
  ///   step went there);
  /// - OpenBLAS's AVX-512 (or AVX2) kernels where its CPU table is too old for this CPU and it
  ///   chose SSE3 ones (`classify_openblas_correct_core`: training ran 2× slower than PyTorch on
  ///   an Emerald Rapids Xeon until this);
  /// - the glibc allocator thresholds of `MemoryPolicy` (unless the user set `MALLOC_*_` or
  ///   `GLIBC_TUNABLES`).
  ///
  /// Call it before any numeric work; calling it again changes only the thread count.
  public static func applyForThisProcess(threads: Int? = nil) {
    #if !canImport(Accelerate)
      _ = classify_openblas_correct_core()
      openblas_set_num_threads(1)
    #endif
    MemoryPolicy.apply()
    ComputeThreads.set(threads ?? ProcessInfo.processInfo.activeProcessorCount)
  }

  /// The name of the kernels OpenBLAS runs ("SkylakeX", "Haswell", "Zen", …), nil under
  /// Accelerate.
  public static var blasKernels: String? {
    #if canImport(Accelerate)
      return nil
    #else
      return openblas_get_corename().map { String(cString: $0) }
    #endif
  }

  /// Whether OpenBLAS multiplies with kernels narrower than this CPU's vectors: AVX2 or older
  /// ones on an AVX-512 CPU (a preset `OPENBLAS_CORETYPE`, as on the machines these benchmarks
  /// ran on, or a CPU table older than the CPU). There the direct convolution's weight gradients
  /// beat its sgemm (session 22, Zen 5 with the Haswell preset: the training step +14–22 %); with
  /// OpenBLAS's AVX-512 kernels they do not (−5 %), so only then do they run on it. A property of
  /// the process's environment, so a run's numerics do not change from call to call.
  static var blasKernelsAreNarrowerThanCPU: Bool {
    kernels(blasKernels, areNarrowerThanAVX512: classify_cpu_has_avx512() != 0)
  }

  /// Whether OpenBLAS kernels named `kernels` (nil: not OpenBLAS) are narrower than a CPU that
  /// has AVX-512 when `cpuHasAVX512`: all but its AVX-512 ones are.
  static func kernels(_ kernels: String?, areNarrowerThanAVX512 cpuHasAVX512: Bool) -> Bool {
    guard cpuHasAVX512, let kernels = kernels?.lowercased() else { return false }
    return !["skylakex", "cooperlake", "sapphirerapids"].contains(kernels)
  }

  /// OpenBLAS's own thread count (1 under Accelerate, which this does not configure).
  static var blasThreadCount: Int {
    #if canImport(Accelerate)
      return 1
    #else
      return Int(openblas_get_num_threads())
    #endif
  }

  /// Sets OpenBLAS's own thread count (tests restore the value they found).
  static func setBLASThreadCount(_ count: Int) {
    #if !canImport(Accelerate)
      openblas_set_num_threads(Int32(count))
    #endif
  }
}
