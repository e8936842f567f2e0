import Checkpoints
import Foundation
import TensorCore
import TestSupport
import Testing

@testable import NN

@Suite("Safetensors: seeded mutation fuzzing")
struct SafetensorsFuzzTests {
  @Test("mutated safetensors files parse and decode, or throw SafetensorsError")
  func mutants() throws {
    let iterations = ByteMutator.iterations
    // The seed: a small file with several dtypes' worth of structure, written by our encoder.
    let seed = [UInt8](
      try SafetensorsFile.encode(
        ["a": .zeros([2, 3]), "b": Tensor([1, 2, 3]), "scalar": Tensor(4)],
        metadata: ["format": "pt"]))
    var mutator = ByteMutator(seed: 41)
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
