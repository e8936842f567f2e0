import TensorCore

/// One mini-batch as the network consumes it.
public struct Batch: Sendable {
  /// `[N, C, H, W]` Float32: the transformed samples, stacked in loader order.
  public let images: Tensor
  /// `[N]` class indices, `labels[i]` for `images[i]`.
  public let labels: [Int]
  /// `[N]` the source indices of the samples (for debugging and per-sample bookkeeping).
  public let indices: [Int]
  /// The epoch this batch belongs to.
  public let epoch: Int
  /// Its position within the epoch, `0..<batchCount`.
  public let position: Int

  /// Bundles a batch; `labels` and `indices` have one entry per image.
  public init(images: Tensor, labels: [Int], indices: [Int], epoch: Int, position: Int) {
    self.images = images
    self.labels = labels
    self.indices = indices
    self.epoch = epoch
    self.position = position
  }

  /// Number of samples `N`.
  public var count: Int { labels.count }
}
