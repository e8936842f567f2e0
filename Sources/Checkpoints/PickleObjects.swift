import Foundation

/// The element types of torch storages and numpy arrays that the readers decode.
public enum PickleScalarType: String, CaseIterable, Equatable, Sendable {
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

/// A torch storage named by a persistent id `("storage", torch.FloatStorage, key, location,
/// numel)`; its bytes are the archive entry `<prefix>/data/<key>`.
public struct TorchStorageReference: Equatable, Sendable {
  /// The element type, from the storage class.
  public let scalarType: PickleScalarType
  /// The archive entry name under `data/`.
  public let key: String
  /// The device it was saved from (`cpu`, `cuda:0`); the bytes are the same.
  public let location: String
  /// The number of elements.
  public let elementCount: Int
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view into a storage.
public struct TorchTensorReference: Equatable, Sendable {
  /// The storage holding the elements.
  public let storage: TorchStorageReference
  /// Index of the first element in the storage.
  public let storageOffset: Int
  /// The extents, outermost first.
  public let shape: [Int]
  /// The step in storage elements along each axis (non-negative; 0 for broadcast views).
  public let strides: [Int]
}

/// A numpy dtype: kind and size (`u1`, `i8`, `f4`) and byte order.
public struct NumpyDType: Equatable, Sendable {
  /// The element type.
  public let scalarType: PickleScalarType
  /// Whether the elements are stored big-endian (`>`).
  public var isBigEndian: Bool

  /// The dtype for a numpy type string (`u1`, `i8`, `f4`, `<f4`, `b1`), if supported.
  public init?(code: String) {
    var code = Substring(code)
    var bigEndian = false
    if let first = code.first, "<>|=".contains(first) {
      bigEndian = first == ">"
      code = code.dropFirst()
    }
    let table: [Substring: PickleScalarType] = [
      "f2": .float16, "f4": .float32, "f8": .float64, "i1": .int8, "i2": .int16, "i4": .int32,
      "i8": .int64, "u1": .uint8, "u2": .uint16, "u4": .uint32, "u8": .uint64, "b1": .bool,
    ]
    guard let type = table[code] else { return nil }
    scalarType = type
    isBigEndian = bigEndian
  }
}

/// A numpy array read from a pickle: dtype, shape and raw element bytes.
public struct NumpyArray: Equatable, Sendable {
  /// The element type and byte order.
  public let dtype: NumpyDType
  /// The extents, outermost first.
  public let shape: [Int]
  /// Whether `data` is in column-major (Fortran) order.
  public let isFortranOrder: Bool
  /// The elements' bytes, `shape.product × dtype.size` of them.
  public let data: [UInt8]

  /// The elements in row-major (C) order, converted to `Float`.
  public func floats() -> [Float] {
    rowMajor(dtype.scalarType.floats(data, bigEndian: dtype.isBigEndian))
  }

  /// The elements in row-major order as `Int64`, exactly; `nil` for a floating-point dtype.
  public func integers() -> [Int64]? {
    dtype.scalarType.integers(data, bigEndian: dtype.isBigEndian).map(rowMajor)
  }

  private func rowMajor<T>(_ values: [T]) -> [T] {
    guard isFortranOrder, shape.count > 1 else { return values }
    var strides = [Int](repeating: 1, count: shape.count)
    for axis in shape.indices.dropFirst() { strides[axis] = strides[axis - 1] * shape[axis - 1] }
    return StridedGather.gather(values, shape: shape, strides: strides, offset: 0)
  }
}

/// Copies a strided view into a contiguous row-major array.
enum StridedGather {
  /// `values[offset + Σ index[i]·strides[i]]` for every multi-index of `shape`, row-major.
  /// The caller has checked that every such index is in range.
  static func gather<T>(_ values: [T], shape: [Int], strides: [Int], offset: Int) -> [T] {
    let count = shape.reduce(1, *)
    guard count > 0 else { return [] }
    var result = [T]()
    result.reserveCapacity(count)
    var index = [Int](repeating: 0, count: shape.count)
    var position = offset
    for _ in 0..<count {
      result.append(values[position])
      var axis = shape.count - 1
      while axis >= 0 {
        index[axis] += 1
        position += strides[axis]
        if index[axis] < shape[axis] { break }
        position -= strides[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
    return result
  }
}
