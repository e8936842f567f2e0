import Foundation
import Testing

@testable import Kernels

/// Counts per index, safe to bump from several threads.
private final class Tally: @unchecked Sendable {
  private let lock = NSLock()
  private var counts: [Int]
  init(_ count: Int) { counts = [Int](repeating: 0, count: count) }
  func bump(_ index: Int) {
    lock.lock()
    counts[index] += 1
    lock.unlock()
  }
  var values: [Int] {
    lock.lock()
    defer { lock.unlock() }
    return counts
  }
}

@Suite("Compute pool")
struct ComputePoolTests {
  @Test("every index runs exactly once, for job sizes around the thread count")
  func eachIndexOnce() {
    for iterations in [1, 2, 3, 7, 1000] {
      for _ in 0..<50 {
        let tally = Tally(iterations)
        parallelFor(iterations: iterations, threads: 3) { tally.bump($0) }
        #expect(tally.values == [Int](repeating: 1, count: iterations), "\(iterations) iterations")
      }
    }
  }

  @Test("a call from inside a task, and calls from several threads at once, complete")
  func nestedAndConcurrent() {
    let nested = Tally(16)
    parallelFor(iterations: 4, threads: 2) { outer in
      parallelFor(iterations: 4, threads: 2) { inner in nested.bump(outer * 4 + inner) }
    }
    #expect(nested.values == [Int](repeating: 1, count: 16))
    let concurrent = Tally(8 * 64)
    DispatchQueue.concurrentPerform(iterations: 8) { caller in
      for _ in 0..<20 {
        parallelFor(iterations: 64, threads: 2) { concurrent.bump(caller * 64 + $0) }
      }
    }
    #expect(concurrent.values == [Int](repeating: 20, count: 8 * 64))
  }

  @Test("parallel chunks cover the range without overlap")
  func chunksCover() {
    let tally = Tally(100_003)
    let chunks = Tally(1)
    parallelChunks(100_003, minimumPerThread: 1000, threads: 3) { range in
      chunks.bump(0)
      for index in range { tally.bump(index) }
    }
    #expect(tally.values.allSatisfy { $0 == 1 })
    #expect(chunks.values == [3], "one chunk per thread")
  }
}
