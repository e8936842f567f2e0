/// The one Fisher–Yates shuffle of classify's data pipeline (epoch orders, head-training orders,
/// colour-jitter orders): a fixed algorithm over `SeededGenerator`, so a seed gives the same
/// order on every platform (the standard library's `shuffle(using:)` promises no algorithm).
extension SeededGenerator {
  /// Shuffles `values` in place: for `i` from the end down to 1, swap `i` with a uniform draw
  /// from `0...i` (`next(upperBound:)`).
  public mutating func shuffle<Element>(_ values: inout [Element]) {
    guard values.count > 1 else { return }
    for index in stride(from: values.count - 1, to: 0, by: -1) {
      values.swapAt(index, Int(next(upperBound: UInt64(index + 1))))
    }
  }

  /// `0..<count` in a shuffled order.
  public mutating func permutation(_ count: Int) -> [Int] {
    var order = Array(0..<max(count, 0))
    shuffle(&order)
    return order
  }
}
