import Foundation
import ImageCodecs
import TensorCore

/// Turns an `ImageSource` into shuffled, augmented `[N, C, H, W]` batches, built on background
/// threads ahead of the consumer.
///
/// Equivalent in role to `torch.utils.data.DataLoader(ds, batch_size, shuffle, drop_last,
/// num_workers, prefetch_factor)` with a `transforms.Compose` applied per sample, but fully
/// reproducible:
///
/// - epoch `e`'s order is a Fisher–Yates permutation from a generator seeded with
///   `(seed, e)` (the identity when `shuffle` is off), so a run resumed at epoch `e` sees the
///   same order;
/// - sample `i` of epoch `e` is augmented with its own generator seeded with `(seed, e, i)`, so
///   a batch's content does not depend on which thread built it, on thread timing, on
///   `workerCount` or on the batch size.
///
/// `epoch(_:)` starts `workerCount` threads that each claim the next unbuilt batch; at most
/// `prefetchCount` batches exist beyond the one the consumer holds (built or being built), which
/// bounds memory to `prefetchCount + 1` batches. Batches are delivered in order.
public struct DataLoader<Source: ImageSource>: Sendable {
  /// The samples.
  public let source: Source
  /// Samples per batch `N` (the last batch may be smaller unless `dropLast`).
  public let batchSize: Int
  /// Whether each epoch visits the samples in a fresh random order.
  public let shuffle: Bool
  /// Whether to leave out a last batch smaller than `batchSize`.
  public let dropLast: Bool
  /// The seed of every epoch's order and every sample's augmentation.
  public let seed: UInt64
  /// Applied to each sample's `[C, H, W]` tensor after `Vision.toTensor`.
  public let transform: TransformPipeline
  /// Channels every image is converted to before `toTensor` (3 for RGB models).
  public let channels: Int
  /// Background threads building batches.
  public let workerCount: Int
  /// Batches built ahead of the consumer, at most.
  public let prefetchCount: Int

  /// A loader over `source`.
  ///
  /// - Throws: `DataLoaderError.invalidConfiguration` for a batch size, worker count or
  ///   prefetch count below 1, or a channel count other than 1, 3 or 4.
  public init(
    source: Source, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
    seed: UInt64 = 0, transform: TransformPipeline = TransformPipeline([]), channels: Int = 3,
    workerCount: Int = 2, prefetchCount: Int? = nil
  ) throws {
    guard batchSize >= 1 else {
      throw DataLoaderError.invalidConfiguration("batch size \(batchSize); it must be ≥ 1")
    }
    guard workerCount >= 1 else {
      throw DataLoaderError.invalidConfiguration("worker count \(workerCount); it must be ≥ 1")
    }
    let prefetch = prefetchCount ?? 2 * workerCount
    guard prefetch >= 1 else {
      throw DataLoaderError.invalidConfiguration("prefetch count \(prefetch); it must be ≥ 1")
    }
    guard [1, 3, 4].contains(channels) else {
      throw DataLoaderError.invalidConfiguration("\(channels) channels; use 1, 3 or 4")
    }
    self.source = source
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.seed = seed
    self.transform = transform
    self.channels = channels
    self.workerCount = workerCount
    self.prefetchCount = prefetch
  }

  /// Batches per epoch: `⌊count / N⌋` with `dropLast`, `⌈count / N⌉` without.
  public var batchCount: Int {
    dropLast ? source.count / batchSize : (source.count + batchSize - 1) / batchSize
  }

  /// The order in which epoch `epoch` visits the sample indices: a permutation of
  /// `0..<count`, a function of `(seed, epoch)` only.
  public func order(epoch: Int) -> [Int] {
    guard shuffle else { return Array(0..<source.count) }
    var generator = SeededGenerator(
      seed: SeededGenerator.mix(seed, UInt64(bitPattern: Int64(epoch)), 0))
    return generator.permutation(source.count)
  }

  /// The generator that augments sample `index` in epoch `epoch`.
  public func sampleGenerator(epoch: Int, index: Int) -> SeededGenerator {
    SeededGenerator(
      seed: SeededGenerator.mix(
        seed, UInt64(bitPattern: Int64(epoch)), UInt64(bitPattern: Int64(index)) &+ 1))
  }

  /// Epoch `epoch`'s batches, built on `workerCount` background threads that start now.
  ///
  /// ```swift
  /// let batches = loader.epoch(epoch)
  /// while let batch = try batches.next() { train(batch.images, batch.labels) }
  /// ```
  /// Stopping early is safe: dropping the iterator (or calling `cancel()`) stops the workers
  /// and waits for them. (Swift has no throwing `for try` over a synchronous sequence, hence
  /// `while let … = try next()`.)
  ///
  /// `startingAt` skips the first batches without building them (a resumed run continues
  /// mid-epoch with the same batches it would have seen). `visiting` replaces the epoch's order
  /// with given source indices (a shard of a split); each sample keeps the augmentation it gets
  /// in a full pass, since that depends on its index, not its position.
  public func epoch(_ epoch: Int, startingAt start: Int = 0, visiting: [Int]? = nil)
    -> EpochBatches
  {
    let order = visiting ?? order(epoch: epoch)
    let batchCount =
      dropLast ? order.count / batchSize : (order.count + batchSize - 1) / batchSize
    let first = Swift.max(0, Swift.min(start, batchCount))
    let queue = PrefetchQueue(batchCount: batchCount, capacity: prefetchCount, start: first)
    let loader = self
    for _ in 0..<Swift.min(workerCount, batchCount - first) {
      queue.workerStarted()
      let thread = Thread {
        queue.runWorker { position in
          try loader.makeBatch(epoch: epoch, position: position, order: order) {
            queue.isCancelled
          }
        }
      }
      thread.name = "classify.DataLoader"
      thread.start()
    }
    return EpochBatches(queue: queue)
  }

  /// Builds batch `position` of epoch `epoch` on the calling thread (what each worker runs);
  /// `nil` when `isCancelled` turns true between samples.
  ///
  /// - Throws: `DataLoaderError.sampleFailed` wrapping an error from `image(at:)` or a
  ///   transform, or `.inconsistentShape` when samples transform to different shapes.
  public func makeBatch(
    epoch: Int, position: Int, order: [Int], isCancelled: () -> Bool = { false }
  ) throws -> Batch? {
    let start = position * batchSize
    let indices = Array(order[start..<Swift.min(start + batchSize, order.count)])
    var scalars: [Float] = []
    var sampleShape: [Int] = []
    for index in indices {
      if isCancelled() { return nil }
      let tensor: Tensor
      do {
        var image = try source.image(at: index)
        if image.channels != channels { image = image.converted(to: channels) }
        var generator = sampleGenerator(epoch: epoch, index: index)
        tensor = try transform.apply(Vision.toTensor(image), generator: &generator)
      } catch {
        throw DataLoaderError.sampleFailed(index: index, underlying: error)
      }
      if sampleShape.isEmpty {
        sampleShape = tensor.shape
        scalars.reserveCapacity(indices.count * tensor.count)
      } else if tensor.shape != sampleShape {
        throw DataLoaderError.inconsistentShape(
          index: index, shape: tensor.shape, expected: sampleShape)
      }
      scalars.append(contentsOf: tensor.scalars)
    }
    return Batch(
      images: Tensor(shape: [indices.count] + sampleShape, scalars: scalars),
      labels: indices.map { source.label(at: $0) }, indices: indices, epoch: epoch,
      position: position)
  }
}

/// Why the loader could not deliver a batch.
public enum DataLoaderError: Error, CustomStringConvertible {
  /// A constructor argument is out of range.
  case invalidConfiguration(String)
  /// Reading or transforming sample `index` threw `underlying`.
  case sampleFailed(index: Int, underlying: any Error)
  /// Sample `index` transformed to `shape`, unlike the batch's earlier samples' `expected`.
  case inconsistentShape(index: Int, shape: [Int], expected: [Int])

  /// What happened, to which sample, and the fix.
  public var description: String {
    switch self {
    case .invalidConfiguration(let detail): "data loader: \(detail)"
    case .sampleFailed(let index, let underlying): "sample \(index): \(underlying)"
    case .inconsistentShape(let index, let shape, let expected):
      "sample \(index) is \(shape) after the transforms but earlier samples of its batch are "
        + "\(expected); add a crop or resize (e.g. --augment center:224) so all samples match"
    }
  }
}
