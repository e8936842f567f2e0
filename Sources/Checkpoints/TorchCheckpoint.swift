import FileSafety
import Foundation
import Kernels
import TensorCore
import ZIPFoundation

/// Reads the state dict in a `.pth`/`.pt` file written by `torch.save` (the zip format, the
/// default since torch 1.6), without Python: equivalent to
/// `torch.load(path, map_location="cpu", weights_only=True)` followed by `.float()` on every
/// tensor.
///
/// The archive holds `<prefix>/data.pkl` (a pickle of the state dict, whose tensors refer to
/// storages by key) and one `<prefix>/data/<key>` entry per storage; the prefix is the file name
/// at save time and varies. The pickle is read by `Unpickler` with the `.torchCheckpoint`
/// allow-list, so nothing in the file is executed. Each tensor is rebuilt from
/// `_rebuild_tensor_v2(storage, offset, size, stride, …)`, honouring the storage offset and the
/// strides (a transposed or sliced view comes out as a contiguous copy), and converted to
/// `Float` from float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8 or bool
/// storages (integers are exact below 2²⁴, e.g. `num_batches_tracked`).
///
/// A checkpoint dict that wraps the state dict under `"state_dict"` or `"model"` (as training
/// scripts save `{"epoch": …, "state_dict": …}`) is unwrapped, and a `module.` prefix on every
/// key (from `nn.DataParallel`) is removed, so the keys match the bare model's.
public enum TorchCheckpoint {
  /// The state dict in the `torch.save` zip file at `url`, every tensor as `Float`.
  public static func read(from url: URL) throws -> [String: Tensor] {
    let file = url.path
    func fail(_ kind: TorchCheckpointError.Kind) -> TorchCheckpointError {
      TorchCheckpointError(file: file, kind: kind)
    }
    if let problem = RegularFile.problem(at: url) {
      throw fail(.unreadable(reason: "the path \(problem)"))
    }
    let fileSize: Int
    let head: [UInt8]
    do {
      let handle = try FileHandle(forReadingFrom: url)
      defer { try? handle.close() }
      head = [UInt8](try handle.read(upToCount: 512) ?? Data())
      fileSize = Int(try handle.seekToEnd())
    } catch {
      throw fail(.unreadable(reason: "the file could not be opened or read"))
    }
    guard head.starts(with: [0x50, 0x4b, 0x03, 0x04]) else {
      throw fail(
        isLegacyTorchFormat(head)
          ? .legacyFormat : .unrecognizedFormat(firstBytes: Array(head.prefix(8))))
    }
    let archive: Archive
    do {
      archive = try Archive(url: url, accessMode: .read)
    } catch {
      throw fail(.unreadableArchive(reason: "no readable zip central directory"))
    }
    var reader = ArchiveReader(archive: archive, file: file, fileSize: fileSize)
    return try reader.readStateDict()
  }

  /// Whether `head` (the first bytes of a file) is the legacy torch.save format: a pickle that
  /// begins with torch's magic number `0x1950a86a20f9469cfc6c`, or a tar archive (torch < 0.4).
  static func isLegacyTorchFormat(_ head: [UInt8]) -> Bool {
    let magic: [UInt8] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]
    let isTar = head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
    return head.starts(with: magic) || isTar
  }

  /// The state dict inside `value`: a dict of tensors, or one under `state_dict`/`model`, with a
  /// common `module.` prefix removed.
  static func stateDict(in value: PickleValue, file: String) throws -> [String:
    TorchTensorReference]
  {
    func fail(_ kind: TorchCheckpointError.Kind) -> TorchCheckpointError {
      TorchCheckpointError(file: file, kind: kind)
    }
    guard case .dict(let entries) = value else { throw fail(.notAStateDict(found: value.typeName)) }
    let holdsTensors = entries.contains {
      if case .tensor = $0.value { return true } else { return false }
    }
    if !holdsTensors {
      for wrapper in ["state_dict", "model"] {
        if let inner = value[wrapper], case .dict = inner {
          return try stateDict(in: inner, file: file)
        }
      }
      if !entries.isEmpty {
        let keys = entries.prefix(8).map { $0.key.stringValue ?? $0.key.typeName }
        throw fail(.notAStateDict(found: "a dict with keys \(keys.joined(separator: ", "))"))
      }
    }
    var result: [String: TorchTensorReference] = [:]
    for entry in entries {
      guard case .string(let key) = entry.key else {
        throw fail(.notAStateDict(found: "a dict with a \(entry.key.typeName) key"))
      }
      guard case .tensor(let tensor) = entry.value else {
        throw fail(.notATensor(key: key, found: entry.value.typeName))
      }
      result[key] = tensor
    }
    let prefix = "module."
    if !result.isEmpty, result.keys.allSatisfy({ $0.hasPrefix(prefix) }) {
      result = Dictionary(
        uniqueKeysWithValues: result.map { (String($0.dropFirst(prefix.count)), $1) })
    }
    return result
  }
}

/// Reads `data.pkl` and the storages of one archive, caching each decoded storage.
private struct ArchiveReader {
  let archive: Archive
  let file: String
  let fileSize: Int
  var storages: [String: [Float]] = [:]

  init(archive: Archive, file: String, fileSize: Int) {
    self.archive = archive
    self.file = file
    self.fileSize = fileSize
  }

  func fail(_ kind: TorchCheckpointError.Kind) -> TorchCheckpointError {
    TorchCheckpointError(file: file, kind: kind)
  }

  /// No entry may inflate beyond what deflate can reach from this file (ratio ≤ 1032).
  var maximumEntrySize: UInt64 { UInt64(fileSize) * 1100 }

  mutating func readStateDict() throws -> [String: Tensor] {
    let paths = archive.map(\.path)
    let candidates = paths.filter { path in
      let parts = path.split(separator: "/", omittingEmptySubsequences: false)
      return parts.count == 2 && parts[1] == "data.pkl"
    }
    guard let pickleEntry = candidates.first.flatMap({ archive[$0] }) else {
      throw fail(.missingDataPickle(entries: paths))
    }
    let prefix = String(pickleEntry.path.dropLast("data.pkl".count))
    if let orderEntry = archive[prefix + "byteorder"] {
      let order = String(decoding: try extract(orderEntry), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      guard order == "little" else { throw fail(.unsupportedByteOrder(order)) }
    }
    let value: PickleValue
    do {
      value = try Unpickler.load(try extract(pickleEntry), allowing: .torchCheckpoint)
    } catch let error as PickleError {
      throw fail(.pickle(error))
    }
    let references = try TorchCheckpoint.stateDict(in: value, file: file)
    var result: [String: Tensor] = [:]
    for key in references.keys.sorted() {
      guard let reference = references[key] else { continue }
      result[key] = try tensor(key: key, reference, prefix: prefix)
    }
    return result
  }

  /// The contiguous tensor a strided view describes.
  mutating func tensor(key: String, _ reference: TorchTensorReference, prefix: String) throws
    -> Tensor
  {
    let storage = try storageValues(reference.storage, tensor: key, prefix: prefix)
    var count = 1
    var lastIndex = min(reference.storageOffset, Int.max - 1)  // + 1 below cannot overflow
    for (extent, stride) in zip(reference.shape, reference.strides) {
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      let limit = max(storage.count, fileSize) * 16
      guard !overflow, product <= limit else {
        throw fail(.tensorTooLarge(tensor: key, shape: reference.shape))
      }
      count = product
      guard extent > 0 else { continue }
      let (step, stepOverflow) = (extent - 1).multipliedReportingOverflow(by: stride)
      let (sum, sumOverflow) = lastIndex.addingReportingOverflow(step)
      lastIndex = stepOverflow || sumOverflow ? Int.max - 1 : min(sum, Int.max - 1)
    }
    if count > 0, lastIndex >= storage.count {
      throw fail(
        .storageTooShort(
          tensor: key, neededElements: lastIndex + 1, availableElements: storage.count))
    }
    if count == storage.count, reference.storageOffset == 0,
      reference.strides == Self.contiguousStrides(reference.shape)
    {
      return Tensor(shape: reference.shape, scalars: storage)  // shares the storage's array
    }
    // A stride along an axis of extent 1 is never taken; zero it so no sum can overflow.
    let strides = zip(reference.shape, reference.strides).map { $0 == 1 ? 0 : $1 }
    let scalars = StridedGather.gather(
      storage, shape: reference.shape, strides: strides, offset: reference.storageOffset)
    return Tensor(shape: reference.shape, scalars: scalars)
  }

  /// Row-major strides of `shape` (PyTorch's `contiguous()` strides).
  static func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var step = 1
    for axis in shape.indices.reversed() {
      strides[axis] = step
      step = step &* Swift.max(shape[axis], 1)
    }
    return strides
  }

  /// The storage's elements as `Float`, read once per key, decoded chunk by chunk as the entry
  /// inflates (the bytes are never held whole beside the floats).
  ///
  /// Before anything is inflated, the entry's uncompressed size must equal the byte size the
  /// pickle declares for the storage (torch.save writes exactly that), and a compressed entry
  /// may not inflate more than `maximumInflationRatio` times: torch.save stores its entries
  /// uncompressed, so a 2 MB file whose entry inflates to 1 GB is refused up front.
  mutating func storageValues(_ storage: TorchStorageReference, tensor: String, prefix: String)
    throws -> [Float]
  {
    let cacheKey = "\(storage.key)/\(storage.scalarType.rawValue)"
    if let cached = storages[cacheKey] { return cached }
    let path = prefix + "data/" + storage.key
    guard let entry = archive[path] else {
      throw fail(.missingStorage(tensor: tensor, path: path))
    }
    let size = storage.scalarType.byteCount
    let available = Int(clamping: entry.uncompressedSize) / size
    guard storage.elementCount <= available else {
      throw fail(
        .storageTooShort(
          tensor: tensor, neededElements: storage.elementCount, availableElements: available))
    }
    let (declaredBytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: size)
    guard !overflow, entry.uncompressedSize == UInt64(declaredBytes) else {
      throw fail(
        .corruptEntry(
          path: entry.path,
          reason:
            "it holds \(entry.uncompressedSize) bytes, but its storage declares \(storage.elementCount) "
            + "\(storage.scalarType.rawValue) elements (\(overflow ? "too many" : "\(declaredBytes) bytes"))"
        ))
    }
    var values = [Float]()
    values.reserveCapacity(storage.elementCount)
    var carry = [UInt8]()
    try extract(entry) { chunk in
      var bytes = carry
      bytes.append(contentsOf: chunk)
      let whole = bytes.count / size * size
      values.append(contentsOf: storage.scalarType.floats(Array(bytes[..<whole])))
      carry = Array(bytes[whole...])
    }
    storages[cacheKey] = values
    return values
  }

  /// A compressed entry larger than 1 MiB may inflate at most this many times its stored size.
  /// Float weights barely compress (about 1.1×); only a decompression bomb comes near deflate's
  /// limit of 1032×.
  static let maximumInflationRatio: UInt64 = 64

  /// The bytes of `entry`, checked against its size bound and CRC-32.
  func extract(_ entry: Entry) throws -> [UInt8] {
    var data = [UInt8]()
    try extract(entry) { data.append(contentsOf: $0) }
    return data
  }

  /// Streams the bytes of `entry` into `consumer`, checked against its declared size (never
  /// inflating past it), the inflation-ratio bound and its CRC-32.
  func extract(_ entry: Entry, consumer: (Data) throws -> Void) throws {
    let (bound, overflow) = entry.compressedSize.multipliedReportingOverflow(
      by: Self.maximumInflationRatio)
    if entry.isCompressed, entry.uncompressedSize > 1 << 20, !overflow,
      entry.uncompressedSize > bound
    {
      throw fail(
        .corruptEntry(
          path: entry.path,
          reason:
            "it inflates \(entry.compressedSize) bytes to \(entry.uncompressedSize), more than "
            + "\(Self.maximumInflationRatio)× (torch.save never compresses; a decompression bomb?)"
        ))
    }
    guard entry.uncompressedSize <= maximumEntrySize else {
      throw fail(
        .corruptEntry(
          path: entry.path,
          reason: "it claims \(entry.uncompressedSize) bytes, more than the file can hold"))
    }
    var received: UInt64 = 0
    do {
      // The CRC through zlib (`ByteConversions.crc32`), not ZIPFoundation's Swift loop, which was
      // 0.15 s of loading ResNet-50's 100 MB.
      var checksum: UInt32 = 0
      _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { chunk in
        received += UInt64(chunk.count)
        guard received <= entry.uncompressedSize else {
          throw Archive.ArchiveError.invalidEntrySize
        }
        checksum = ByteConversions.crc32(of: chunk, continuing: checksum)
        try consumer(chunk)
      }
      guard checksum == entry.checksum else {
        throw fail(.corruptEntry(path: entry.path, reason: "CRC-32 mismatch"))
      }
    } catch let error as TorchCheckpointError {
      throw error
    } catch Archive.ArchiveError.invalidEntrySize {
      throw fail(
        .corruptEntry(
          path: entry.path,
          reason: "it inflates past the \(entry.uncompressedSize) bytes it declares"))
    } catch {
      throw fail(.corruptEntry(path: entry.path, reason: "its data cannot be extracted"))
    }
    guard received == entry.uncompressedSize else {
      throw fail(
        .corruptEntry(
          path: entry.path,
          reason: "\(received) of its \(entry.uncompressedSize) bytes are present"))
    }
  }
}
