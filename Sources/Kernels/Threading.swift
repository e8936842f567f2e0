import CKernelSupport
import Foundation

/// How many threads the kernels use: 1 until the process asks for more through
/// `ProcessSettings.applyForThisProcess(threads:)`, so that a library user's process runs on the
/// threads it chose (BLAS at its own settings) unless it opts in.
public enum ComputeThreads {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var current = 1

  /// The number of threads kernels may use.
  public static var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return current
  }

  /// Sets the thread count for kernels; values below 1 become 1. Only
  /// `ProcessSettings.applyForThisProcess(threads:)` calls it, after making BLAS single-threaded
  /// (more of our threads over a threaded BLAS would oversubscribe the cores).
  static func set(_ count: Int) {
    let value = max(1, count)
    lock.lock()
    current = value
    lock.unlock()
  }
}

/// Runs `body(range)` over `0..<count` split into contiguous chunks on up to `threads` threads;
/// runs inline when the work is too small to pay for threads.
@inline(__always)
func parallelChunks(
  _ count: Int, minimumPerThread: Int = 1 << 15, threads: Int = ComputeThreads.count,
  _ body: (Range<Int>) -> Void
) {
  let threads = min(threads, count / max(1, minimumPerThread))
  if threads <= 1 {
    body(0..<count)
    return
  }
  let chunk = (count + threads - 1) / threads
  // Each chunk writes a disjoint range of the output, so sharing the body is race-free.
  parallelFor(iterations: threads, threads: threads) { index in
    let start = index * chunk
    let end = min(count, start + chunk)
    if start < end { body(start..<end) }
  }
}

/// Runs `body(i)` for every `i` in `0..<iterations` on the compute pool (`CKernelSupport`): the
/// caller and up to `threads − 1` workers, which spin briefly between jobs so that the hundreds
/// of short kernels of a training step do not each wait for a thread to wake up (libdispatch's
/// `concurrentPerform` costs 5–20 µs a call; the pool made a ResNet-50 training step 7 % faster).
/// Nested or concurrent calls run inline. Returns when every index has run.
func parallelFor(
  iterations: Int, threads: Int = ComputeThreads.count, _ body: (Int) -> Void
) {
  if iterations <= 0 { return }
  if iterations == 1 || threads <= 1 {
    for index in 0..<iterations { body(index) }
    return
  }
  withoutActuallyEscaping(body) { escapable in
    var task = escapable
    withUnsafeMutablePointer(to: &task) { pointer in
      classify_pool_run(
        iterations, threads,
        { context, index in
          context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
        }, pointer)
    }
  }
}
