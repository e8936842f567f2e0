import Foundation
import ZIPFoundation

/// A gzip (RFC 1952) reader over ZIPFoundation's raw-deflate decoder: parses the member header,
/// inflates the deflate stream, and verifies the trailer's CRC-32 and size (ISIZE).
///
/// Foundation on Linux has no gzip API and the package adds no zlib binding of its own, so the
/// header and trailer are handled here and the inflation is ZIPFoundation's (zlib underneath).
/// Only single-member files are read (what `gzip`, Python's `gzip.compress` and the dataset
/// servers write).
enum Gzip {
  /// Whether `bytes` starts with the gzip magic `1f 8b`.
  static func isGzip(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
  }

  /// Bytes handed to the consumer per step: small, so that inflation stops close to a limit.
  static let chunkSize = 1 << 16

  /// The decompressed content of the gzip file `bytes` read from `path` (for errors).
  ///
  /// Inflation stops as soon as the output exceeds what the file can legitimately hold: the
  /// trailer's ISIZE (the size modulo 2³², exact for every file below 4 GiB), `ceiling`, and
  /// `declaredSize(prefix)` — the size the content's own header announces, asked with the output
  /// so far until it answers (an IDX header: 8 or 16 bytes). A 2 MB bomb is refused after
  /// inflating a few kilobytes past its header, never 2 GB.
  ///
  /// - Throws: `DatasetError.badArchive` for a bad header, corrupt deflate data, a truncated
  ///   stream or a CRC/size mismatch; `.tooLarge` when the output would pass a limit; whatever
  ///   `declaredSize` throws.
  static func decompress(
    _ bytes: [UInt8], path: String, ceiling: Int = 1 << 31,
    declaredSize: ([UInt8]) throws -> Int? = { _ in nil }
  ) throws -> [UInt8] {
    func failure(_ detail: String) -> DatasetError {
      DatasetError(
        path: path, problem: .badArchive,
        detail: "not a valid gzip file: \(detail); delete it and download it again")
    }
    let (position, end) = try memberBounds(bytes, failure: failure)
    let trailer = bytes[end...].map(UInt32.init)
    let expectedCRC = trailer[0] | trailer[1] << 8 | trailer[2] << 16 | trailer[3] << 24
    let expectedSize = trailer[4] | trailer[5] << 8 | trailer[6] << 16 | trailer[7] << 24

    let source = Data(bytes[position..<end])
    var limit = min(ceiling, Int(expectedSize))
    var declared: Int?
    var output = [UInt8]()
    output.reserveCapacity(min(limit, 1 << 24))
    let crc: UInt32
    do {
      crc = try Data.decompress(
        size: Int64(source.count), bufferSize: chunkSize, skipCRC32: false,
        provider: { offset, size in
          // An exhausted provider would make the decoder loop forever on a truncated stream.
          let start = Int(offset)
          guard start < source.count else { throw failure("the deflate stream is truncated") }
          return source.subdata(in: start..<min(source.count, start + size))
        },
        consumer: { chunk in
          output.append(contentsOf: chunk)
          if declared == nil, let size = try declaredSize(output) {
            declared = size
            limit = min(limit, size)
          }
          guard output.count <= limit else {
            if limit == Int(expectedSize) && declared != limit {
              throw failure(
                "it inflates past the \(expectedSize) bytes its trailer declares (truncated, "
                  + "corrupt, or a decompression bomb)")
            }
            throw DatasetError(
              path: path, problem: .tooLarge,
              detail: "inflates past \(limit) bytes, more than "
                + (declared == limit ? "its header declares" : "the \(ceiling)-byte limit")
                + " (stopped after \(output.count)); a corrupt file or a decompression bomb. "
                + "Delete it and download it again")
          }
        })
    } catch let error as DatasetError {
      throw error
    } catch {
      throw failure("corrupt deflate data")
    }
    guard crc == expectedCRC else {
      throw failure(
        "CRC-32 \(String(crc, radix: 16)) does not match the trailer's \(String(expectedCRC, radix: 16))"
      )
    }
    guard UInt32(truncatingIfNeeded: output.count) == expectedSize else {
      throw failure("inflated to \(output.count) bytes, the trailer says \(expectedSize)")
    }
    return output
  }

  /// Where the deflate stream of the single gzip member `bytes` starts and ends (the 8-byte
  /// trailer follows it), with every header offset bounds-checked.
  static func memberBounds(_ bytes: [UInt8], failure: (String) -> DatasetError) throws
    -> (start: Int, end: Int)
  {
    guard bytes.count >= 18, isGzip(bytes) else { throw failure("no gzip header") }
    guard bytes[2] == 8 else { throw failure("compression method \(bytes[2]) is not deflate") }
    let flags = bytes[3]
    var position = 10
    if flags & 0x04 != 0 {  // FEXTRA
      guard position + 2 <= bytes.count else { throw failure("truncated header") }
      position += 2 + Int(bytes[position]) + Int(bytes[position + 1]) << 8
    }
    for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT
      while position < bytes.count, bytes[position] != 0 { position += 1 }
      position += 1
    }
    if flags & 0x02 != 0 { position += 2 }  // FHCRC
    let end = bytes.count - 8
    guard position < end else { throw failure("truncated header") }
    return (position, end)
  }

  /// Inflates the gzip file at `url` chunk by chunk into `consumer`, never holding the whole
  /// file (STL-10's archive is 2.6 GB inflated); verifies CRC-32 and ISIZE at the end. Stops
  /// with `.tooLarge` as soon as the output passes the trailer's ISIZE (exact below 4 GiB) or
  /// `ceiling`, so a bomb cannot fill the disk.
  static func decompress(
    file url: URL, ceiling: Int = 1 << 32, consumer: (Data) throws -> Void
  ) throws {
    func failure(_ detail: String) -> DatasetError {
      DatasetError(
        path: url.path, problem: .badArchive,
        detail: "not a valid gzip file: \(detail); delete it and download it again")
    }
    try DatasetFiles.checkRegular(url, hint: "download the archive again")
    let handle: FileHandle
    do { handle = try FileHandle(forReadingFrom: url) } catch {
      throw DatasetError(
        path: url.path, problem: .missingFile, detail: "cannot open it (check its permissions)")
    }
    defer { try? handle.close() }
    let fileSize = Int((try? handle.seekToEnd()) ?? 0)
    try? handle.seek(toOffset: 0)
    let head = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
    guard fileSize >= 18, isGzip(head), head[2] == 8 else { throw failure("no gzip header") }
    let flags = head[3]
    var position = 10
    if flags & 0x04 != 0 {
      guard head.count >= 12 else { throw failure("truncated header") }
      position += 2 + Int(head[10]) + Int(head[11]) << 8
    }
    for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {
      while position < head.count, head[position] != 0 { position += 1 }
      position += 1
    }
    if flags & 0x02 != 0 { position += 2 }
    let end = fileSize - 8
    guard position < end else { throw failure("truncated header") }
    try? handle.seek(toOffset: UInt64(end))
    let trailer = [UInt8]((try? handle.read(upToCount: 8)) ?? Data()).map(UInt32.init)
    guard trailer.count == 8 else { throw failure("no trailer") }
    let expectedCRC = trailer[0] | trailer[1] << 8 | trailer[2] << 16 | trailer[3] << 24
    let expectedSize = trailer[4] | trailer[5] << 8 | trailer[6] << 16 | trailer[7] << 24
    var produced = 0
    let start = position
    // ISIZE is the size modulo 2^32: exact for any archive that inflates below 4 GiB.
    let limit = ceiling <= 1 << 32 ? min(ceiling, Int(expectedSize)) : ceiling
    let crc: UInt32
    do {
      crc = try Data.decompress(
        size: Int64(end - start), bufferSize: chunkSize, skipCRC32: false,
        provider: { offset, size in
          let at = start + Int(offset)
          guard at < end else { throw failure("the deflate stream is truncated") }
          try handle.seek(toOffset: UInt64(at))
          return try handle.read(upToCount: min(size, end - at)) ?? Data()
        },
        consumer: { chunk in
          produced += chunk.count
          guard produced <= limit else {
            if limit == Int(expectedSize) {
              throw failure(
                "it inflates past the \(expectedSize) bytes its trailer declares (truncated, "
                  + "corrupt, or a decompression bomb)")
            }
            throw DatasetError(
              path: url.path, problem: .tooLarge,
              detail: "inflates past the \(limit)-byte limit; a corrupt file or a decompression "
                + "bomb. Delete it and download it again")
          }
          try consumer(chunk)
        })
    } catch let error as DatasetError {
      throw error
    } catch {
      throw failure("corrupt deflate data")
    }
    guard crc == expectedCRC, UInt32(truncatingIfNeeded: produced) == expectedSize else {
      throw failure("CRC-32 or size does not match the trailer")
    }
  }
}
