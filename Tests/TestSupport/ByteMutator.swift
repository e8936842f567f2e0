import Foundation
import TensorCore

/// A seeded byte mutator for the parsers' fuzz loops: flips bits, overwrites with boundary
/// values, inserts, deletes, duplicates and truncates. Driven by `SeededGenerator`, so a seed
/// gives the same mutants on every machine and a failure reproduces from its seed and iteration.
public struct ByteMutator {
  private var generator: SeededGenerator

  /// A mutator whose every mutant follows from `seed`.
  public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

  /// A number in `0..<bound` (0 for an empty range).
  public mutating func below(_ bound: Int) -> Int {
    Int(generator.next() % UInt64(max(bound, 1)))
  }

  /// `bytes` with one to five random edits.
  public mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
    var result = bytes
    for _ in 0...below(4) {
      let at = below(result.count + 1)
      switch below(6) {
      case 0 where !result.isEmpty: result[min(at, result.count - 1)] ^= 1 << UInt8(below(8))
      case 1 where !result.isEmpty:
        result[min(at, result.count - 1)] = [0, 0xFF, 0x7F, 0x80, UInt8(below(256))][below(5)]
      case 2: result.insert(contentsOf: (0...below(8)).map { _ in UInt8(below(256)) }, at: at)
      case 3 where at < result.count:
        result.removeSubrange(at..<min(result.count, at + below(16) + 1))
      case 4 where at < result.count:
        result.insert(contentsOf: result[at..<min(result.count, at + below(32) + 1)], at: at)
      default: result = Array(result.prefix(at))
      }
    }
    return result
  }

  /// Mutants per seed file: `CLASSIFY_FUZZ_ITERATIONS` (default 300; raise it to fuzz longer).
  public static let iterations =
    ProcessInfo.processInfo.environment["CLASSIFY_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 300

  /// A seed derived from a file name (stable across runs, distinct per seed file).
  public static func seed(_ name: String, base: UInt64) -> UInt64 {
    base ^ name.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) }
  }
}
