import Dispatch
import Kernels
import TensorCore

/// Gathers the rows of the next batch on another thread while the current batch trains.
///
/// A head step on cached features is a few small GEMMs on one core; gathering 64 shuffled
/// 8 KiB rows out of a 400 MB feature matrix is memory latency the other core can absorb
/// (≈ 12 % of a head epoch when done inline). The result is the same `gatherRows`, so seeded
/// runs are unchanged. With one compute thread (`--threads 1`) it gathers inline: one thread
/// means one.
final class BatchPrefetch: @unchecked Sendable {
  private let group = DispatchGroup()
  // Written once on the background thread before `group.leave()`, read after `wait()`.
  private var rows: Tensor?

  /// Starts gathering `features[indices]`.
  init(features: Tensor, indices: [Int]) {
    guard ComputeThreads.count > 1 else {
      rows = Autograd.withoutGradient { features.gatherRows(indices) }
      return
    }
    group.enter()
    DispatchQueue.global(qos: .userInitiated).async { [self] in
      rows = Autograd.withoutGradient { features.gatherRows(indices) }
      group.leave()
    }
  }

  /// The gathered rows, waiting for them if they are not ready yet.
  func wait() -> Tensor {
    group.wait()
    // `rows` is set before `leave()`; the empty fallback is never taken.
    return rows ?? Tensor.zeros([0])
  }
}
