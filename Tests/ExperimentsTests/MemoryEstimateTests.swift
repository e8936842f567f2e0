import Foundation
import Testing

@testable import Experiments

/// Size options once had no upper bound and aborted inside the allocator.
@Suite("Memory estimate before allocating")
struct MemoryEstimateTests {
  let gigabyte = 1e9

  @Test("the assignment's configuration on CIFAR-10 fits in a few GB")
  func assignment() throws {
    let estimate = MemoryEstimate(FineTuneConfiguration(), classCount: 10, rows: 60_000)
    // Hand count: features 60,000 × 2048 × 4 B × 2 = 0.98 GB; weights 23.5 M × 4 B × 2 = 0.19 GB.
    #expect(estimate.total > 1.1 * gigabyte && estimate.total < 3 * gigabyte)
    try estimate.check(available: 24 * gigabyte)
  }

  @Test("a huge head, input size or width is refused with the option to change")
  func refused() throws {
    var head = FineTuneConfiguration()
    head.head = "1000000000"
    var resize = FineTuneConfiguration()
    resize.resize = 100_000
    var width = FineTuneConfiguration()
    width.weights = "random"
    width.baseWidth = 100_000
    for configuration in [head, resize, width] {
      let error = try #require(throws: FineTuneError.self) {
        try MemoryEstimate(configuration, classCount: 10, rows: 60_000).check(
          available: 24 * gigabyte)
      }
      #expect(error.description.contains("--head") && error.description.contains("24.0 GB"))
    }
    // 1e9 × 2048 weights × 4 B × 3 (weights, gradients, momentum) ≈ 24.6 TB.
    let estimate = MemoryEstimate(head, classCount: 10, rows: 60_000)
    #expect(estimate.parts.first?.name == "head")
    #expect(abs(estimate.parts[0].bytes - 2.4576e13) / 2.4576e13 < 0.01)
  }
}
