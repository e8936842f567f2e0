import CKernelSupport
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
    keepBLASSingleThreaded()
    MemoryPolicy.apply()
    return count
  }()

  /// The number of threads kernels may use.
  public static var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return current
  }

  /// Sets the thread count for kernels, large GEMM splits included. Values below 1 become 1.
  public static func set(_ count: Int) {
    let value = max(1, count)
    lock.lock()
    current = value
    lock.unlock()
  }

  /// OpenBLAS always runs single-threaded: `BLAS.sgemm` splits large products over our own
  /// threads instead, because OpenBLAS's workers spin in `sched_yield` for a while after every
  /// call and then compete with our element-wise kernels for the cores (15 % of a ResNet
  /// training step went there).
  private static func keepBLASSingleThreaded() {
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
  // Each chunk writes a disjoint range of the output, so sharing the body is race-free.
  parallelFor(iterations: threads) { index in
    let start = index * chunk
    let end = min(count, start + chunk)
    if start < end { body(start..<end) }
  }
}

/// Runs `body(i)` for every `i` in `0..<iterations` on the compute pool (`CKernelSupport`): the
/// caller and up to `ComputeThreads.count − 1` workers, which spin briefly between jobs so that
/// the hundreds of short kernels of a training step do not each wait for a thread to wake up
/// (libdispatch's `concurrentPerform` costs 5–20 µs a call). Nested or concurrent calls run
/// inline. Returns when every index has run.
func parallelFor(iterations: Int, _ body: (Int) -> Void) {
  if iterations <= 0 { return }
  if iterations == 1 || ComputeThreads.count <= 1 {
    for index in 0..<iterations { body(index) }
    return
  }
  if useDispatch {
    withoutActuallyEscaping(body) { escapable in
      let shared = UncheckedSendable(escapable)
      DispatchQueue.concurrentPerform(iterations: iterations) { shared.value($0) }
    }
    return
  }
  withoutActuallyEscaping(body) { escapable in
    var task = escapable
    withUnsafeMutablePointer(to: &task) { pointer in
      classify_pool_run(
        iterations, ComputeThreads.count,
        { context, index in
          context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
        }, pointer)
    }
  }
}

/// `CLASSIFY_DISPATCH=1` runs parallel kernels on libdispatch instead of the compute pool, for
/// A/B measurements (the pool made a ResNet-50 training step 7 % faster).
private let useDispatch = ProcessInfo.processInfo.environment["CLASSIFY_DISPATCH"] != nil

/// Carries a value across a concurrency boundary whose safety the kernel guarantees itself.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
