import FileSafety
import Foundation
import TensorCore

/// The state dict in a checkpoint file of either supported format, chosen by content, not by
/// file extension:
///
/// - a zip archive (`PK\x03\x04`): a `torch.save` `.pth`/`.pt` file, read by
///   `TorchCheckpoint.read(from:)` (which unwraps `{"state_dict": …}`/`{"model": …}` and strips a
///   DataParallel `module.` prefix);
/// - an 8-byte little-endian header length followed by `{`: a `.safetensors` file, read by
///   `SafetensorsFile.read(from:)` with its keys unchanged.
///
/// Anything else — including the legacy non-zip `torch.save` format — is refused with a
/// `TorchCheckpointError` naming the file and the fix; a malformed safetensors file throws
/// `SafetensorsError`.
///
/// Only a regular file (or a link to one) is opened: a FIFO, device, socket or folder is refused
/// with `.unreadable` naming what it is, instead of blocking on it.
public func loadCheckpoint(from url: URL) throws -> [String: Tensor] {
  if let problem = RegularFile.problem(at: url) {
    throw TorchCheckpointError(file: url.path, kind: .unreadable(reason: "the path \(problem)"))
  }
  let head: [UInt8]
  do {
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    head = [UInt8](try handle.read(upToCount: 512) ?? Data())
  } catch {
    throw TorchCheckpointError(
      file: url.path, kind: .unreadable(reason: "the file could not be opened or read"))
  }
  if head.starts(with: [0x50, 0x4b, 0x03, 0x04]) || TorchCheckpoint.isLegacyTorchFormat(head) {
    return try TorchCheckpoint.read(from: url)
  }
  if head.count > 8, head[8] == UInt8(ascii: "{") {
    return try SafetensorsFile.read(from: url).tensors
  }
  throw TorchCheckpointError(
    file: url.path, kind: .unrecognizedFormat(firstBytes: Array(head.prefix(8))))
}
