import Foundation
import ImageCodecs
import TensorCore
import TestSupport
import Testing

@testable import Vision

/// A synthetic source: image `i` is `height × width` RGB with sample `(i·7 + y·3 + x + c) mod 256`,
/// label `i mod 10`; optionally slow, optionally failing at one index; counts its reads and
/// remembers which samples were read.
final class SyntheticSource: ImageSource, @unchecked Sendable {
  // @unchecked: `reads` and `readIndices` are guarded by `condition`; the rest is immutable.
  let count: Int
  let height: Int
  let width: Int
  let delay: TimeInterval
  let failingIndex: Int?
  private let condition = NSCondition()
  private var reads = 0
  private var readIndices = Set<Int>()

  init(
    count: Int, height: Int = 6, width: Int = 5, delay: TimeInterval = 0, failingIndex: Int? = nil
  ) {
    self.count = count
    self.height = height
    self.width = width
    self.delay = delay
    self.failingIndex = failingIndex
  }

  struct Failure: Error, CustomStringConvertible {
    let index: Int
    var description: String { "synthetic failure at \(index)" }
  }

  var readCount: Int {
    condition.lock()
    defer { condition.unlock() }
    return reads
  }

  /// Waits until every sample in `indices` has been read; false if that has not happened by
  /// `deadline` (a guard against hanging on a broken loader, not a measurement).
  func waitForReads(of indices: Range<Int>, deadline: Date) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while !indices.allSatisfy(readIndices.contains) {
      if !condition.wait(until: deadline) { return indices.allSatisfy(readIndices.contains) }
    }
    return true
  }

  func image(at index: Int) throws -> Image {
    condition.lock()
    reads += 1
    readIndices.insert(index)
    condition.broadcast()
    condition.unlock()
    if delay > 0 { Thread.sleep(forTimeInterval: delay) }
    if index == failingIndex { throw Failure(index: index) }
    var pixels = [UInt8](repeating: 0, count: height * width * 3)
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<3 {
          pixels[(y * width + x) * 3 + c] = UInt8((index * 7 + y * 3 + x + c) % 256)
        }
      }
    }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
  }

  func label(at index: Int) -> Int { index % 10 }
}

/// Every batch of `epoch`, in order.
func allBatches<S>(_ loader: DataLoader<S>, epoch: Int) throws -> [Batch] {
  let batches = loader.epoch(epoch)
  var result: [Batch] = []
  while let batch = try batches.next() { result.append(batch) }
  return result
}

@Suite("DataLoader")
struct DataLoaderTests {
  let augment = "crop:5:pad1:reflect,flip,jitter:0.3:0.3:0.3,blur:3"

  @Test("batches are the stacked toTensor images, in order, with their labels")
  func content() throws {
    let source = SyntheticSource(count: 7)
    let loader = try DataLoader(source: source, batchSize: 3, shuffle: false)
    let batches = try allBatches(loader, epoch: 0)
    #expect(batches.map(\.count) == [3, 3, 1])
    #expect(batches.map(\.position) == [0, 1, 2])
    #expect(batches[1].images.shape == [3, 3, 6, 5])
    #expect(batches[1].labels == [3, 4, 5])
    #expect(batches[1].indices == [3, 4, 5])
    let expected = Tensor.concatenate(
      try (3...5).map { Vision.toTensor(try source.image(at: $0)).reshaped(to: [1, 3, 6, 5]) })
    #expect(batches[1].images.scalars == expected.scalars)
  }

  @Test("the same seed gives identical batches for any worker and prefetch count")
  func determinism() throws {
    let source = SyntheticSource(count: 23)
    let pipeline = try TransformPipeline.parse(augment)
    func run(workers: Int, prefetch: Int) throws -> [Batch] {
      try allBatches(
        try DataLoader(
          source: source, batchSize: 4, seed: 17, transform: pipeline, workerCount: workers,
          prefetchCount: prefetch), epoch: 3)
    }
    let reference = try run(workers: 1, prefetch: 1)
    #expect(reference.count == 6)
    for (workers, prefetch) in [(2, 2), (3, 5), (4, 1)] {
      let other = try run(workers: workers, prefetch: prefetch)
      #expect(other.map(\.images) == reference.map(\.images))
      #expect(other.map(\.labels) == reference.map(\.labels))
    }
    // Another seed changes both the order and the augmentation.
    let reseeded = try allBatches(
      try DataLoader(source: source, batchSize: 4, seed: 18, transform: pipeline), epoch: 3)
    #expect(reseeded.map(\.indices) != reference.map(\.indices))
  }

  @Test("a sample's augmentation depends on (seed, epoch, index), not on its batch")
  func perSampleSeeds() throws {
    let source = SyntheticSource(count: 12)
    let pipeline = try TransformPipeline.parse(augment)
    let small = try allBatches(
      try DataLoader(source: source, batchSize: 2, seed: 5, transform: pipeline), epoch: 1)
    let large = try allBatches(
      try DataLoader(source: source, batchSize: 5, seed: 5, transform: pipeline), epoch: 1)
    func samples(_ batches: [Batch]) -> [Int: [Float]] {
      var result: [Int: [Float]] = [:]
      for batch in batches {
        let size = batch.images.count / batch.count
        for (row, index) in batch.indices.enumerated() {
          result[index] = Array(batch.images.scalars[(row * size)..<((row + 1) * size)])
        }
      }
      return result
    }
    #expect(samples(small) == samples(large))
  }

  @Test("each epoch's order is a permutation, differs between epochs and repeats on resume")
  func shuffling() throws {
    let loader = try DataLoader(source: SyntheticSource(count: 50), batchSize: 8, seed: 2)
    let first = loader.order(epoch: 0)
    #expect(first.sorted() == Array(0..<50))
    #expect(first != Array(0..<50))
    #expect(loader.order(epoch: 1) != first)
    #expect(loader.order(epoch: 1).sorted() == Array(0..<50))
    let resumed = try DataLoader(source: SyntheticSource(count: 50), batchSize: 8, seed: 2)
    #expect(resumed.order(epoch: 1) == loader.order(epoch: 1))
    let batches = try allBatches(loader, epoch: 0)
    #expect(batches.flatMap(\.indices) == first)
    #expect(batches.flatMap(\.labels) == first.map { $0 % 10 })
  }

  @Test(
    "drop-last leaves out the short batch",
    arguments: [
      (10, 4, false, [4, 4, 2]), (10, 4, true, [4, 4]), (8, 4, true, [4, 4]), (3, 4, true, []),
    ])
  func dropLast(count: Int, batchSize: Int, dropLast: Bool, sizes: [Int]) throws {
    let loader = try DataLoader(
      source: SyntheticSource(count: count), batchSize: batchSize, dropLast: dropLast)
    #expect(loader.batchCount == sizes.count)
    #expect(try allBatches(loader, epoch: 0).map(\.count) == sizes)
  }

  @Test("stopping early cancels the workers without hanging", .timeLimit(.minutes(1)))
  func earlyStop() throws {
    let source = SyntheticSource(count: 400, delay: 0.002)
    let loader = try DataLoader(source: source, batchSize: 4, workerCount: 2, prefetchCount: 3)
    do {
      let batches = loader.epoch(0)
      _ = try batches.next()
      // Leaving the scope drops the iterator: deinit cancels and waits for the workers.
    }
    let reads = source.readCount
    Thread.sleep(forTimeInterval: 0.05)
    #expect(source.readCount == reads, "a worker kept reading after the epoch was dropped")
    #expect(reads < 400)
    // Explicit cancel: next() then returns nil.
    let batches = loader.epoch(1)
    batches.cancel()
    #expect(try batches.next() == nil)
  }

  @Test("an error in image(at:) reaches the consumer, naming the sample", .timeLimit(.minutes(1)))
  func workerError() throws {
    let source = SyntheticSource(count: 20, failingIndex: 13)
    let loader = try DataLoader(source: source, batchSize: 4, shuffle: false, workerCount: 2)
    let batches = loader.epoch(0)
    var delivered = 0
    let error = #expect(throws: DataLoaderError.self) {
      while try batches.next() != nil { delivered += 1 }
    }
    #expect(delivered == 3)
    #expect(error?.description.contains("sample 13: synthetic failure at 13") == true)
    #expect(try batches.next() == nil)
  }

  @Test("a transform that does not fit the image surfaces as an error")
  func transformError() throws {
    let loader = try DataLoader(
      source: SyntheticSource(count: 4), batchSize: 2,
      transform: try TransformPipeline.parse("crop:20"))
    #expect(throws: DataLoaderError.self) { try allBatches(loader, epoch: 0) }
  }

  @Test(
    "workers build at most prefetchCount batches ahead (bounded memory)", .timeLimit(.minutes(1)))
  func bounded() throws {
    let source = SyntheticSource(count: 200)
    let loader = try DataLoader(source: source, batchSize: 5, workerCount: 3, prefetchCount: 2)
    let batches = loader.epoch(0)
    // Wait (up to 5 s on a loaded machine) for the window to fill, then give the workers time
    // to overshoot if they would.
    func settle(at reads: Int) {
      let deadline = Date().addingTimeInterval(5)
      while source.readCount < reads && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
      Thread.sleep(forTimeInterval: 0.1)
    }
    settle(at: 10)
    #expect(source.readCount == 10)
    _ = try batches.next()
    settle(at: 15)
    #expect(source.readCount == 15)
  }

  @Test(
    "workers build batch k + 1 while the consumer still holds batch k", .timeLimit(.minutes(1)))
  func overlap() throws {
    let source = SyntheticSource(count: 32)
    let loader = try DataLoader(
      source: source, batchSize: 4, shuffle: false, workerCount: 2, prefetchCount: 2)
    let batches = loader.epoch(0)
    var positions: [Int] = []
    while let batch = try batches.next() {
      positions.append(batch.position)
      // The consumer has not asked for more: only prefetching reads the next batch's samples
      // now. Without it this waits out the deadline and fails.
      let next = (batch.position + 1) * 4
      guard next < source.count else { continue }
      #expect(
        source.waitForReads(of: next..<(next + 4), deadline: Date().addingTimeInterval(30)),
        "batch \(batch.position + 1) was not read while the consumer held \(batch.position)")
    }
    #expect(positions == Array(0..<8))
  }

  @Test("invalid settings throw")
  func configuration() {
    #expect(throws: DataLoaderError.self) {
      try DataLoader(source: SyntheticSource(count: 3), batchSize: 0)
    }
    #expect(throws: DataLoaderError.self) {
      try DataLoader(source: SyntheticSource(count: 3), batchSize: 1, workerCount: 0)
    }
  }
}

@Suite("DataLoader over datasets")
struct DataLoaderDatasetTests {
  @Test("CIFAR-10 from its python files batches straight into the loader")
  func cifarBatches() throws {
    let root = try #require(
      Bundle.module.url(forResource: "Fixtures/datasets/cifar10py", withExtension: nil))
    let train = try CIFAR.load(root: root, variant: .cifar10, split: .train)
    let loader = try DataLoader(source: train, batchSize: 4, shuffle: false, seed: 1)
    let batches = loader.epoch(0)
    let first = try #require(try batches.next())
    #expect(first.images.shape == [4, 3, 32, 32])
    #expect(first.labels == (0..<4).map { train.label(at: $0) })
    // ToTensor of the first image, pixel (0, 0) of the red channel.
    #expect(first.images.scalars[0] == Float(try train.image(at: 0)[0, 0, 0]) / 255)
  }
}
