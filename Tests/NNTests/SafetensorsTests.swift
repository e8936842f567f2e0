import Checkpoints
import Foundation
import TestSupport
import Testing

@testable import NN
@testable import TensorCore

/// A file of `Tests/NNTests/Fixtures`, copied into the test bundle.
func safetensorsFixture(_ name: String) throws -> URL {
  try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures").appendingPathComponent(
    name)
}

@Suite("Safetensors: reading PyTorch files, writing, round trip")
struct SafetensorsTests {
  @Test("reads every dtype of a file written by safetensors.torch.save_file exactly")
  func readsPyTorchFile() throws {
    // scripts/fixtures/make_safetensors_fixtures.py:
    //   save_file({"f32": (torch.arange(6) / 4 - 0.5).reshape(2, 3),
    //              "f16": tensor([1.0, -2.5, 65504.0, 2.0**-24, -0.0, 0.1], float16),
    //              "f16_special": tensor([inf, -inf], float16),
    //              "bf16": tensor([[1.0, -3.14159], [1e38, 2.0**-130]], bfloat16),
    //              "f64": tensor([0.1, -1e300, 2.5], float64),
    //              "i64": tensor([0, -1, 2**40, -(2**62)]), "i32": tensor([7, -7], int32),
    //              "u8": tensor([0, 128, 255], uint8), "scalar": tensor(3.5), "empty": zeros(0, 3)},
    //             path, metadata={"format": "pt", "producer": "make_safetensors_fixtures.py"})
    let file = try SafetensorsFile.read(from: safetensorsFixture("pytorch_written.safetensors"))
    #expect(file.metadata == ["format": "pt", "producer": "make_safetensors_fixtures.py"])
    #expect(
      file.names == [
        "bf16", "empty", "f16", "f16_special", "f32", "f64", "i32", "i64", "scalar", "u8",
      ])

    let f32 = try file.tensor(named: "f32")
    #expect(f32.shape == [2, 3])
    #expect(f32.scalars == [-0.5, -0.25, 0, 0.25, 0.5, 0.75])

    // Half precision decodes exactly: max normal, smallest subnormal, signed zero, 0.1 rounded.
    let f16 = try file.tensor(named: "f16")
    #expect(f16.scalars == [1, -2.5, 65504, 0x1p-24, 0, 0.0999755859375])
    #expect(f16.scalars[4].sign == .minus)
    #expect(try file.tensor(named: "f16_special").scalars == [.infinity, -.infinity])
    #expect(try file.entry(named: "f16").dtype == .float16)

    // bfloat16 is the top half of a Float: π → -3.140625, 1e38 → 9.969209968386869e+37, 2^-130 stays subnormal.
    let bf16 = try file.tensor(named: "bf16")
    #expect(bf16.shape == [2, 2])
    #expect(bf16.scalars == [1, -3.140625, 9.969209968386869e+37, 0x1p-130])

    // F64 converts with Float rounding (−1e300 overflows to −∞).
    #expect(try file.tensor(named: "f64").scalars == [Float(0.1), -.infinity, 2.5])

    // Integers: exact as Int64, converted to Float for tensors.
    #expect(try file.integers(named: "i64") == [0, -1, 1 << 40, -(1 << 62)])
    #expect(try file.tensor(named: "i64").scalars == [0, -1, 0x1p40, -0x1p62])
    #expect(try file.integers(named: "i32") == [7, -7])
    #expect(try file.integers(named: "u8") == [0, 128, 255])
    #expect(try file.tensor(named: "u8").scalars == [0, 128, 255])

    let scalar = try file.tensor(named: "scalar")
    #expect(scalar.shape == [] && scalar.scalars == [3.5])
    let empty = try file.tensor(named: "empty")
    #expect(empty.shape == [0, 3] && empty.scalars.isEmpty)
    #expect(file.tensors.count == 10)
  }

  /// The tensors `swift_written_expected()` in the fixture script describes.
  static let roundTripTensors: [String: Tensor] = [
    "layer.weight": Tensor(shape: [3, 4], scalars: (0..<12).map { Float($0) * 0.5 - 3 }),
    "layer.bias": Tensor([1, -2, 3]),
    "scalar": Tensor(-7.25),
    "empty": Tensor.zeros([2, 0]),
  ]
  static let roundTripMetadata = ["note": "quote \" backslash \\ newline \n tab \t bell \u{07} ü"]

  @Test("our writer → our reader returns the same tensors and metadata")
  func roundTrip() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-st-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    try SafetensorsFile.write(Self.roundTripTensors, metadata: Self.roundTripMetadata, to: url)
    // Overwriting replaces the file atomically and leaves no temporary behind.
    try SafetensorsFile.write(Self.roundTripTensors, metadata: Self.roundTripMetadata, to: url)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])

    let file = try SafetensorsFile.read(from: url)
    #expect(file.metadata == Self.roundTripMetadata)
    #expect(Set(file.names) == Set(Self.roundTripTensors.keys))
    for (name, tensor) in Self.roundTripTensors {
      let loaded = try file.tensor(named: name)
      #expect(loaded.shape == tensor.shape, "\(name)")
      #expect(loaded.scalars == tensor.scalars, "\(name)")
      #expect(try file.entry(named: name).dtype == .float32)
    }

    // Checked by hand that PyTorch loads our output (tensors, metadata, 8-aligned header):
    //   SAFETENSORS_ROUNDTRIP_OUT=/tmp/rt.safetensors swift test --filter Safetensors
    //   /usr/bin/python3 scripts/fixtures/make_safetensors_fixtures.py --verify /tmp/rt.safetensors
    if let path = ProcessInfo.processInfo.environment["SAFETENSORS_ROUNDTRIP_OUT"] {
      try SafetensorsFile.write(
        Self.roundTripTensors, metadata: Self.roundTripMetadata, to: URL(fileURLWithPath: path))
    }
  }

  @Test("our writer's bytes equal safetensors.torch.save_file's for the same F32 tensors")
  func bytesMatchReference() throws {
    // scripts/fixtures/make_safetensors_fixtures.py: save_file(swift_written_expected()) — the
    // round-trip tensors above; header `{"__metadata__":…,"empty":…,…}` padded with spaces to 8.
    let reference = try Data(contentsOf: safetensorsFixture("pytorch_written_f32.safetensors"))
    let ours = try SafetensorsFile.encode(Self.roundTripTensors, metadata: Self.roundTripMetadata)
    #expect(ours == reference)
    let headerLength = ours.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
    #expect(headerLength % 8 == 0)
  }

  @Test("no metadata: no __metadata__ key; header still padded to 8 bytes")
  func writerWithoutMetadata() throws {
    let data = try SafetensorsFile.encode(["a": Tensor([1, 2, 3])])
    let headerLength = data.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
    let header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
    #expect(header == #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}} "#)
    #expect(data.count == 8 + headerLength + 12)
    let file = try SafetensorsFile(bytes: data)
    #expect(file.metadata.isEmpty)
    #expect(try file.tensor(named: "a").scalars == [1, 2, 3])
  }

  @Test("__metadata__ cannot be a tensor name")
  func reservedName() {
    #expect(throws: SafetensorsError(file: "<memory>", kind: .invalidName(name: "__metadata__"))) {
      try SafetensorsFile.encode(["__metadata__": Tensor([1])])
    }
  }

  @Test("lookup errors name the tensor and the file")
  func lookupErrors() throws {
    let url = try safetensorsFixture("pytorch_written.safetensors")
    let file = try SafetensorsFile.read(from: url)
    let missing = #expect(throws: SafetensorsError.self) { try file.tensor(named: "nope") }
    #expect(missing?.file == url.path)
    #expect(missing?.description.contains("no tensor named 'nope'") == true)
    #expect(missing?.description.contains(url.path) == true)
    #expect(
      throws: SafetensorsError(
        file: url.path, kind: .wrongDType(tensor: "f32", dtype: "F32", requested: "integers"))
    ) {
      try file.integers(named: "f32")
    }
  }

  @Test("a missing file or a bad directory is an error naming the path")
  func ioErrors() throws {
    let url = URL(fileURLWithPath: "/nonexistent-classify/model.safetensors")
    let readError = #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(from: url) }
    #expect(readError?.file == url.path)
    guard case .unreadable = readError?.kind else {
      Issue.record("expected .unreadable, got \(String(describing: readError))")
      return
    }
    let writeError = #expect(throws: SafetensorsError.self) {
      try SafetensorsFile.write(["a": Tensor([1])], to: url)
    }
    guard case .writeFailed = writeError?.kind else {
      Issue.record("expected .writeFailed, got \(String(describing: writeError))")
      return
    }
  }

  @Test("binary16 decoding: every pattern class against hand-computed values")
  func halfDecoding() {
    #expect(Float(halfBits: 0x3C00) == 1)
    #expect(Float(halfBits: 0xC000) == -2)
    #expect(Float(halfBits: 0x7BFF) == 65504)
    #expect(Float(halfBits: 0x0400) == 0x1p-14)  // smallest normal
    #expect(Float(halfBits: 0x03FF) == 1023 * 0x1p-24)  // largest subnormal
    #expect(Float(halfBits: 0x8001) == -0x1p-24)
    #expect(Float(halfBits: 0x7C00) == .infinity)
    #expect(Float(halfBits: 0x7E00).isNaN)
    #expect(Float(halfBits: 0x8000).sign == .minus)
  }
}
