import Foundation

/// A torch storage named by a persistent id `("storage", torch.FloatStorage, key, location,
/// numel)`; its bytes are the archive entry `<prefix>/data/<key>`.
public struct TorchStorageReference: Equatable, Sendable {
  /// The element type, from the storage class.
  public let scalarType: StoredScalarType
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
  public let scalarType: StoredScalarType
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
    let table: [Substring: StoredScalarType] = [
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
