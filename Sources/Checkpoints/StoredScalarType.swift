import Foundation
import Kernels

/// The element types tensors are stored in, in every checkpoint format (torch storages, numpy
/// arrays, safetensors dtypes): the one place stored bytes become numbers. Float32 in little-
/// endian order, almost every weight of every checkpoint, is one `memcpy` (Kernels'
/// `ByteConversions`); the rest is assembled element by element.
public enum StoredScalarType: String, CaseIterable, Equatable, Sendable {
  /// IEEE binary32 (`torch.float32`, numpy `f4`).
  case float32
  /// IEEE binary16 (`torch.float16`, numpy `f2`).
  case float16
  /// bfloat16: the top 16 bits of a binary32 (`torch.bfloat16`).
  case bfloat16
  /// IEEE binary64 (`torch.float64`, numpy `f8`).
  case float64
  /// Signed 64-bit (`torch.int64`, numpy `i8`).
  case int64
  /// Signed 32-bit.
  case int32
  /// Signed 16-bit.
  case int16
  /// Signed 8-bit.
  case int8
  /// Unsigned 8-bit (`torch.uint8`, numpy `u1`, raw bytes).
  case uint8
  /// Unsigned 16-bit (numpy `u2`).
  case uint16
  /// Unsigned 32-bit (numpy `u4`).
  case uint32
  /// Unsigned 64-bit (numpy `u8`).
  case uint64
  /// Booleans, one byte each.
  case bool

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .float64, .int64, .uint64: 8
    case .float32, .int32, .uint32: 4
    case .float16, .bfloat16, .int16, .uint16: 2
    case .int8, .uint8, .bool: 1
    }
  }

  /// Whether the elements are floating point.
  public var isFloatingPoint: Bool { [.float32, .float16, .bfloat16, .float64].contains(self) }

  /// The raw bits of element `index` (zero-extended), reading `bytes` in the given byte order.
  static func bits(_ bytes: [UInt8], element index: Int, size: Int, bigEndian: Bool) -> UInt64 {
    var bits: UInt64 = 0
    let start = index * size
    for byte in 0..<size {
      let shift = bigEndian ? size - 1 - byte : byte
      bits |= UInt64(bytes[start + byte]) << (8 * UInt64(shift))
    }
    return bits
  }

  /// Every element of `bytes` converted to `Float` (integers exact below 2²⁴).
  func floats(_ bytes: [UInt8], bigEndian: Bool = false) -> [Float] {
    if self == .float32, !bigEndian {
      return ByteConversions.floats(from: Data(bytes), offset: 0, count: bytes.count / 4)
    }
    let size = byteCount
    return (0..<(bytes.count / size)).map { index in
      let bits = Self.bits(bytes, element: index, size: size, bigEndian: bigEndian)
      switch self {
      case .float32: return Float(bitPattern: UInt32(truncatingIfNeeded: bits))
      case .float16: return Float(halfBits: UInt16(truncatingIfNeeded: bits))
      case .bfloat16: return Float(bfloat16Bits: UInt16(truncatingIfNeeded: bits))
      case .float64: return Float(Double(bitPattern: bits))
      case .int64: return Float(Int64(bitPattern: bits))
      case .int32: return Float(Int32(truncatingIfNeeded: bits))
      case .int16: return Float(Int16(truncatingIfNeeded: bits))
      case .int8: return Float(Int8(truncatingIfNeeded: bits))
      case .uint8, .uint16, .uint32, .uint64, .bool: return Float(bits)
      }
    }
  }

  /// Every element of an integer or boolean buffer as `Int64`, exactly; `nil` for floats.
  func integers(_ bytes: [UInt8], bigEndian: Bool = false) -> [Int64]? {
    guard !isFloatingPoint else { return nil }
    let size = byteCount
    return (0..<(bytes.count / size)).map { index in
      let bits = Self.bits(bytes, element: index, size: size, bigEndian: bigEndian)
      switch self {
      case .int64, .uint64: return Int64(bitPattern: bits)
      case .int32: return Int64(Int32(truncatingIfNeeded: bits))
      case .int16: return Int64(Int16(truncatingIfNeeded: bits))
      case .int8: return Int64(Int8(truncatingIfNeeded: bits))
      default: return Int64(bits)
      }
    }
  }

}
