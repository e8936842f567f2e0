import Checkpoints
import Foundation
import Testing

@testable import NN
@testable import TensorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A fresh temporary folder.
private func temporaryFolder() throws -> URL {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("classify-nn-bad-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  return folder
}

@Suite("Safetensors: hostile and careless inputs")
struct SafetensorsBadInputTests {
  @Test(
    "a torchvision state dict without the integer num_batches_tracked buffers loads, as in PyTorch")
  func withoutBatchCounters() throws {
    let norm = BatchNorm2d(featureCount: 2)
    norm.numBatchesTracked.value = Tensor(7)
    // What `{k: v for k, v in sd.items() if v.is_floating_point()}` keeps.
    try norm.loadStateDict([
      "weight": Tensor([1, 2]), "bias": Tensor([3, 4]), "running_mean": Tensor([0.5, 0.25]),
      "running_var": Tensor([2, 4]),
    ])
    #expect(norm.runningMean.value.scalars == [0.5, 0.25])
    #expect(norm.numBatchesTracked.value == Tensor(0))
    // Any other missing key is still refused, with a fix that is not an API flag.
    let error = #expect(throws: StateDictError.self) {
      try norm.loadStateDict(["weight": Tensor([1, 2]), "bias": Tensor([3, 4])], source: "x.pth")
    }
    #expect(error?.missingKeys == ["running_mean", "running_var"])
    #expect(error?.description.contains("strict") == false)
  }

  @Test("a FIFO or a folder given as a safetensors file is refused without blocking")
  func specialFiles() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let fifo = folder.appendingPathComponent("weights.safetensors")
    #expect(mkfifo(fifo.path, 0o600) == 0)
    let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(from: fifo) }
    guard case .unreadable(let reason)? = error?.kind else {
      Issue.record("expected .unreadable, got \(String(describing: error))")
      return
    }
    #expect(reason.contains("named pipe"))
    #expect(error?.description.contains(fifo.path) == true)
    let folderError = #expect(throws: SafetensorsError.self) {
      try SafetensorsFile.read(from: folder)
    }
    #expect(folderError?.description.contains("is a folder") == true)
  }

  @Test("truncated and overflowing headers are typed errors")
  func headers() throws {
    func kind(_ bytes: [UInt8]) -> SafetensorsError.Kind? {
      do {
        _ = try SafetensorsFile(bytes: Data(bytes))
        return nil
      } catch {
        return (error as? SafetensorsError)?.kind
      }
    }
    // Header length 2^64 − 1.
    #expect(kind([UInt8](repeating: 0xff, count: 8) + Array("{}".utf8)) != nil)
    // Header length 100 with 2 bytes after the prefix.
    #expect(
      kind([100, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8))
        == .headerLengthExceedsFile(declared: 100, available: 2))
    // A shape whose element count overflows Int.
    let header = Array(
      #"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#
        .utf8)
    let length = (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) }
    guard case .sizeMismatch? = kind(length + header + [0, 0, 0, 0]) else {
      Issue.record("an overflowing shape must be a size mismatch")
      return
    }
  }
}
