import Checkpoints
import Foundation
import TensorCore
import Testing

@testable import NN

/// A seeded SplitMix64 byte mutator (the same as VisionTests' `ByteMutator`).
private struct Mutator {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }

  mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
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
}

@Suite("Safetensors: seeded mutation fuzzing")
struct SafetensorsFuzzTests {
  @Test("mutated safetensors files parse and decode, or throw SafetensorsError")
  func mutants() throws {
    let iterations =
      ProcessInfo.processInfo.environment["CLASSIFY_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 300
    // The seed: a small file with several dtypes' worth of structure, written by our encoder.
    let seed = [UInt8](
      try SafetensorsFile.encode(
        ["a": .zeros([2, 3]), "b": Tensor([1, 2, 3]), "scalar": Tensor(4)],
        metadata: ["format": "pt"]))
    var mutator = Mutator(state: 41)
    for iteration in 0..<iterations {
      let mutant = mutator.mutate(seed)
      do {
        let file = try SafetensorsFile(bytes: Data(mutant))
        for (name, entry) in file.entries {
          let tensor = try file.tensor(named: name)
          #expect(tensor.shape == entry.shape)
        }
      } catch is SafetensorsError {
        continue
      } catch {
        Issue.record("iteration \(iteration): untyped error \(error)")
      }
    }
  }
}
