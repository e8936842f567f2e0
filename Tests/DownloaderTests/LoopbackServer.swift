import Downloader
import Foundation

/// Deterministic pseudo-random bytes (a 64-bit LCG's high bytes).
func seededBytes(count: Int, seed: UInt64 = 42) -> Data {
  var state = seed
  var bytes = [UInt8](repeating: 0, count: count)
  for index in bytes.indices {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    bytes[index] = UInt8(truncatingIfNeeded: state >> 56)
  }
  return Data(bytes)
}

/// A fresh empty folder under the temporary directory.
func makeTemporaryFolder() throws -> URL {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("classify-download-tests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  return folder
}

/// Collects progress events across threads.
final class ProgressRecorder: @unchecked Sendable {
  // @unchecked: `storage` is guarded by `lock`.
  private let lock = NSLock()
  private var storage: [DownloadProgress] = []

  func record(_ progress: DownloadProgress) {
    lock.lock()
    storage.append(progress)
    lock.unlock()
  }

  var events: [DownloadProgress] {
    lock.lock()
    defer { lock.unlock() }
    return storage
  }
}
