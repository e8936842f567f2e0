import FileSafety
import Foundation
import TensorCore

/// The element types of the safetensors format that this reader decodes.
public enum SafetensorsDType: String, CaseIterable, Sendable {
  /// IEEE 754 binary64.
  case float64 = "F64"
  /// IEEE 754 binary32.
  case float32 = "F32"
  /// IEEE 754 binary16.
  case float16 = "F16"
  /// bfloat16: the top half of a binary32.
  case bfloat16 = "BF16"
  /// Signed 64-bit integers (PyTorch's `long`, e.g. `num_batches_tracked`).
  case int64 = "I64"
  /// Signed 32-bit integers.
  case int32 = "I32"
  /// Signed 16-bit integers.
  case int16 = "I16"
  /// Signed 8-bit integers.
  case int8 = "I8"
  /// Unsigned 8-bit integers.
  case uint8 = "U8"
  /// Booleans, one byte each.
  case bool = "BOOL"

  /// The element type, shared with the other formats' decoders.
  public var stored: StoredScalarType {
    switch self {
    case .float64: .float64
    case .float32: .float32
    case .float16: .float16
    case .bfloat16: .bfloat16
    case .int64: .int64
    case .int32: .int32
    case .int16: .int16
    case .int8: .int8
    case .uint8: .uint8
    case .bool: .bool
    }
  }

  /// Bytes per element.
  public var byteCount: Int { stored.byteCount }

  /// Whether the elements are floating point.
  public var isFloatingPoint: Bool { [.float64, .float32, .float16, .bfloat16].contains(self) }
}

/// One tensor's header entry: dtype, shape and byte range inside the data buffer.
public struct SafetensorsEntry: Equatable, Sendable {
  /// The tensor's key.
  public let name: String
  /// The element type.
  public let dtype: SafetensorsDType
  /// The extents, outermost first; `[]` is a scalar.
  public let shape: [Int]
  /// `data_offsets`, relative to the start of the data buffer.
  public let byteRange: Range<Int>
}

/// A `.safetensors` file: an 8-byte little-endian header length `N`, `N` bytes of JSON header,
/// then the data buffer that the header's `data_offsets` cover exactly.
///
/// Reading memory-maps the file and validates the whole header before anything is decoded; see
/// `SafetensorsError` for the defects reported. Tensors are decoded to `Float` on access.
/// Equivalent to `safetensors.torch.load_file` / `save_file`.
public struct SafetensorsFile {
  /// The file's path, or `<memory>`.
  public let source: String
  /// The free-form `__metadata__` strings.
  public let metadata: [String: String]
  /// The header entries, keyed by tensor name.
  public let entries: [String: SafetensorsEntry]
  /// The data buffer (a slice of the mapped file; index it relative to `startIndex`).
  private let buffer: Data

  /// The largest header accepted, as in the reference implementation.
  public static let maximumHeaderLength: UInt64 = 100_000_000

  /// Memory-maps and validates the file at `url`.
  ///
  /// Only a regular file (or a link to one) is opened: a FIFO, device, socket or folder is
  /// refused with `.unreadable` before anything blocks on it.
  public static func read(from url: URL) throws -> SafetensorsFile {
    if let problem = RegularFile.problem(at: url) {
      throw SafetensorsError(file: url.path, kind: .unreadable(reason: "the path \(problem)"))
    }
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw SafetensorsError(
        file: url.path, kind: .unreadable(reason: "the file could not be opened or mapped"))
    }
    return try SafetensorsFile(bytes: data, source: url.path)
  }

  /// Parses and validates the bytes of a safetensors file; `source` names it in errors.
  public init(bytes: Data, source: String = "<memory>") throws {
    func fail(_ kind: SafetensorsError.Kind) -> SafetensorsError {
      SafetensorsError(file: source, kind: kind)
    }
    self.source = source
    guard bytes.count >= 8 else { throw fail(.fileTooShort(byteCount: bytes.count)) }
    let start = bytes.startIndex
    var headerLength: UInt64 = 0
    for index in 0..<8 { headerLength |= UInt64(bytes[start + index]) << (8 * UInt64(index)) }
    guard headerLength <= Self.maximumHeaderLength else {
      throw fail(.headerTooLarge(declared: headerLength))
    }
    guard headerLength <= UInt64(bytes.count - 8) else {
      throw fail(.headerLengthExceedsFile(declared: headerLength, available: bytes.count - 8))
    }
    let headerEnd = start + 8 + Int(headerLength)
    let headerBytes = bytes[(start + 8)..<headerEnd]
    // UTF-8 only (JSONSerialization would also guess UTF-16 and UTF-32), as the format requires.
    guard String(bytes: headerBytes, encoding: .utf8) != nil else {
      throw fail(.invalidJSON(detail: "header is not UTF-8"))
    }
    let header: Any
    do {
      header = try JSONSerialization.jsonObject(with: headerBytes, options: .fragmentsAllowed)
    } catch {
      let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
      throw fail(.invalidJSON(detail: detail ?? "\(error)"))
    }
    guard let object = header as? [String: Any] else { throw fail(.headerNotObject) }
    buffer = bytes[headerEnd...]
    metadata = try Self.parseMetadata(object["__metadata__"], fail: fail)
    var entries: [String: SafetensorsEntry] = [:]
    for (name, value) in object where name != "__metadata__" {
      entries[name] = try Self.parseEntry(
        name: name, value: value, bufferSize: buffer.count, fail: fail)
    }
    try Self.checkCoverage(entries.values, bufferSize: buffer.count, fail: fail)
    self.entries = entries
  }

  /// Tensor names, sorted.
  public var names: [String] { entries.keys.sorted() }

  /// Every tensor decoded to `Float` (integers converted; exact below 2²⁴).
  public var tensors: [String: Tensor] {
    entries.mapValues { Tensor(shape: $0.shape, scalars: floats(of: $0)) }
  }

  /// The tensor `name` decoded to `Float`.
  public func tensor(named name: String) throws -> Tensor {
    let entry = try self.entry(named: name)
    return Tensor(shape: entry.shape, scalars: floats(of: entry))
  }

  /// The elements of an integer or boolean tensor, exactly, in row-major order.
  public func integers(named name: String) throws -> [Int64] {
    let entry = try self.entry(named: name)
    guard !entry.dtype.isFloatingPoint else {
      throw SafetensorsError(
        file: source,
        kind: .wrongDType(tensor: name, dtype: entry.dtype.rawValue, requested: "integers"))
    }
    return entry.dtype.stored.integers(bytes(of: entry)) ?? []
  }

  /// The header entry for `name`.
  public func entry(named name: String) throws -> SafetensorsEntry {
    guard let entry = entries[name] else {
      throw SafetensorsError(file: source, kind: .missingTensor(name: name, available: names))
    }
    return entry
  }

  /// The elements of `entry` decoded to `Float`.
  private func floats(of entry: SafetensorsEntry) -> [Float] {
    entry.dtype.stored.floats(bytes(of: entry))
  }

  /// The stored bytes of `entry` (its range was validated against the buffer with the header).
  private func bytes(of entry: SafetensorsEntry) -> [UInt8] {
    let start = buffer.startIndex + entry.byteRange.lowerBound
    return [UInt8](buffer[start..<(start + entry.byteRange.count)])
  }
}

// MARK: - Header validation

extension SafetensorsFile {
  private typealias Fail = (SafetensorsError.Kind) -> SafetensorsError

  private static func parseMetadata(_ value: Any?, fail: Fail) throws -> [String: String] {
    guard let value else { return [:] }
    guard let object = value as? [String: Any] else {
      throw fail(.invalidMetadata(detail: "not an object"))
    }
    var result: [String: String] = [:]
    for (key, item) in object {
      guard let string = item as? String else {
        throw fail(.invalidMetadata(detail: "value of '\(key)' is not a string"))
      }
      result[key] = string
    }
    return result
  }

  /// A JSON integer: not a boolean, not a number written with a fraction or exponent (`2.0`).
  ///
  /// `value is Bool` and `value as? Int` are both true for JSON `0`/`1`/`true`/`1.0` on Linux
  /// Foundation, so booleans are told apart by their class and fractions by their text.
  private static func integer(_ value: Any) -> Int? {
    guard let number = value as? NSNumber, !String(describing: type(of: value)).contains("Boolean")
    else {
      return nil
    }
    return Int(number.stringValue)
  }

  private static func parseEntry(name: String, value: Any, bufferSize: Int, fail: Fail) throws
    -> SafetensorsEntry
  {
    guard let object = value as? [String: Any] else { throw fail(.entryNotObject(tensor: name)) }
    guard let dtypeValue = object["dtype"] else {
      throw fail(.missingField(tensor: name, field: "dtype"))
    }
    guard let dtypeName = dtypeValue as? String else {
      throw fail(.invalidField(tensor: name, field: "dtype", detail: "not a string"))
    }
    guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
      throw fail(.unknownDType(tensor: name, dtype: dtypeName))
    }
    guard let shapeValue = object["shape"] else {
      throw fail(.missingField(tensor: name, field: "shape"))
    }
    guard let shapeList = shapeValue as? [Any], case let shape = shapeList.compactMap(integer),
      shape.count == shapeList.count
    else {
      throw fail(.invalidField(tensor: name, field: "shape", detail: "not a list of integers"))
    }
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw fail(.negativeDimension(tensor: name, shape: shape))
    }
    guard let offsetsValue = object["data_offsets"] else {
      throw fail(.missingField(tensor: name, field: "data_offsets"))
    }
    guard let offsetList = offsetsValue as? [Any],
      case let offsets = offsetList.compactMap(integer),
      offsets.count == 2, offsetList.count == 2
    else {
      throw fail(
        .invalidField(tensor: name, field: "data_offsets", detail: "not a list of two integers"))
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard begin >= 0, end >= begin else {
      throw fail(.invalidOffsets(tensor: name, begin: begin, end: end))
    }
    guard end <= bufferSize else {
      throw fail(.offsetsOutOfRange(tensor: name, end: end, bufferSize: bufferSize))
    }
    // Element count × size, refusing overflow (any product above the span is a mismatch anyway).
    var expected = dtype.byteCount
    for extent in shape {
      let (product, overflow) = expected.multipliedReportingOverflow(by: extent)
      guard !overflow else {
        throw fail(.sizeMismatch(tensor: name, expectedBytes: Int.max, actualBytes: end - begin))
      }
      expected = product
    }
    guard expected == end - begin else {
      throw fail(.sizeMismatch(tensor: name, expectedBytes: expected, actualBytes: end - begin))
    }
    return SafetensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
  }

  /// The entries must tile `0..<bufferSize` exactly: no overlap, no hole, no trailing bytes.
  private static func checkCoverage(
    _ entries: Dictionary<String, SafetensorsEntry>.Values, bufferSize: Int, fail: Fail
  ) throws {
    let sorted = entries.sorted {
      ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name)
        < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
    }
    var cursor = 0
    var previous: SafetensorsEntry?
    for entry in sorted {
      if entry.byteRange.lowerBound < cursor, let previous {
        throw fail(.overlappingEntries(tensor: entry.name, other: previous.name))
      }
      if entry.byteRange.lowerBound > cursor {
        throw fail(.uncoveredBytes(begin: cursor, end: entry.byteRange.lowerBound))
      }
      if !entry.byteRange.isEmpty {
        cursor = entry.byteRange.upperBound
        previous = entry
      }
    }
    if cursor != bufferSize { throw fail(.uncoveredBytes(begin: cursor, end: bufferSize)) }
  }
}

// MARK: - Writing

extension SafetensorsFile {
  /// The bytes of a safetensors file holding `tensors` as F32, keys sorted, with `metadata`.
  ///
  /// Layout as `safetensors.torch.save_file` writes it: `__metadata__` first (omitted when
  /// empty), tensors laid out in key order, the header padded with spaces to a multiple of 8 so
  /// the buffer is aligned.
  public static func encode(
    _ tensors: [String: Tensor], metadata: [String: String] = [:], source: String = "<memory>"
  )
    throws -> Data
  {
    if tensors["__metadata__"] != nil {
      throw SafetensorsError(file: source, kind: .invalidName(name: "__metadata__"))
    }
    var fields: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map {
        "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))"
      }
      fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
    }
    let names = tensors.keys.sorted()
    var offset = 0
    for name in names {
      let tensor = tensors[name] ?? Tensor(0)
      let end = offset + 4 * tensor.count
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      fields.append(
        "\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
      )
      offset = end
    }
    var header = Array("{\(fields.joined(separator: ","))}".utf8)
    header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
    var bytes = [UInt8](repeating: 0, count: 8 + header.count + offset)
    let length = UInt64(header.count)
    for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(index))) }
    bytes.replaceSubrange(8..<(8 + header.count), with: header)
    var position = 8 + header.count
    for name in names {
      for scalar in tensors[name]?.scalars ?? [] {
        let bits = scalar.bitPattern
        for shift in stride(from: 0, to: 32, by: 8) {
          bytes[position] = UInt8(truncatingIfNeeded: bits >> UInt32(shift))
          position += 1
        }
      }
    }
    return Data(bytes)
  }

  /// Writes `tensors` (as F32) and `metadata` to `url` atomically: the bytes go to a temporary
  /// file in the same directory, which is then renamed over `url`, so readers never see a
  /// half-written checkpoint.
  public static func write(
    _ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL
  ) throws {
    let data = try encode(tensors, metadata: metadata, source: url.path)
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
      try data.write(to: temporary, options: .withoutOverwriting)
    } catch {
      throw SafetensorsError(file: url.path, kind: .writeFailed(reason: error.localizedDescription))
    }
    guard rename(temporary.path, url.path) == 0 else {
      let code = errno
      try? FileManager.default.removeItem(at: temporary)
      throw SafetensorsError(
        file: url.path, kind: .writeFailed(reason: "rename failed, errno \(code)"))
    }
  }

  /// A JSON string literal.
  private static func jsonString(_ string: String) -> String {
    var result = "\""
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}
