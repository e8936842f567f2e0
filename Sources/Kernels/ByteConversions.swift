import CKernelSupport
import Foundation

/// Fast conversions between little-endian byte buffers and numeric arrays, for file formats
/// (feature caches) whose payload is hundreds of megabytes: one `memcpy` instead of a loop that
/// assembles each value from bytes.
public enum ByteConversions {
  /// The `count` Float32 values stored little-endian at `offset` in `data`.
  /// Precondition (checked by the caller's header validation): `offset + 4·count ≤ data.count`.
  public static func floats(from data: Data, offset: Int, count: Int) -> [Float] {
    #if _endian(little)
      return copy(from: data, offset: offset, count: count, as: Float.self)
    #else
      return copy(from: data, offset: offset, count: count, as: UInt32.self).map {
        Float(bitPattern: UInt32(littleEndian: $0))
      }
    #endif
  }

  /// The `count` Int32 values stored little-endian at `offset` in `data`.
  public static func int32s(from data: Data, offset: Int, count: Int) -> [Int32] {
    #if _endian(little)
      return copy(from: data, offset: offset, count: count, as: Int32.self)
    #else
      return copy(from: data, offset: offset, count: count, as: Int32.self).map {
        Int32(littleEndian: $0)
      }
    #endif
  }

  /// `count` raw values of `T` copied out of `data` at `offset` with one `memcpy`.
  private static func copy<T: BitwiseCopyable>(
    from data: Data, offset: Int, count: Int, as _: T.Type
  ) -> [T] {
    let size = MemoryLayout<T>.stride
    precondition(
      offset >= 0 && count >= 0 && offset + size * count <= data.count, "range outside the data")
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      data.withUnsafeBytes { source in
        if let base = source.baseAddress, let target = buffer.baseAddress, count > 0 {
          UnsafeMutableRawPointer(target).copyMemory(from: base + offset, byteCount: size * count)
        }
      }
      initialized = count
    }
  }

  /// The little-endian bytes of `values`.
  public static func bytes(of values: [Float]) -> Data {
    bytes(of: values, in: 0..<values.count)
  }

  /// The little-endian bytes of `values[range]` (clamped to the array): one chunk of a large
  /// array, without copying the rest.
  public static func bytes(of values: [Float], in range: Range<Int>) -> Data {
    let range = range.clamped(to: 0..<values.count)
    #if _endian(big)
      return bytes(of: values[range].map { Int32(bitPattern: $0.bitPattern) })
    #else
      return values.withUnsafeBytes {
        Data(UnsafeRawBufferPointer(rebasing: $0[(range.lowerBound * 4)..<(range.upperBound * 4)]))
      }
    #endif
  }

  /// The CRC-32 of `data` (as zip and gzip store it), continuing from `crc`: zlib's, several
  /// times faster than a byte loop in Swift.
  public static func crc32(of data: Data, continuing crc: UInt32 = 0) -> UInt32 {
    data.withUnsafeBytes { classify_crc32(crc, $0.baseAddress, $0.count) }
  }

  /// The little-endian bytes of `values`.
  public static func bytes(of values: [Int32]) -> Data {
    values.map { $0.littleEndian }.withUnsafeBytes { Data($0) }
  }
}
