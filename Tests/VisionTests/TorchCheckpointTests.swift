import Checkpoints
import Foundation
import NN
import TensorCore
import Testing
import ZIPFoundation

@testable import Vision

/// `Tests/VisionTests/Fixtures/<name>` (see scripts/fixtures/make_checkpoint_fixtures.py).
private func checkpointFixture(_ name: String) throws -> URL {
  try #require(Bundle.module.resourceURL)
    .appendingPathComponent("Fixtures").appendingPathComponent(name)
}

/// The `TorchCheckpointError` that reading `url` throws, if any.
private func checkpointError(
  _ url: URL, _ read: (URL) throws -> [String: Tensor] = TorchCheckpoint.read
)
  -> TorchCheckpointError?
{
  do {
    _ = try read(url)
    return nil
  } catch {
    return error as? TorchCheckpointError
  }
}

/// A `torch.save`-shaped zip at a fresh temporary path: `archive/data.pkl` and `entries`.
private func makeArchive(pickle: [UInt8], entries: [String: [UInt8]]) throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("classify-checkpoint-\(UUID().uuidString).pth")
  let archive = try Archive(url: url, accessMode: .create)
  for (path, bytes) in [("archive/data.pkl", pickle)] + entries.sorted(by: { $0.key < $1.key }) {
    try archive.addEntry(
      with: path, type: .file, uncompressedSize: Int64(bytes.count),
      provider: { position, size in
        Data(bytes[Int(position)..<(Int(position) + size)])
      })
  }
  return url
}

/// The pickle `{key: _rebuild_tensor_v2(("storage", torch.FloatStorage, "0", "cpu", count),
/// offset, size, stride, False, {})}`, written opcode by opcode like torch.save's.
private func tensorPickle(key: String, count: UInt8, offset: UInt8, size: [UInt8], stride: [UInt8])
  -> [UInt8]
{
  func unicode(_ text: String) -> [UInt8] {
    [0x58, UInt8(text.utf8.count), 0, 0, 0] + Array(text.utf8)
  }
  var bytes: [UInt8] = [0x80, 0x02, 0x7d] + unicode(key)
  bytes += Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28, 0x28]
  bytes += unicode("storage") + Array("ctorch\nFloatStorage\n".utf8) + unicode("0") + unicode("cpu")
  bytes += [0x4b, count, 0x74, 0x51, 0x4b, offset, 0x28]
  bytes += size.flatMap { [0x4b, $0] } + [0x74, 0x28] + stride.flatMap { [0x4b, $0] } + [0x74]
  bytes += [0x89, 0x7d, 0x74, 0x52, 0x73, 0x2e]
  return bytes
}

private func floatBytes(_ values: [Float]) -> [UInt8] {
  values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) }
  }
}

@Suite("TorchCheckpoint")
struct TorchCheckpointTests {
  @Test("a torch 1.13 state dict: dtypes, scalars, shared storages, offsets and strided views")
  func stateDict() throws {
    let state = try TorchCheckpoint.read(from: try checkpointFixture("checkpoint_state_dict.pth"))
    #expect(
      state.keys.sorted() == [
        "base", "bfloat", "bn.bias", "bn.num_batches_tracked", "bn.running_mean",
        "bn.running_var", "bn.weight", "conv.weight", "double", "half", "int32", "sliced",
        "transposed", "uint8",
      ])
    // net.conv.weight.copy_(torch.arange(8.0).reshape(2, 1, 2, 2) * 0.5 - 1)
    #expect(
      state["conv.weight"]
        == Tensor(shape: [2, 1, 2, 2], scalars: [-1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5]))
    #expect(state["bn.weight"] == Tensor([1, 2]))
    #expect(state["bn.bias"] == Tensor([0.5, -0.5]))
    #expect(state["bn.running_mean"] == Tensor([0.25, -0.75]))
    #expect(state["bn.running_var"] == Tensor([1.5, 0.5]))
    // net.bn.num_batches_tracked.fill_(7): an int64 scalar
    #expect(state["bn.num_batches_tracked"] == Tensor(7))
    // torch.tensor([0.5, -2.0, 65504.0, 2.0**-24], dtype=torch.float16)
    #expect(state["half"] == Tensor([0.5, -2, 65504, 0x1p-24]))
    // torch.tensor([1.0, -3.0, 0.15625], dtype=torch.bfloat16)
    #expect(state["bfloat"] == Tensor([1, -3, 0.15625]))
    // torch.tensor([0.1, -1e-3], dtype=torch.float64), rounded to Float
    #expect(state["double"] == Tensor([Float(0.1), Float(-1e-3)]))
    #expect(state["int32"] == Tensor([-5, 6]))
    #expect(state["uint8"] == Tensor([0, 255]))
    // base = torch.arange(10.0); sliced = base[3:7] (same storage, storage_offset 3)
    #expect(state["base"] == Tensor((0..<10).map(Float.init)))
    #expect(state["sliced"] == Tensor([3, 4, 5, 6]))
    // torch.arange(6.0).reshape(2, 3).t(): stride (1, 3), comes out contiguous
    #expect(state["transposed"] == Tensor([[0, 3], [1, 4], [2, 5]]))
  }

  @Test("a checkpoint dict wrapping a DataParallel state dict is unwrapped and unprefixed")
  func wrapped() throws {
    // torch.save({"epoch": 3, "state_dict": {"module.fc.weight": …, "module.fc.bias": …}})
    let state = try TorchCheckpoint.read(from: try checkpointFixture("checkpoint_wrapped.pth"))
    #expect(state.keys.sorted() == ["fc.bias", "fc.weight"])
    #expect(state["fc.weight"] == Tensor([[1, 2], [3, 4]]))
    #expect(state["fc.bias"] == Tensor([0.5, -0.5]))
  }

  @Test("loadCheckpoint picks the format by content")
  func dispatch() throws {
    let pth = try checkpointFixture("checkpoint_wrapped.pth")
    #expect(try loadCheckpoint(from: pth) == TorchCheckpoint.read(from: pth))
    // {"a": F32 [2] = 1.5, -2}, written by hand from the format spec
    let tensors = try loadCheckpoint(from: try checkpointFixture("checkpoint_tensors.safetensors"))
    #expect(tensors == ["a": Tensor([1.5, -2])])
    let error = checkpointError(try checkpointFixture("pickle_os_system.pkl"), loadCheckpoint)
    guard case .unrecognizedFormat(let head) = error?.kind else {
      Issue.record("expected unrecognizedFormat, got \(String(describing: error))")
      return
    }
    #expect(head == [0x80, 0x02, 0x63, 0x6f, 0x73, 0x0a, 0x73, 0x79])  // "\x80\x02cos\nsy"
    #expect(
      checkpointError(try checkpointFixture("checkpoint_legacy.pth"), loadCheckpoint)?.kind
        == .legacyFormat)
  }
}

@Suite("TorchCheckpoint errors")
struct TorchCheckpointErrorTests {
  @Test("legacy format, truncated zip, no data.pkl, missing file: named, with the fix")
  func fileLevel() throws {
    let legacy = try checkpointFixture("checkpoint_legacy.pth")
    let legacyError = try #require(checkpointError(legacy))
    #expect(legacyError.kind == .legacyFormat)
    #expect(legacyError.description.hasPrefix(legacy.path))
    #expect(legacyError.description.contains("torch.save(torch.load(path), path)"))
    guard
      case .unreadableArchive = checkpointError(try checkpointFixture("checkpoint_truncated.pth"))?
        .kind
    else {
      Issue.record("a truncated zip must be reported as a damaged archive")
      return
    }
    #expect(
      checkpointError(try checkpointFixture("checkpoint_no_pickle.pth"))?.kind
        == .missingDataPickle(entries: ["archive/version"]))
    guard case .unreadable = checkpointError(URL(fileURLWithPath: "/nonexistent/model.pth"))?.kind
    else {
      Issue.record("a missing file must be reported as unreadable")
      return
    }
  }

  @Test("a missing or short storage entry names the tensor")
  func storages() throws {
    // checkpoint_wrapped.pth without `data/0` (module.fc.weight's storage)
    #expect(
      checkpointError(try checkpointFixture("checkpoint_missing_storage.pth"))?.kind
        == .missingStorage(tensor: "fc.weight", path: "checkpoint_wrapped/data/0"))
    // data/0 cut to 8 of its 16 bytes: 2 of the 4 float32 elements
    #expect(
      checkpointError(try checkpointFixture("checkpoint_short_storage.pth"))?.kind
        == .storageTooShort(tensor: "fc.weight", neededElements: 4, availableElements: 2))
  }

  @Test("a pickled module (torch.save(model)) is refused without running its class")
  func wholeModel() throws {
    let error = try #require(checkpointError(try checkpointFixture("checkpoint_whole_model.pth")))
    // pickletools.dis: `2: c GLOBAL 'torch.nn.modules.linear Linear'`
    #expect(
      error.kind
        == .pickle(
          PickleError(
            offset: 2, kind: .forbiddenGlobal(module: "torch.nn.modules.linear", name: "Linear"))))
    #expect(error.description.contains("`torch.nn.modules.linear.Linear`"))
  }

  @Test("hand-built archives: strided views honoured, out-of-range views refused")
  func handBuilt() throws {
    let storage = floatBytes([10, 11, 12, 13, 14])
    // size (2, 2), stride (1, 2), offset 1 over 10…14 → [[11, 13], [12, 14]]
    let good = try makeArchive(
      pickle: tensorPickle(key: "w", count: 5, offset: 1, size: [2, 2], stride: [1, 2]),
      entries: ["archive/data/0": storage])
    defer { try? FileManager.default.removeItem(at: good) }
    #expect(try TorchCheckpoint.read(from: good) == ["w": Tensor([[11, 13], [12, 14]])])
    // size (3,), stride (2,), offset 1 reaches element 5 of a 5-element storage
    let past = try makeArchive(
      pickle: tensorPickle(key: "w", count: 5, offset: 1, size: [3], stride: [2]),
      entries: ["archive/data/0": storage])
    defer { try? FileManager.default.removeItem(at: past) }
    #expect(
      checkpointError(past)?.kind
        == .storageTooShort(tensor: "w", neededElements: 6, availableElements: 5))
    // a stride of 2⁶³ − 1 must not overflow
    var huge = tensorPickle(key: "w", count: 5, offset: 0, size: [2], stride: [0])
    let strideAt = try #require(
      huge.indices.last { huge[$0] == 0x4b && huge[$0 + 1] == 0 && huge[$0 + 2] == 0x74 })
    huge.replaceSubrange(
      strideAt..<(strideAt + 2), with: [0x8a, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
    let overflow = try makeArchive(pickle: huge, entries: ["archive/data/0": storage])
    defer { try? FileManager.default.removeItem(at: overflow) }
    guard case .storageTooShort = checkpointError(overflow)?.kind else {
      Issue.record("an overflowing stride must be reported as out of range")
      return
    }
    // a storage whose entry holds fewer bytes than its element count
    let short = try makeArchive(
      pickle: tensorPickle(key: "w", count: 5, offset: 0, size: [5], stride: [1]),
      entries: ["archive/data/0": Array(storage.prefix(12))])
    defer { try? FileManager.default.removeItem(at: short) }
    #expect(
      checkpointError(short)?.kind
        == .storageTooShort(tensor: "w", neededElements: 5, availableElements: 3))
  }

  @Test("a dict that is not a state dict is refused with its keys")
  func notAStateDict() throws {
    // {"epoch": 3}: no tensors, no state_dict/model key
    let pickle: [UInt8] =
      [0x80, 0x02, 0x7d, 0x58, 5, 0, 0, 0] + Array("epoch".utf8) + [0x4b, 3, 0x73, 0x2e]
    let url = try makeArchive(pickle: pickle, entries: [:])
    defer { try? FileManager.default.removeItem(at: url) }
    #expect(checkpointError(url)?.kind == .notAStateDict(found: "a dict with keys epoch"))
  }
}
