/// A pickle stream that the allow-list unpickler refuses, with the byte offset of the opcode.
///
/// Every defect — truncation, an unknown opcode, a stack underflow, a memo miss, a nesting or
/// expansion bomb, or a global that is not on the allow-list — is reported through this error,
/// never by a crash, and nothing named by the file is ever imported or executed.
public struct PickleError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What is wrong.
  public enum Kind: Equatable, Sendable {
    /// The stream ends inside an opcode's argument.
    case truncated(opcode: String, needed: Int, available: Int)
    /// The stream ends without a STOP opcode.
    case missingStop
    /// A byte that is not a pickle opcode.
    case unknownOpcode(UInt8)
    /// A real pickle opcode that this reader deliberately does not implement.
    case unsupportedOpcode(String)
    /// A protocol newer than 5.
    case unsupportedProtocol(Int)
    /// An opcode needs more values than the stack holds.
    case stackUnderflow(opcode: String)
    /// An opcode that collects items up to a MARK found none.
    case missingMark(opcode: String)
    /// A memo lookup of an index that was never stored.
    case memoMiss(index: Int)
    /// A global (class or function) that is not on the allow-list.
    case forbiddenGlobal(module: String, name: String)
    /// An allowed callable applied to arguments it does not accept, or used in a way it is not.
    case invalidArguments(callable: String, detail: String)
    /// An opcode applied to a value of the wrong type (APPEND onto a dict, SETITEM onto a list).
    case typeMismatch(opcode: String, expected: String, found: String)
    /// A string that is not valid UTF-8.
    case invalidUTF8(opcode: String)
    /// An integer wider than 64 bits.
    case integerTooLarge(byteCount: Int)
    /// Containers nested deeper than the limit (or a container that contains itself).
    case nestingTooDeep(limit: Int)
    /// Shared references expand to more values than the file's size allows.
    case expansionTooLarge(limit: Int)
  }

  /// Offset of the offending opcode in the stream.
  public let offset: Int
  /// The defect.
  public let kind: Kind

  /// Creates an error at byte `offset`.
  public init(offset: Int, kind: Kind) {
    self.offset = offset
    self.kind = kind
  }

  /// `pickle byte N: defect`.
  public var description: String { "pickle byte \(offset): \(defect)" }

  private var defect: String {
    switch kind {
    case .truncated(let opcode, let needed, let available):
      return
        "the stream is truncated: \(opcode) needs \(needed) more bytes but \(available) remain."
    case .missingStop:
      return "the stream ends without a STOP opcode (the file is truncated)."
    case .unknownOpcode(let byte):
      let hex = String(byte, radix: 16, uppercase: false)
      return "unknown opcode 0x\(hex.count == 1 ? "0" : "")\(hex); this is not a pickle stream."
    case .unsupportedOpcode(let name):
      return "opcode \(name) is not supported by this reader (torch.save and pickle.dump "
        + "with protocols 2–5 never need it)."
    case .unsupportedProtocol(let version):
      return "pickle protocol \(version) is newer than the supported protocols 0–5."
    case .stackUnderflow(let opcode):
      return "\(opcode) needs more values than the stack holds (malformed stream)."
    case .missingMark(let opcode):
      return "\(opcode) needs a MARK that is not on the stack (malformed stream)."
    case .memoMiss(let index):
      return "memo entry \(index) is read before it is stored (malformed stream)."
    case .forbiddenGlobal(let module, let name):
      return "the file tries to import and run `\(module).\(name)`, which is not on the "
        + "allow-list; it was not executed. Only tensors, containers and numpy arrays are read "
        + "from pickles — if this file should hold weights, re-save it as a plain state dict "
        + "(`torch.save(model.state_dict(), path)`) or as safetensors."
    case .invalidArguments(let callable, let detail):
      return "`\(callable)` is allowed, but not like this: \(detail)."
    case .typeMismatch(let opcode, let expected, let found):
      return "\(opcode) expects \(expected) but found \(found) (malformed stream)."
    case .invalidUTF8(let opcode):
      return "\(opcode) holds a string that is not valid UTF-8."
    case .integerTooLarge(let count):
      return "an integer of \(count) bytes does not fit in 64 bits."
    case .nestingTooDeep(let limit):
      return "containers nest deeper than \(limit) levels (or a container contains itself)."
    case .expansionTooLarge(let limit):
      return "shared references expand to more than \(limit) values, more than a file of this "
        + "size can legitimately hold (a memo expansion bomb)."
    }
  }
}
