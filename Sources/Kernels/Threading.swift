import Dispatch
import Foundation

#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

/// The one place that decides how many threads numeric work uses.
///
/// Read once from `CLASSIFY_THREADS` (falling back to the number of active cores) and
/// changeable with `ComputeThreads.set(_:)`, which the CLI's `--threads` calls. BLAS is told here
/// too, so no other file ever configures threading.
public enum ComputeThreads {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var current: Int = {
    let fromEnvironment = ProcessInfo.processInfo.environment["CLASSIFY_THREADS"].flatMap(Int.init)
    let count = max(1, fromEnvironment ?? ProcessInfo.processInfo.activeProcessorCount)
    applyToBLAS(count)
    return count
  }()

  /// The number of threads kernels may use.
  public static var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return current
  }

  /// Sets the thread count for kernels and for BLAS. Values below 1 become 1.
  public static func set(_ count: Int) {
    let value = max(1, count)
    lock.lock()
    current = value
    lock.unlock()
    applyToBLAS(value)
  }

  /// OpenBLAS always runs single-threaded: `BLAS.sgemm` splits large products over our own
  /// threads, so no BLAS worker spins while kernels run.
  private static func applyToBLAS(_ count: Int) {
    #if !canImport(Accelerate)
      openblas_set_num_threads(1)
    #endif
  }
}

/// Runs `body(range)` over `0..<count` split into contiguous chunks on up to
/// `ComputeThreads.count` threads; runs inline when the work is too small to pay for threads.
@inline(__always)
func parallelChunks(_ count: Int, minimumPerThread: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
  let threads = min(ComputeThreads.count, count / max(1, minimumPerThread))
  if threads <= 1 {
    body(0..<count)
    return
  }
  let chunk = (count + threads - 1) / threads
  withoutActuallyEscaping(body) { escapable in
    // Each chunk writes a disjoint range of the output, so sharing the body is race-free.
    let shared = UncheckedSendable(escapable)
    DispatchQueue.concurrentPerform(iterations: threads) { index in
      let start = index * chunk
      let end = min(count, start + chunk)
      if start < end { shared.value(start..<end) }
    }
  }
}

/// Carries a value across a concurrency boundary whose safety the kernel guarantees itself.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
