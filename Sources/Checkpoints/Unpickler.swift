/// An allow-list unpickler for the streams `torch.save` and `pickle.dump` write (protocols 0–5
/// in binary form; protocol 2 is what `torch.save` and the CIFAR-10 batch files use).
///
/// Unlike Python's `pickle.load`, this reader never imports or calls anything a file names:
/// `GLOBAL`/`STACK_GLOBAL` resolve only to the `PickleCallable` cases in `allowing`, each
/// implemented in Swift; anything else (`os.system`, `builtins.eval`) is refused with
/// `PickleError.Kind.forbiddenGlobal` at the opcode that names it. Malformed streams throw a
/// `PickleError` with the byte offset — never a crash — and memory stays proportional to the
/// stream: lengths are checked against the bytes that remain before anything is allocated,
/// containers live in flat arenas (no deep reference chains), and the final value's nesting depth
/// and size (after memo sharing is expanded) are capped.
public enum Unpickler {
  /// The deepest container nesting accepted in the result.
  public static let maximumNestingDepth = 256

  /// Decodes the pickle in `bytes`, resolving only the globals in `allowing`.
  ///
  /// - Parameter allowing: The callables the stream may use; `.torchCheckpoint` for a
  ///   `torch.save` `data.pkl`, `.numpyArrays` for `pickle.dump` of numpy arrays.
  public static func load(_ bytes: [UInt8], allowing: Set<PickleCallable> = .torchCheckpoint)
    throws -> PickleValue
  {
    var machine = PickleMachine(bytes: bytes, allowed: allowing)
    let result = try machine.run()
    return try machine.value(of: result)
  }
}

/// A value on the unpickler's stack. Containers are indices into the machine's arenas, so that
/// opcodes can mutate a container that is also memoized, and so that no value holds a deep chain
/// of references (whose release could overflow the call stack).
enum PickleItem {
  case none
  case bool(Bool)
  case int(Int)
  case float(Double)
  case string(String)
  case bytes([UInt8])
  case tuple(Int)
  case list(Int)
  case dict(Int)
  case set(Int)
  case global(PickleCallable)
  case persistentID(Int)
  case tensor(TorchTensorReference)
  case object(Int)

  var typeName: String {
    switch self {
    case .none: "None"
    case .bool: "bool"
    case .int: "int"
    case .float: "float"
    case .string: "str"
    case .bytes: "bytes"
    case .tuple: "tuple"
    case .list: "list"
    case .dict: "dict"
    case .set: "set"
    case .global(let callable): "`\(callable.qualifiedName)`"
    case .persistentID: "persistent id"
    case .tensor: "tensor"
    case .object: "object"
    }
  }
}

/// An object that an allowed callable created and BUILD may complete.
enum PickleObject {
  /// `_reconstruct(ndarray, (0,), b"b")` before its BUILD.
  case pendingArray
  case array(NumpyArray)
  case dtype(NumpyDType)
}

/// A hashable image of a scalar dict key, so SETITEM replaces an existing key as Python does.
enum PickleKey: Hashable {
  case none
  case int(Int)
  case float(UInt64)
  case string(String)
  case bytes([UInt8])

  init?(_ item: PickleItem) {
    switch item {
    case .none: self = .none
    case .bool(let value): self = .int(value ? 1 : 0)
    case .int(let value): self = .int(value)
    case .float(let value): self = .float(value.bitPattern)
    case .string(let value): self = .string(value)
    case .bytes(let value): self = .bytes(value)
    default: return nil
    }
  }
}

/// A dict in insertion order, with an index of its scalar keys.
struct PickleDictStore {
  var keys: [PickleItem] = []
  var values: [PickleItem] = []
  var index: [PickleKey: Int] = [:]

  mutating func set(_ key: PickleItem, _ value: PickleItem) {
    if let scalar = PickleKey(key) {
      if let existing = index[scalar] {
        values[existing] = value
        return
      }
      index[scalar] = keys.count
    }
    keys.append(key)
    values.append(value)
  }
}

/// The pickle virtual machine: a stack, a mark stack, a memo and the container arenas.
struct PickleMachine {
  let bytes: [UInt8]
  let allowed: Set<PickleCallable>
  var position = 0
  /// Offset of the opcode being executed, for errors.
  var opcodeOffset = 0
  var opcodeName = ""
  var stack: [PickleItem] = []
  /// Stack heights at each MARK; opcodes never pop below the innermost one.
  var marks: [Int] = []
  var memo: [Int: PickleItem] = [:]
  var tuples: [[PickleItem]] = []
  var lists: [[PickleItem]] = []
  var dicts: [PickleDictStore] = []
  var sets: [[PickleItem]] = []
  var persistentIDs: [PickleItem] = []
  var objects: [PickleObject] = []

  init(bytes: [UInt8], allowed: Set<PickleCallable>) {
    self.bytes = bytes
    self.allowed = allowed
  }

  func fail(_ kind: PickleError.Kind) -> PickleError {
    PickleError(offset: opcodeOffset, kind: kind)
  }

  // MARK: Reading the stream

  mutating func read(_ count: Int) throws -> ArraySlice<UInt8> {
    let available = bytes.count - position
    guard count <= available else {
      throw fail(.truncated(opcode: opcodeName, needed: count, available: available))
    }
    defer { position += count }
    return bytes[position..<(position + count)]
  }

  /// A little-endian unsigned integer of `count` bytes.
  mutating func readUnsigned(_ count: Int) throws -> UInt64 {
    var value: UInt64 = 0
    for (shift, byte) in try read(count).enumerated() { value |= UInt64(byte) << (8 * shift) }
    return value
  }

  /// A length prefix of `count` bytes, checked against the bytes that remain.
  mutating func readLength(_ count: Int) throws -> Int {
    let length = try readUnsigned(count)
    let available = bytes.count - position
    guard length <= UInt64(available) else {
      throw fail(
        .truncated(opcode: opcodeName, needed: Int(clamping: length), available: available))
    }
    return Int(length)
  }

  /// Bytes up to (not including) the next newline, for the text-form opcodes.
  mutating func readLine() throws -> String {
    guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
      throw fail(.truncated(opcode: opcodeName, needed: 1, available: bytes.count - position))
    }
    defer { position = end + 1 }
    guard let line = String(bytes: bytes[position..<end], encoding: .utf8) else {
      throw fail(.invalidUTF8(opcode: opcodeName))
    }
    return line
  }

  mutating func readUTF8(lengthBytes: Int) throws -> String {
    let slice = try read(try readLength(lengthBytes))
    guard let string = String(bytes: slice, encoding: .utf8) else {
      throw fail(.invalidUTF8(opcode: opcodeName))
    }
    return string
  }

  // MARK: Stack

  mutating func push(_ item: PickleItem) { stack.append(item) }

  mutating func pop() throws -> PickleItem {
    guard stack.count > (marks.last ?? 0) else { throw fail(.stackUnderflow(opcode: opcodeName)) }
    return stack.removeLast()
  }

  func top() throws -> PickleItem {
    guard stack.count > (marks.last ?? 0), let last = stack.last else {
      throw fail(.stackUnderflow(opcode: opcodeName))
    }
    return last
  }

  /// The items above the innermost MARK, removing them and the mark.
  mutating func popToMark() throws -> [PickleItem] {
    guard let mark = marks.popLast() else { throw fail(.missingMark(opcode: opcodeName)) }
    let items = Array(stack[mark...])
    stack.removeSubrange(mark...)
    return items
  }

  mutating func makeTuple(_ items: [PickleItem]) -> PickleItem {
    tuples.append(items)
    return .tuple(tuples.count - 1)
  }

  /// The elements of a tuple or list item.
  func sequence(_ item: PickleItem) -> [PickleItem]? {
    switch item {
    case .tuple(let index): tuples[index]
    case .list(let index): lists[index]
    default: nil
    }
  }

  mutating func resolveGlobal(module: String, name: String) throws -> PickleItem {
    guard let callable = PickleCallable(module: module, name: name), allowed.contains(callable)
    else {
      throw fail(.forbiddenGlobal(module: module, name: name))
    }
    return .global(callable)
  }
}

// MARK: - Converting the result

extension PickleMachine {
  /// The value of `item`, with memo sharing expanded; depth and total size are capped. Errors
  /// found here carry the offset of the STOP opcode, where the result is taken.
  func value(of item: PickleItem) throws -> PickleValue {
    // A legitimate stream shares little (strings, storage classes); a memo bomb is exponential.
    var budget = max(bytes.count * 16, 65_536)
    return try value(of: item, depth: 0, budget: &budget)
  }

  private func value(of item: PickleItem, depth: Int, budget: inout Int) throws -> PickleValue {
    let limit = max(bytes.count * 16, 65_536)
    budget -= 1
    guard budget >= 0 else { throw fail(.expansionTooLarge(limit: limit)) }
    guard depth < Unpickler.maximumNestingDepth else {
      throw fail(.nestingTooDeep(limit: Unpickler.maximumNestingDepth))
    }
    func children(_ items: [PickleItem]) throws -> [PickleValue] {
      try items.map { try value(of: $0, depth: depth + 1, budget: &budget) }
    }
    switch item {
    case .none: return .none
    case .bool(let value): return .bool(value)
    case .int(let value): return .int(value)
    case .float(let value): return .float(value)
    case .string(let value): return .string(value)
    case .bytes(let value): return .bytes(value)
    case .tuple(let index): return .tuple(try children(tuples[index]))
    case .list(let index): return .list(try children(lists[index]))
    case .set(let index): return .set(try children(sets[index]))
    case .dict(let index):
      let store = dicts[index]
      let keys = try children(store.keys)
      let values = try children(store.values)
      return .dict(zip(keys, values).map { PickleValue.Entry(key: $0, value: $1) })
    case .global(let callable): return .global(callable)
    case .persistentID(let index):
      return .persistentID(try value(of: persistentIDs[index], depth: depth + 1, budget: &budget))
    case .tensor(let reference): return .tensor(reference)
    case .object(let index):
      switch objects[index] {
      case .array(let array): return .ndarray(array)
      case .dtype(let dtype): return .numpyDType(dtype)
      case .pendingArray:
        throw fail(
          .invalidArguments(
            callable: PickleCallable.numpyReconstruct.qualifiedName,
            detail: "the array is never given its contents by BUILD"))
      }
    }
  }
}
