import CArchiveShim

/// A gzip (RFC 1952) reader over libarchive (its gzip filter under the "raw" format, through
/// the `CArchiveShim` handle `classify_gunzip`): inflates the member and verifies the trailer's
/// CRC-32 and size (ISIZE), which the shim checks since libarchive does not.
///
/// Only single-member files are read, with nothing after the trailer (what `gzip`, Python's
/// `gzip.compress` and the dataset servers write); anything else fails the CRC check.
enum Gzip {
  /// Bytes handed to the consumer per step: small, so that inflation stops close to a limit.
  static let chunkSize = 1 << 16

  /// The decompressed content of the gzip file `bytes` read from `path` (for errors).
  ///
  /// Inflation stops as soon as the output exceeds what the file can legitimately hold: the
  /// trailer's ISIZE (the size modulo 2³², exact for every file below 4 GiB), `ceiling`, and
  /// `declaredSize(prefix)` — the size the content's own header announces, asked with the output
  /// so far until it answers (an IDX header: 8 or 16 bytes). A 2 MB bomb is refused after
  /// inflating one `chunkSize` chunk past its header, never 2 GB.
  ///
  /// - Throws: `DatasetError.badArchive` for a bad header, corrupt deflate data, a truncated
  ///   stream or a CRC/size mismatch; `.tooLarge` when the output would pass a limit; whatever
  ///   `declaredSize` throws.
  static func decompress(
    _ bytes: [UInt8], path: String, ceiling: Int = 1 << 31,
    declaredSize: ([UInt8]) throws -> Int? = { _ in nil }
  ) throws -> [UInt8] {
    var message = [CChar](repeating: 0, count: 512)
    guard
      let stream = classify_gunzip_open(
        bytes, bytes.count, UInt64(max(0, ceiling)), &message, message.count)
    else { throw failure(path, status: CLASSIFY_ARCHIVE_BAD_GZIP, message, ceiling: ceiling) }
    defer { classify_gunzip_close(stream) }
    var limit = ceiling
    var declared: Int?
    var output = [UInt8]()
    output.reserveCapacity(min(ceiling, 4 * bytes.count, 1 << 24))
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    while true {
      let count = classify_gunzip_read(stream, &chunk, chunk.count, &message, message.count)
      guard count >= 0 else {
        throw failure(path, status: Int(count), message, ceiling: ceiling)
      }
      if count == 0 { return output }
      output.append(contentsOf: chunk[0..<Int(count)])
      if declared == nil, let size = try declaredSize(output) {
        declared = size
        limit = min(limit, size)
      }
      guard output.count <= limit else {
        throw DatasetError(
          path: path, problem: .tooLarge,
          detail: "inflates past \(limit) bytes, more than "
            + (declared == limit ? "its header declares" : "the \(ceiling)-byte limit")
            + " (stopped after \(output.count)); a corrupt file or a decompression bomb. "
            + "Delete it and download it again")
      }
    }
  }

  /// The `DatasetError` for the shim's `status` and `message` about the gzip file at `path`.
  static func failure(_ path: String, status: Int, _ message: [CChar], ceiling: Int)
    -> DatasetError
  {
    let detail = archiveMessage(message)
    if status == CLASSIFY_ARCHIVE_TOO_LARGE {
      return DatasetError(
        path: path, problem: .tooLarge,
        detail: "inflates past the \(ceiling)-byte limit; a corrupt file or a decompression "
          + "bomb. Delete it and download it again")
    }
    return DatasetError(
      path: path, problem: .badArchive,
      detail: "not a valid gzip file: \(detail); delete it and download it again")
  }
}

/// The shim's NUL-terminated message as a string.
func archiveMessage(_ message: [CChar]) -> String {
  String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
