import Foundation

/// Fast conversions between little-endian byte buffers and numeric arrays, for file formats
/// (feature caches) whose payload is hundreds of megabytes: one `memcpy` instead of a loop that
/// assembles each value from bytes.
public enum ByteConversions {
  /// The `count` Float32 values stored little-endian at `offset` in `data`.
  /// Precondition (checked by the caller's header validation): `offset + 4·count ≤ data.count`.
  public static func floats(from data: Data, offset: Int, count: Int) -> [Float] {
    precondition(
      offset >= 0 && count >= 0 && offset + 4 * count <= data.count,
      "floats: range outside the data")
    var result = [Float](repeating: 0, count: count)
    result.withUnsafeMutableBytes { target in
      data.withUnsafeBytes { source in
        if let base = source.baseAddress, count > 0 {
          target.baseAddress?.copyMemory(from: base + offset, byteCount: 4 * count)
        }
      }
    }
    #if _endian(big)
      result = result.map { Float(bitPattern: $0.bitPattern.byteSwapped) }
    #endif
    return result
  }

  /// The `count` Int32 values stored little-endian at `offset` in `data`.
  public static func int32s(from data: Data, offset: Int, count: Int) -> [Int32] {
    precondition(
      offset >= 0 && count >= 0 && offset + 4 * count <= data.count,
      "int32s: range outside the data")
    var result = [Int32](repeating: 0, count: count)
    result.withUnsafeMutableBytes { target in
      data.withUnsafeBytes { source in
        if let base = source.baseAddress, count > 0 {
          target.baseAddress?.copyMemory(from: base + offset, byteCount: 4 * count)
        }
      }
    }
    return result.map { Int32(littleEndian: $0) }
  }

  /// The little-endian bytes of `values`.
  public static func bytes(of values: [Float]) -> Data {
    #if _endian(big)
      return bytes(of: values.map { Int32(bitPattern: $0.bitPattern) })
    #else
      return values.withUnsafeBytes { Data($0) }
    #endif
  }

  /// The little-endian bytes of `values`.
  public static func bytes(of values: [Int32]) -> Data {
    values.map { $0.littleEndian }.withUnsafeBytes { Data($0) }
  }
}
