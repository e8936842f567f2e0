/// The opcode loop of `PickleMachine`, one case per opcode as `pickletools` documents them.
extension PickleMachine {
  /// Opcode names for messages (`pickletools` spelling).
  static let opcodeNames: [UInt8: String] = [
    0x80: "PROTO", 0x95: "FRAME", 0x2e: "STOP", 0x28: "MARK", 0x30: "POP", 0x31: "POP_MARK",
    0x32: "DUP", 0x4e: "NONE", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x4a: "BININT",
    0x4b: "BININT1", 0x4d: "BININT2", 0x8a: "LONG1", 0x8b: "LONG4", 0x47: "BINFLOAT",
    0x58: "BINUNICODE", 0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8", 0x42: "BINBYTES",
    0x43: "SHORT_BINBYTES", 0x8e: "BINBYTES8", 0x96: "BYTEARRAY8", 0x54: "BINSTRING",
    0x55: "SHORT_BINSTRING", 0x29: "EMPTY_TUPLE", 0x85: "TUPLE1", 0x86: "TUPLE2",
    0x87: "TUPLE3", 0x74: "TUPLE", 0x5d: "EMPTY_LIST", 0x61: "APPEND", 0x65: "APPENDS",
    0x6c: "LIST", 0x7d: "EMPTY_DICT", 0x73: "SETITEM", 0x75: "SETITEMS", 0x64: "DICT",
    0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x71: "BINPUT", 0x72: "LONG_BINPUT",
    0x94: "MEMOIZE", 0x68: "BINGET", 0x6a: "LONG_BINGET", 0x70: "PUT", 0x67: "GET",
    0x63: "GLOBAL", 0x93: "STACK_GLOBAL", 0x52: "REDUCE", 0x62: "BUILD", 0x81: "NEWOBJ",
    0x92: "NEWOBJ_EX", 0x51: "BINPERSID", 0x50: "PERSID", 0x49: "INT", 0x4c: "LONG",
    0x46: "FLOAT", 0x53: "STRING", 0x56: "UNICODE", 0x69: "INST", 0x6f: "OBJ", 0x82: "EXT1",
    0x83: "EXT2", 0x84: "EXT4", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
  ]

  /// Runs the stream to STOP and returns the value on top of the stack.
  mutating func run() throws -> PickleItem {
    while position < bytes.count {
      opcodeOffset = position
      let opcode = bytes[position]
      position += 1
      guard let name = Self.opcodeNames[opcode] else { throw fail(.unknownOpcode(opcode)) }
      opcodeName = name
      if opcode == 0x2e {  // STOP
        return try pop()
      }
      try execute(opcode)
    }
    opcodeOffset = position
    throw fail(.missingStop)
  }

  // swiftlint:disable:next cyclomatic_complexity function_body_length
  private mutating func execute(_ opcode: UInt8) throws {
    switch opcode {
    case 0x80:  // PROTO
      let version = Int(try readUnsigned(1))
      guard version <= 5 else { throw fail(.unsupportedProtocol(version)) }
    case 0x95:  // FRAME: a length hint only
      _ = try readUnsigned(8)
    case 0x28: marks.append(stack.count)  // MARK
    case 0x30: _ = try pop()  // POP
    case 0x31: _ = try popToMark()  // POP_MARK
    case 0x32: push(try top())  // DUP
    case 0x4e: push(.none)
    case 0x88: push(.bool(true))
    case 0x89: push(.bool(false))
    case 0x4a: push(.int(Int(Int32(truncatingIfNeeded: try readUnsigned(4)))))  // BININT
    case 0x4b: push(.int(Int(try readUnsigned(1))))  // BININT1
    case 0x4d: push(.int(Int(try readUnsigned(2))))  // BININT2
    case 0x8a: push(.int(try readLong(lengthBytes: 1)))  // LONG1
    case 0x8b: push(.int(try readLong(lengthBytes: 4)))  // LONG4
    case 0x47:  // BINFLOAT: big-endian binary64
      var bits: UInt64 = 0
      for byte in try read(8) { bits = bits << 8 | UInt64(byte) }
      push(.float(Double(bitPattern: bits)))
    case 0x58: push(.string(try readUTF8(lengthBytes: 4)))  // BINUNICODE
    case 0x8c: push(.string(try readUTF8(lengthBytes: 1)))  // SHORT_BINUNICODE
    case 0x8d: push(.string(try readUTF8(lengthBytes: 8)))  // BINUNICODE8
    case 0x42, 0x54: push(.bytes(Array(try read(try readLength(4)))))  // BINBYTES, BINSTRING
    case 0x43, 0x55: push(.bytes(Array(try read(try readLength(1)))))  // SHORT_BIN{BYTES,STRING}
    case 0x8e, 0x96: push(.bytes(Array(try read(try readLength(8)))))  // BINBYTES8, BYTEARRAY8
    case 0x49, 0x4c:  // INT, LONG (text form; protocol 0/1 and Python 2 booleans `I01`)
      var line = try readLine()
      if opcode == 0x4c, line.hasSuffix("L") { line.removeLast() }
      if opcode == 0x49, line == "01" || line == "00" {
        push(.bool(line == "01"))
      } else if let value = Int(line) {
        push(.int(value))
      } else {
        throw fail(.integerTooLarge(byteCount: line.count))
      }
    case 0x29: push(makeTuple([]))  // EMPTY_TUPLE
    case 0x85: push(makeTuple(try popCount(1)))  // TUPLE1
    case 0x86: push(makeTuple(try popCount(2)))  // TUPLE2
    case 0x87: push(makeTuple(try popCount(3)))  // TUPLE3
    case 0x74: push(makeTuple(try popToMark()))  // TUPLE
    case 0x5d:  // EMPTY_LIST
      lists.append([])
      push(.list(lists.count - 1))
    case 0x6c:  // LIST
      lists.append(try popToMark())
      push(.list(lists.count - 1))
    case 0x61:  // APPEND
      let item = try pop()
      try appendToList([item])
    case 0x65: try appendToList(try popToMark())  // APPENDS
    case 0x7d:  // EMPTY_DICT
      dicts.append(PickleDictStore())
      push(.dict(dicts.count - 1))
    case 0x64:  // DICT
      let items = try popToMark()
      dicts.append(PickleDictStore())
      push(.dict(dicts.count - 1))
      try setItems(items)
    case 0x73:  // SETITEM
      let value = try pop()
      let key = try pop()
      try setItems([key, value])
    case 0x75: try setItems(try popToMark())  // SETITEMS
    case 0x8f:  // EMPTY_SET
      sets.append([])
      push(.set(sets.count - 1))
    case 0x90:  // ADDITEMS
      let items = try popToMark()
      guard case .set(let index) = try top() else {
        throw fail(.typeMismatch(opcode: opcodeName, expected: "a set", found: try top().typeName))
      }
      sets[index] += items
    case 0x91:  // FROZENSET
      sets.append(try popToMark())
      push(.set(sets.count - 1))
    case 0x71: memo[Int(try readUnsigned(1))] = try top()  // BINPUT
    case 0x72: memo[Int(try readUnsigned(4))] = try top()  // LONG_BINPUT
    case 0x94: memo[memo.count] = try top()  // MEMOIZE
    case 0x68: push(try memoItem(Int(try readUnsigned(1))))  // BINGET
    case 0x6a: push(try memoItem(Int(try readUnsigned(4))))  // LONG_BINGET
    case 0x70:  // PUT (text)
      guard let index = Int(try readLine()) else { throw fail(.memoMiss(index: -1)) }
      memo[index] = try top()
    case 0x67:  // GET (text)
      guard let index = Int(try readLine()) else { throw fail(.memoMiss(index: -1)) }
      push(try memoItem(index))
    case 0x63:  // GLOBAL
      let module = try readLine()
      let name = try readLine()
      push(try resolveGlobal(module: module, name: name))
    case 0x93:  // STACK_GLOBAL
      let name = try pop()
      let module = try pop()
      guard case .string(let moduleName) = module, case .string(let globalName) = name else {
        throw fail(
          .typeMismatch(
            opcode: opcodeName, expected: "two str", found: "\(module.typeName), \(name.typeName)"))
      }
      push(try resolveGlobal(module: moduleName, name: globalName))
    case 0x69:  // INST: names a class to call; only ever refused
      let module = try readLine()
      let name = try readLine()
      _ = try resolveGlobal(module: module, name: name)
      throw fail(.unsupportedOpcode(opcodeName))
    case 0x52:  // REDUCE
      let arguments = try pop()
      let callable = try pop()
      push(try call(callable, arguments: arguments))
    case 0x81:  // NEWOBJ: cls.__new__(cls, *args)
      let arguments = try pop()
      let callable = try pop()
      push(try call(callable, arguments: arguments))
    case 0x92:  // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
      let keywords = try pop()
      let arguments = try pop()
      let callable = try pop()
      guard case .dict(let index) = keywords, dicts[index].keys.isEmpty else {
        throw fail(
          .typeMismatch(
            opcode: opcodeName, expected: "no keyword arguments", found: keywords.typeName))
      }
      push(try call(callable, arguments: arguments))
    case 0x62:  // BUILD
      let state = try pop()
      try build(try top(), state: state)
    case 0x51:  // BINPERSID
      persistentIDs.append(try pop())
      push(.persistentID(persistentIDs.count - 1))
    case 0x50:  // PERSID (text)
      persistentIDs.append(.string(try readLine()))
      push(.persistentID(persistentIDs.count - 1))
    default:
      // FLOAT, STRING, UNICODE (text forms), OBJ, EXT1/2/4 (the copyreg extension registry),
      // NEXT_BUFFER and READONLY_BUFFER (out-of-band buffers): never written by the producers
      // this reader serves.
      throw fail(.unsupportedOpcode(opcodeName))
    }
  }

  private mutating func popCount(_ count: Int) throws -> [PickleItem] {
    var items = [PickleItem]()
    for _ in 0..<count { items.append(try pop()) }
    return items.reversed()
  }

  private func memoItem(_ index: Int) throws -> PickleItem {
    guard let item = memo[index] else { throw fail(.memoMiss(index: index)) }
    return item
  }

  /// A little-endian two's-complement integer with a length prefix (LONG1, LONG4).
  private mutating func readLong(lengthBytes: Int) throws -> Int {
    let count = try readLength(lengthBytes)
    let digits = try read(count)
    guard count > 0 else { return 0 }
    // Wider than 8 bytes is fine only if the extra bytes are sign extension.
    let signByte: UInt8 = (digits.last ?? 0) & 0x80 != 0 ? 0xff : 0
    guard count <= 8 || digits.dropFirst(8).allSatisfy({ $0 == signByte }) else {
      throw fail(.integerTooLarge(byteCount: count))
    }
    var bits: UInt64 = 0
    for (shift, byte) in digits.prefix(8).enumerated() { bits |= UInt64(byte) << (8 * shift) }
    if count < 8, signByte == 0xff { bits |= ~0 << (8 * UInt64(count)) }
    let value = Int64(bitPattern: bits)
    if count > 8, (value < 0) != (signByte == 0xff) {
      throw fail(.integerTooLarge(byteCount: count))
    }
    return Int(value)
  }

  private mutating func appendToList(_ items: [PickleItem]) throws {
    let target = try top()
    guard case .list(let index) = target else {
      throw fail(.typeMismatch(opcode: opcodeName, expected: "a list", found: target.typeName))
    }
    lists[index] += items
  }

  private mutating func setItems(_ items: [PickleItem]) throws {
    let target = try top()
    guard case .dict(let index) = target else {
      throw fail(.typeMismatch(opcode: opcodeName, expected: "a dict", found: target.typeName))
    }
    guard items.count % 2 == 0 else {
      throw fail(
        .typeMismatch(
          opcode: opcodeName, expected: "key–value pairs", found: "\(items.count) items"))
    }
    for pair in stride(from: 0, to: items.count, by: 2) {
      dicts[index].set(items[pair], items[pair + 1])
    }
  }
}
