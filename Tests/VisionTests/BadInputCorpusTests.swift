import Checkpoints
import Foundation
import NN
import TensorCore
import Testing
import ZIPFoundation

@testable import Vision

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// The bad-input corpus: one small file per class of defect that issue 11 found, generated here
// (each is a few bytes of header and obvious to read), each asserting a typed error that names
// the file and the problem — never a trap, a hang or gigabytes of memory.

/// A fresh temporary folder.
func badInputFolder() throws -> URL {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("classify-bad-input-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  return folder
}

/// Big-endian 32-bit words, as in an IDX header.
func idxWords(_ words: [UInt32]) -> [UInt8] {
  words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * $0)) } }
}

/// A single-member gzip file of `count` bytes produced by `chunk(offset, size)`, compressed with
/// ZIPFoundation's deflate without ever holding the inflated bytes whole.
func gzip(count: Int, chunk: (Int, Int) -> Data) throws -> [UInt8] {
  var deflated = Data()
  let crc = try Data.compress(
    size: Int64(count), bufferSize: 1 << 16,
    provider: { offset, size in chunk(Int(offset), size) },
    consumer: { deflated.append($0) })
  let size = UInt32(truncatingIfNeeded: count)
  let trailer =
    (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
    + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) }
  return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF] + [UInt8](deflated) + trailer
}

/// `bytes` gzipped.
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
  try gzip(count: bytes.count) { offset, size in Data(bytes[offset..<(offset + size)]) }
}

/// `ROOT/MNIST/raw/<name>` holding `bytes`; returns ROOT.
func mnistRoot(_ files: [String: [UInt8]]) throws -> URL {
  let root = try badInputFolder()
  let raw = root.appendingPathComponent("MNIST/raw", isDirectory: true)
  try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
  for (name, bytes) in files { try Data(bytes).write(to: raw.appendingPathComponent(name)) }
  return root
}

/// The `DatasetError` that loading MNIST's train split from `root` throws.
func mnistError(_ root: URL) -> DatasetError? {
  do {
    _ = try MNIST.load(root: root, kind: .mnist, split: .train)
    return nil
  } catch {
    return error as? DatasetError
  }
}

/// The pickle `{"w": _rebuild_tensor_v2(("storage", torch.FloatStorage, "0", "cpu", count), 0,
/// (count,), (1,), False, {})}` with 32-bit integers (BININT), as torch.save writes it.
func storagePickle(count: Int32) -> [UInt8] {
  func unicode(_ text: String) -> [UInt8] {
    [0x58, UInt8(text.utf8.count), 0, 0, 0] + Array(text.utf8)
  }
  func int(_ value: Int32) -> [UInt8] {
    [0x4A] + (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * Int32($0))) }
  }
  var bytes: [UInt8] = [0x80, 0x02, 0x7D] + unicode("w")
  bytes += Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28, 0x28]
  bytes += unicode("storage") + Array("ctorch\nFloatStorage\n".utf8) + unicode("0") + unicode("cpu")
  bytes +=
    int(count) + [0x74, 0x51] + int(0) + [0x28] + int(count) + [0x74, 0x28] + int(1) + [0x74]
  bytes += [0x89, 0x7D, 0x74, 0x52, 0x73, 0x2E]
  return bytes
}

/// 1.0 as a little-endian Float32 storage.
let oneFloat: [UInt8] = [0, 0, 0x80, 0x3F]

/// A torch.save-shaped zip, entries stored: `archive/data.pkl` and `archive/data/0`.
func storedArchive(_ name: String, pickle: [UInt8], storage: [UInt8]) throws -> URL {
  let url = try badInputFolder().appendingPathComponent(name)
  let archive = try Archive(url: url, accessMode: .create)
  for (path, bytes) in [("archive/data.pkl", pickle), ("archive/data/0", storage)] {
    try archive.addEntry(
      with: path, type: .file, uncompressedSize: Int64(bytes.count),
      provider: { position, size in Data(bytes[Int(position)..<(Int(position) + size)]) })
  }
  return url
}

/// A torch.save-shaped zip whose `archive/data/0` entry is `count` zero bytes, deflated.
func zipBomb(pickle: [UInt8], zeros count: Int) throws -> URL {
  let url = try badInputFolder().appendingPathComponent("bomb.pth")
  let archive = try Archive(url: url, accessMode: .create)
  try archive.addEntry(
    with: "archive/data.pkl", type: .file, uncompressedSize: Int64(pickle.count),
    provider: { position, size in Data(pickle[Int(position)..<(Int(position) + size)]) })
  try archive.addEntry(
    with: "archive/data/0", type: .file, uncompressedSize: Int64(count),
    compressionMethod: .deflate, provider: { _, size in Data(count: size) })
  return url
}

/// The `TorchCheckpointError` that `loadCheckpoint(from:)` throws.
func loadError(_ url: URL) -> TorchCheckpointError? {
  do {
    _ = try loadCheckpoint(from: url)
    return nil
  } catch {
    return error as? TorchCheckpointError
  }
}

@Suite("Bad-input corpus: hostile and careless files")
struct BadInputCorpusTests {
  @Test("an IDX header whose sizes overflow Int (or pass 1 GiB) is refused, not trapped")
  func idxOverflow() throws {
    for sizes: [UInt32] in [
      [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF],  // (2^32 − 1)^3 overflows Int64
      [65_536, 65_536, 65_536],  // 2^48: no overflow, but 256 TiB
      [100_000, 1_000, 1_000],
    ] {
      let root = try mnistRoot(["train-images-idx3-ubyte": idxWords([2051] + sizes) + [1, 2, 3]])
      defer { try? FileManager.default.removeItem(at: root) }
      let error = try #require(mnistError(root))
      #expect(error.problem == .tooLarge)
      #expect(error.path.hasSuffix("train-images-idx3-ubyte"))
      #expect(error.description.contains("\(MNIST.maximumIDXBytes)-byte limit"))
    }
    // The same header inside a .gz fails before inflating anything past it.
    let header = idxWords([2051, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF])
    let root = try mnistRoot(["train-images-idx3-ubyte.gz": try gzip(header + [0, 0])])
    defer { try? FileManager.default.removeItem(at: root) }
    #expect(mnistError(root)?.problem == .tooLarge)
  }

  @Test("a 0×0 or 0-count IDX image file is a clear error before any dataset is built")
  func idxEmpty() throws {
    let zeroSize = try mnistRoot(["train-images-idx3-ubyte": idxWords([2051, 2, 0, 0])])
    defer { try? FileManager.default.removeItem(at: zeroSize) }
    let error = try #require(mnistError(zeroSize))
    #expect(error.problem == .malformed)
    #expect(error.description.contains("images of size 0×0"))
    let zeroCount = try mnistRoot(["train-images-idx3-ubyte": idxWords([2051, 0, 28, 28])])
    defer { try? FileManager.default.removeItem(at: zeroCount) }
    #expect(mnistError(zeroCount)?.description.contains("0 records") == true)
    // Labels too: a label file of 0 records.
    let labels = try mnistRoot([
      "train-images-idx3-ubyte": idxWords([2051, 1, 1, 1]) + [7],
      "train-labels-idx1-ubyte": idxWords([2049, 0]),
    ])
    defer { try? FileManager.default.removeItem(at: labels) }
    let labelError = try #require(mnistError(labels))
    #expect(labelError.problem == .malformed && labelError.path.hasSuffix("labels-idx1-ubyte"))
  }

  @Test("a gzip bomb stops inflating as soon as it passes what its IDX header declares")
  func gzipBomb() throws {
    // The header declares 2 images of 28×28 (1,568 bytes); the stream inflates to 64 MiB.
    let header = idxWords([2051, 2, 28, 28])
    let total = 64 << 20
    let bomb = try gzip(count: total) { offset, size in
      offset == 0 ? Data(header) + Data(count: size - header.count) : Data(count: size)
    }
    #expect(bomb.count < 200_000)
    let root = try mnistRoot(["train-images-idx3-ubyte.gz": bomb])
    defer { try? FileManager.default.removeItem(at: root) }
    let error = try #require(mnistError(root))
    #expect(error.problem == .tooLarge)
    #expect(error.description.contains("inflates past 1584 bytes, more than its header declares"))
    // Inflation stopped after the first 64 KiB chunk, not 64 MiB later.
    #expect(error.description.contains("(stopped after \(Gzip.chunkSize))"))
  }

  @Test("a .pth whose storage entry inflates past its declared storage is refused before inflating")
  func zipBombDeclared() throws {
    // The pickle declares 4 floats (16 bytes); the entry inflates to 16 MiB.
    let url = try zipBomb(pickle: storagePickle(count: 4), zeros: 16 << 20)
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let error = try #require(loadError(url))
    guard case .corruptEntry(let path, let reason) = error.kind else {
      Issue.record("expected .corruptEntry, got \(error)")
      return
    }
    #expect(path == "archive/data/0")
    #expect(reason.contains("declares 4 float32 elements (16 bytes)"))
    #expect(error.description.contains(url.path))
  }

  @Test("a .pth storage that inflates more than 64× is a decompression bomb")
  func zipBombRatio() throws {
    // 4 Mi floats declared and present, but 16 MiB of zeros deflate to ~16 KB.
    let url = try zipBomb(pickle: storagePickle(count: 4 << 20), zeros: 16 << 20)
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let error = try #require(loadError(url))
    guard case .corruptEntry(_, let reason) = error.kind else {
      Issue.record("expected .corruptEntry, got \(error)")
      return
    }
    #expect(reason.contains("more than 64×"))
  }

  @Test("a stride on an axis of extent 1 cannot overflow the gather")
  func strideOnUnitAxis() throws {
    // size (1,), stride (2^63 − 1,): the stride is never taken.
    var pickle = storagePickle(count: 1)
    let strideAt = try #require(
      pickle.indices.last { pickle[$0] == 0x4A && pickle[$0 + 1] == 1 && pickle[$0 + 5] == 0x74 })
    pickle.replaceSubrange(
      strideAt..<(strideAt + 5), with: [0x8A, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
    let url = try storedArchive("unit.pth", pickle: pickle, storage: oneFloat)
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    #expect(try loadCheckpoint(from: url) == ["w": Tensor([1])])
  }

  @Test("a .pth whose stored storage bytes were changed fails its CRC-32, naming the entry")
  func storageCRC() throws {
    let url = try storedArchive("crc.pth", pickle: storagePickle(count: 1), storage: oneFloat)
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    #expect(try loadCheckpoint(from: url) == ["w": Tensor([1])])
    // The entry's local header (30 bytes, then its name and extra field) comes first in the
    // file; 1.0's 0x80 becomes 0x81, which the central directory's CRC does not match.
    var bytes = [UInt8](try Data(contentsOf: url))
    let name = Array("archive/data/0".utf8)
    let nameStart = try #require(
      bytes.indices.first { bytes[$0..<min(bytes.count, $0 + name.count)].elementsEqual(name) })
    let extra = Int(bytes[nameStart - 2]) | Int(bytes[nameStart - 1]) << 8
    let dataStart = nameStart + name.count + extra
    #expect(Array(bytes[dataStart..<(dataStart + 4)]) == oneFloat)
    bytes[dataStart + 2] = 0x81
    try Data(bytes).write(to: url)
    let error = try #require(loadError(url))
    guard case .corruptEntry(let path, let reason) = error.kind else {
      Issue.record("expected .corruptEntry, got \(error)")
      return
    }
    #expect(path == "archive/data/0" && reason == "CRC-32 mismatch")
  }

  @Test("a FIFO or a device as --weights, or as a dataset file, is refused without blocking")
  func specialFiles() throws {
    let folder = try badInputFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let fifo = folder.appendingPathComponent("weights.pth")
    #expect(mkfifo(fifo.path, 0o600) == 0)
    for url in [fifo, URL(fileURLWithPath: "/dev/zero"), folder] {
      let error = try #require(loadError(url))
      guard case .unreadable(let reason) = error.kind else {
        Issue.record("expected .unreadable for \(url.path), got \(error)")
        continue
      }
      #expect(
        reason.contains("named pipe") || reason.contains("device") || reason.contains("folder"))
      #expect(error.description.contains(url.path))
    }
    #expect(throws: TorchCheckpointError.self) { try TorchCheckpoint.read(from: fifo) }
    #expect(throws: TorchCheckpointError.self) { try ResNet.load(from: fifo) }

    let root = try mnistRoot([:])
    defer { try? FileManager.default.removeItem(at: root) }
    let images = root.appendingPathComponent("MNIST/raw/train-images-idx3-ubyte")
    #expect(mkfifo(images.path, 0o600) == 0)
    let error = try #require(mnistError(root))
    #expect(error.problem == .notRegularFile)
    #expect(error.path == images.path)
    #expect(error.description.contains("named pipe"))

    let archive = folder.appendingPathComponent("cifar-10-python.tar.gz")
    #expect(mkfifo(archive.path, 0o600) == 0)
    let tarError = #expect(throws: DatasetError.self) {
      try TarExtractor.extractTarGz(archive, into: folder)
    }
    #expect(tarError?.problem == .notRegularFile)
  }

  @Test("a truncated or overflowing safetensors header through loadCheckpoint is a typed error")
  func safetensorsHeaders() throws {
    let folder = try badInputFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let cases: [[UInt8]] = [
      [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F] + Array("{\"w\":".utf8),
      [200, 0, 0, 0, 0, 0, 0, 0] + Array("{\"w\": {\"dtype\": \"F32\"".utf8),
    ]
    for (index, bytes) in cases.enumerated() {
      let url = folder.appendingPathComponent("case\(index).safetensors")
      try Data(bytes).write(to: url)
      let error = #expect(throws: SafetensorsError.self) { try loadCheckpoint(from: url) }
      #expect(error?.description.contains(url.path) == true)
    }
  }
}
