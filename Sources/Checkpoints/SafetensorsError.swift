/// A `.safetensors` file that cannot be read or written, naming the file, the defect and the fix.
///
/// Every defect of a malformed file is reported through this error, never by a crash or an
/// out-of-bounds read: the header is validated completely (fields, dtypes, sizes, offsets and the
/// exact coverage of the byte buffer, as the reference `safetensors` library requires) before any
/// tensor is decoded.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What is wrong.
  public enum Kind: Equatable, Sendable {
    /// The file could not be opened or read (missing, a directory, no permission).
    case unreadable(reason: String)
    /// Fewer than the 8 bytes of the header-length prefix.
    case fileTooShort(byteCount: Int)
    /// The declared header length exceeds the 100 MB limit of the reference implementation.
    case headerTooLarge(declared: UInt64)
    /// The declared header length runs past the end of the file.
    case headerLengthExceedsFile(declared: UInt64, available: Int)
    /// The header is not valid UTF-8 JSON.
    case invalidJSON(detail: String)
    /// The header is JSON but not an object (`{…}`).
    case headerNotObject
    /// `__metadata__` is not an object mapping strings to strings.
    case invalidMetadata(detail: String)
    /// A tensor entry is not an object.
    case entryNotObject(tensor: String)
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(tensor: String, field: String)
    /// A field has the wrong JSON type (`shape` not a list of integers, two offsets expected…).
    case invalidField(tensor: String, field: String, detail: String)
    /// A dtype this reader does not know.
    case unknownDType(tensor: String, dtype: String)
    /// A shape with a negative extent.
    case negativeDimension(tensor: String, shape: [Int])
    /// `data_offsets` with a negative offset or `end < begin`.
    case invalidOffsets(tensor: String, begin: Int, end: Int)
    /// `data_offsets` past the end of the byte buffer.
    case offsetsOutOfRange(tensor: String, end: Int, bufferSize: Int)
    /// The byte span does not equal element count × dtype size.
    case sizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
    /// Two tensors share bytes.
    case overlappingEntries(tensor: String, other: String)
    /// Bytes of the buffer that no tensor covers (a hole between tensors or trailing bytes).
    case uncoveredBytes(begin: Int, end: Int)
    /// No tensor of that name in the file.
    case missingTensor(name: String, available: [String])
    /// The tensor's dtype cannot be returned as requested (integers asked of a float tensor).
    case wrongDType(tensor: String, dtype: String, requested: String)
    /// A tensor name the format reserves or cannot hold.
    case invalidName(name: String)
    /// Writing failed.
    case writeFailed(reason: String)
  }

  /// The file concerned (a path, or a label such as `<memory>` for in-memory bytes).
  public let file: String
  /// The defect.
  public let kind: Kind

  /// Creates an error for `file`.
  public init(file: String, kind: Kind) {
    self.file = file
    self.kind = kind
  }

  /// `file: defect. fix.`
  public var description: String { "\(file): \(defect) \(hint)" }

  private var defect: String {
    switch kind {
    case .unreadable(let reason):
      return "cannot read the file (\(reason))."
    case .fileTooShort(let count):
      return
        "file is \(count) bytes long, shorter than the 8-byte header-length prefix of a safetensors file."
    case .headerTooLarge(let declared):
      return "header length \(declared) exceeds the 100 MB limit."
    case .headerLengthExceedsFile(let declared, let available):
      return
        "header length \(declared) runs past the end of the file (\(available) bytes after the prefix)."
    case .invalidJSON(let detail):
      return "header is not valid JSON (\(detail))."
    case .headerNotObject:
      return "header is JSON but not an object."
    case .invalidMetadata(let detail):
      return "__metadata__ must map strings to strings (\(detail))."
    case .entryNotObject(let tensor):
      return "entry '\(tensor)' is not an object."
    case .missingField(let tensor, let field):
      return "entry '\(tensor)' has no '\(field)'."
    case .invalidField(let tensor, let field, let detail):
      return "entry '\(tensor)' has an invalid '\(field)': \(detail)."
    case .unknownDType(let tensor, let dtype):
      let known = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
      return
        "tensor '\(tensor)' has dtype '\(dtype)', which is not supported (supported: \(known))."
    case .negativeDimension(let tensor, let shape):
      return "tensor '\(tensor)' has a negative extent in shape \(shape)."
    case .invalidOffsets(let tensor, let begin, let end):
      return
        "tensor '\(tensor)' has data_offsets [\(begin), \(end)]; offsets must satisfy 0 ≤ begin ≤ end."
    case .offsetsOutOfRange(let tensor, let end, let bufferSize):
      return "tensor '\(tensor)' ends at byte \(end), past the \(bufferSize)-byte data buffer."
    case .sizeMismatch(let tensor, let expected, let actual):
      return
        "tensor '\(tensor)' needs \(expected) bytes for its shape and dtype but data_offsets span \(actual)."
    case .overlappingEntries(let tensor, let other):
      return "tensors '\(other)' and '\(tensor)' overlap in the data buffer."
    case .uncoveredBytes(let begin, let end):
      return "data buffer bytes \(begin)..<\(end) belong to no tensor."
    case .missingTensor(let name, let available):
      let shown = available.prefix(10).joined(separator: ", ")
      return
        "no tensor named '\(name)' (the file has \(available.count): \(shown)\(available.count > 10 ? ", …" : ""))."
    case .wrongDType(let tensor, let dtype, let requested):
      return "tensor '\(tensor)' has dtype \(dtype), which cannot be read as \(requested)."
    case .invalidName(let name):
      return "'\(name)' cannot be used as a tensor name."
    case .writeFailed(let reason):
      return "cannot write the file (\(reason))."
    }
  }

  private var hint: String {
    switch kind {
    case .unreadable:
      return "Check the path and its permissions."
    case .writeFailed:
      return "Check that the directory exists and is writable."
    case .missingTensor, .wrongDType:
      return "Check the tensor name and dtype the checkpoint was saved with."
    case .invalidName:
      return "Rename the tensor; '__metadata__' is reserved by the format."
    case .unknownDType:
      return
        "Convert the checkpoint to F32, F16, BF16 or F64 (e.g. `tensor.float()` before `save_file`)."
    default:
      return
        "The file is truncated or was not written by a safetensors writer; re-export it with `safetensors.torch.save_file`."
    }
  }
}
