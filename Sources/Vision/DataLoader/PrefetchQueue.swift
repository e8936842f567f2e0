import Foundation

/// One epoch's batches, in order, built ahead by the loader's worker threads.
///
/// Use from one consumer thread: `while let batch = try batches.next() { … }`. Dropping the
/// object or calling `cancel()` stops the workers after their current sample and waits for them,
/// so no thread outlives an abandoned epoch.
public final class EpochBatches {
  private let queue: PrefetchQueue
  private var finished = false

  init(queue: PrefetchQueue) {
    self.queue = queue
  }

  deinit { queue.cancel() }

  /// Batches in the epoch.
  public var batchCount: Int { queue.batchCount }

  /// The next batch, waiting for a worker if none is ready; `nil` after the last one or after
  /// `cancel()`.
  ///
  /// - Throws: the first error a worker met building this batch (`DataLoaderError`); the epoch
  ///   is then over (later calls return `nil`) and the workers are stopped.
  public func next() throws -> Batch? {
    guard !finished else { return nil }
    switch queue.take() {
    case .none:
      finished = true
      return nil
    case .success(let batch)?:
      return batch
    case .failure(let error)?:
      finished = true
      queue.cancel()
      throw error
    }
  }

  /// Stops the workers after their current sample and waits for them; later `next()` calls
  /// return `nil`.
  public func cancel() {
    finished = true
    queue.cancel()
  }

  /// How often `next()` found its batch already built (`ready`) or had to wait (`waited`):
  /// evidence that prefetching overlaps with the consumer's work.
  public var statistics: (ready: Int, waited: Int) { queue.statistics }
}

/// The state workers and the consumer share: a bounded window of batch slots, guarded by one
/// condition variable.
///
/// `@unchecked Sendable` because every stored property is read and written only while
/// `condition` is locked (the compiler cannot see a lock's protection); the workers' threads
/// and the consumer's hold references to the same instance.
final class PrefetchQueue: @unchecked Sendable {
  let batchCount: Int
  private let capacity: Int
  private let condition = NSCondition()
  private var nextToClaim = 0
  private var nextToDeliver = 0
  private var built: [Int: Result<Batch, any Error>] = [:]
  private var cancelled = false
  private var runningWorkers = 0
  private var readyCount = 0
  private var waitedCount = 0

  init(batchCount: Int, capacity: Int, start: Int = 0) {
    self.batchCount = batchCount
    self.capacity = capacity
    self.nextToClaim = start
    self.nextToDeliver = start
  }

  private func locked<T>(_ body: () -> T) -> T {
    condition.lock()
    defer { condition.unlock() }
    return body()
  }

  var isCancelled: Bool { locked { cancelled } }

  var statistics: (ready: Int, waited: Int) { locked { (readyCount, waitedCount) } }

  /// Counts a worker before its thread starts, so `cancel()` always waits for it.
  func workerStarted() { locked { runningWorkers += 1 } }

  /// A worker's loop: claim the next batch position when the window has room, build it with
  /// `build` outside the lock (`nil` means it noticed cancellation), publish it, repeat.
  func runWorker(_ build: (Int) throws -> Batch?) {
    while let position = claim() {
      let result: Result<Batch, any Error>
      do {
        guard let batch = try build(position) else { break }
        result = .success(batch)
      } catch {
        result = .failure(error)
      }
      locked {
        built[position] = result
        condition.broadcast()
      }
    }
    locked {
      runningWorkers -= 1
      condition.broadcast()
    }
  }

  /// The next position to build, waiting while `capacity` batches are already ahead of the
  /// consumer; `nil` when the epoch is fully claimed or cancelled.
  private func claim() -> Int? {
    condition.lock()
    defer { condition.unlock() }
    while !cancelled && nextToClaim < batchCount && nextToClaim >= nextToDeliver + capacity {
      condition.wait()
    }
    guard !cancelled && nextToClaim < batchCount else { return nil }
    nextToClaim += 1
    return nextToClaim - 1
  }

  /// The next batch in order, waiting until a worker has built it; `nil` at the end or when
  /// cancelled.
  func take() -> Result<Batch, any Error>? {
    condition.lock()
    defer { condition.unlock() }
    guard !cancelled && nextToDeliver < batchCount else { return nil }
    if built[nextToDeliver] != nil { readyCount += 1 } else { waitedCount += 1 }
    while !cancelled && built[nextToDeliver] == nil { condition.wait() }
    guard !cancelled, let result = built.removeValue(forKey: nextToDeliver) else { return nil }
    nextToDeliver += 1
    condition.broadcast()
    return result
  }

  /// Stops claiming, wakes everyone and waits until every worker has returned.
  func cancel() {
    condition.lock()
    defer { condition.unlock() }
    cancelled = true
    built.removeAll()
    condition.broadcast()
    while runningWorkers > 0 { condition.wait() }
  }
}
