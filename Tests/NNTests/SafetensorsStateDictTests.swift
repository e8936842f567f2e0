import Checkpoints
import Foundation
import TestSupport
import Testing

@testable import NN
@testable import TensorCore

/// A layer with a parameter, a buffer and a child, to exercise every kind of state-dict key.
private final class Stateful: Layer {
  let scale = Parameter(Tensor([1, 2]))
  let count = Buffer(Tensor(0))
  let inner = Linear(weight: Tensor([[1, 2], [3, 4]]), bias: Tensor([5, 6]))
  var isTraining = true
  var ownParameters: [(String, Parameter)] { [("scale", scale)] }
  var ownBuffers: [(String, Buffer)] { [("num_batches_tracked", count)] }
  var children: [(String, any Layer)] { [("fc", inner)] }
  func callAsFunction(_ input: Tensor) -> Tensor { inner(input) }
}

@Suite("Safetensors: state dicts, save and load")
struct SafetensorsStateDictTests {
  @Test("stateDict has every parameter and buffer under its dotted key")
  func stateDict() {
    let state = Stateful().stateDict()
    #expect(Set(state.keys) == ["scale", "num_batches_tracked", "fc.weight", "fc.bias"])
    #expect(state["fc.weight"]?.scalars == [1, 2, 3, 4])
    #expect(state["num_batches_tracked"]?.shape == [])
  }

  @Test("loadStateDict copies values into parameters and buffers")
  func load() throws {
    let layer = Stateful()
    try layer.loadStateDict([
      "scale": Tensor([7, 8]), "num_batches_tracked": Tensor(3),
      "fc.weight": Tensor([[0, 1], [1, 0]]), "fc.bias": Tensor([-1, -2]),
    ])
    #expect(layer.scale.value.scalars == [7, 8])
    #expect(layer.count.value.scalars == [3])
    #expect(layer.inner.weight.value.scalars == [0, 1, 1, 0])
    #expect(layer.inner.bias?.value.scalars == [-1, -2])
  }

  @Test("all missing keys, unexpected keys and shape mismatches in one error; nothing changed")
  func allProblemsAtOnce() {
    let layer = Stateful()
    let state: [String: Tensor] = [
      "scale": Tensor([1, 2, 3]), "fc.weight": Tensor([[0, 1], [1, 0]]),
      "num_batches_tracked": Tensor([1, 2]),
      "fc.extra": Tensor(1), "head.weight": Tensor(2),
    ]
    let error = #expect(throws: StateDictError.self) {
      try layer.loadStateDict(state, source: "ckpt.safetensors")
    }
    #expect(error?.missingKeys == ["fc.bias"])
    #expect(error?.unexpectedKeys == ["fc.extra", "head.weight"])
    #expect(
      error?.shapeMismatches == [
        .init(key: "num_batches_tracked", expected: [], actual: [2]),
        .init(key: "scale", expected: [2], actual: [3]),
      ])
    let text = error?.description ?? ""
    #expect(text.hasPrefix("ckpt.safetensors: "))
    for fragment in [
      "fc.bias", "fc.extra", "head.weight", "'scale': model expects shape [2]",
    ] {
      #expect(text.contains(fragment), "\(fragment)")
    }
    // The fix is one a CLI user can make, not an API flag.
    #expect(!text.contains("strict"))
    // Atomic: the matching fc.weight was not copied either.
    #expect(layer.inner.weight.value.scalars == [1, 2, 3, 4])
  }

  @Test("strict: false ignores missing and unexpected keys but not shape mismatches")
  func nonStrict() throws {
    let layer = Stateful()
    try layer.loadStateDict(["fc.bias": Tensor([9, 9]), "other": Tensor(0)], strict: false)
    #expect(layer.inner.bias?.value.scalars == [9, 9])
    #expect(layer.scale.value.scalars == [1, 2])
    #expect(throws: StateDictError.self) {
      try layer.loadStateDict(["scale": Tensor([1])], strict: false)
    }
  }

  @Test("save(to:) then load(from:) restores another layer's state; errors name the file")
  func saveLoad() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-sd-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    let source = Stateful()
    source.scale.assign([-1, -2])
    source.count.value = Tensor(12)
    try source.save(to: url, metadata: ["epoch": "3"])
    #expect(try SafetensorsFile.read(from: url).metadata == ["epoch": "3"])

    let target = Stateful()
    try target.load(from: url)
    #expect(target.scale.value.scalars == [-1, -2])
    #expect(target.count.value.scalars == [12])
    #expect(target.stateDict().mapValues(\.scalars) == source.stateDict().mapValues(\.scalars))

    let wrong = Linear(weight: Tensor([[1, 2, 3]]), bias: nil)
    let error = #expect(throws: StateDictError.self) { try wrong.load(from: url) }
    #expect(error?.source == url.path)
    #expect(error?.missingKeys == ["weight"])
    #expect(error?.unexpectedKeys == ["fc.bias", "fc.weight", "num_batches_tracked", "scale"])
  }
}
