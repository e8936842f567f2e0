import CKernelSupport
import Foundation

/// How the C allocator treats the large, short-lived arrays of numeric work (glibc only).
///
/// A training step allocates and frees hundreds of activation and gradient arrays of 0.1–20 MB.
/// By default glibc serves each from a fresh `mmap` and returns it with `munmap`, so every step
/// page-faults all of them in again (≈ 10 % of a ResNet-50 training step went to the kernel).
/// Serving them from the heap (mmap threshold 32 MiB, glibc's maximum) and keeping up to
/// 512 MiB of freed memory for reuse made the step 15 % faster at the same peak memory.
/// Setting both matters: a trim threshold alone pins the mmap threshold at 128 KiB, which is
/// 30 % slower than the default. Users' own `MALLOC_*_` or `GLIBC_TUNABLES` settings win.
/// Applied by `ProcessSettings.applyForThisProcess(threads:)`, never implicitly.
public enum MemoryPolicy {
  static func apply() {
    let environment = ProcessInfo.processInfo.environment
    let userSet = environment.keys.contains {
      $0 == "GLIBC_TUNABLES" || ($0.hasPrefix("MALLOC_") && $0.hasSuffix("_"))
    }
    guard !userSet else { return }
    _ = classify_set_allocator_thresholds(32 << 20, 512 << 20)
  }

  /// Gives the pages of freed heap memory back to the system, once a large set of arrays is
  /// gone for good (a model's fp32 weights after an in-place bf16 fold): with the trim threshold
  /// above, glibc would keep them resident for reuse, and the next work would add its own pages
  /// on top of them instead of into them. A no-op off glibc.
  public static func releaseFreeMemory() { _ = classify_release_free_memory() }
}
