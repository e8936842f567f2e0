import Testing

@testable import TensorCore

/// The one Fisher–Yates shuffle behind epoch orders, head-training orders and colour jitter.
@Suite("SeededGenerator shuffle")
struct SeededGeneratorShuffleTests {
  @Test("a permutation of 0..<n, the same for the same seed, another for another seed")
  func permutation() {
    var first = SeededGenerator(seed: 7)
    var again = SeededGenerator(seed: 7)
    var other = SeededGenerator(seed: 8)
    let order = first.permutation(50)
    #expect(order.sorted() == Array(0..<50))
    #expect(again.permutation(50) == order)
    #expect(other.permutation(50) != order)
    var empty = SeededGenerator(seed: 1)
    #expect(empty.permutation(0).isEmpty && empty.permutation(1) == [0])
  }

  @Test("all six orders of three items come up about equally often (Fisher–Yates is uniform)")
  func uniform() {
    var counts: [[Int]: Int] = [:]
    var generator = SeededGenerator(seed: 2024)
    let draws = 6000
    for _ in 0..<draws { counts[generator.permutation(3), default: 0] += 1 }
    #expect(counts.count == 6)
    // Each order has probability 1/6: 1000 expected, binomial standard deviation ≈ 29; a biased
    // shuffle (e.g. swapping with any index, not 0...i) puts some orders near 1/9 or 5/27.
    #expect(counts.values.allSatisfy { (880...1120).contains($0) }, "\(counts)")
  }
}
