import Checkpoints
import Foundation
import Testing

@testable import Vision

/// The bytes of `Tests/VisionTests/Fixtures/<name>` (see scripts/fixtures/make_checkpoint_fixtures.py).
private func pickleFixture(_ name: String) throws -> [UInt8] {
  let url = try #require(Bundle.module.resourceURL)
    .appendingPathComponent("Fixtures").appendingPathComponent(name)
  return [UInt8](try Data(contentsOf: url))
}

/// Bytes from a hex string written by Python's `bytes.hex()`.
private func hexBytes(_ hex: String) -> [UInt8] {
  var result: [UInt8] = []
  var index = hex.startIndex
  while index < hex.index(before: hex.endIndex) {
    let next = hex.index(index, offsetBy: 2)
    result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
    index = next
  }
  return result
}

/// The `PickleError` that loading `bytes` throws, if any.
private func pickleError(_ bytes: [UInt8], allowing: Set<PickleCallable> = .torchCheckpoint)
  -> PickleError?
{
  do {
    _ = try Unpickler.load(bytes, allowing: allowing)
    return nil
  } catch {
    return error as? PickleError
  }
}

/// Python's values in the test below: `(None, True, False, -1, 300, 70000, -(2**40), 3.5, 'é',
/// b'\x00\xff', [1, 'a'], {'a': 2, 'b': [3]}, {4}, frozenset([5]), ())`.
private let builtinValues: PickleValue = .tuple([
  .none, .bool(true), .bool(false), .int(-1), .int(300), .int(70000), .int(-(1 << 40)),
  .float(3.5), .string("é"), .bytes([0, 255]), .list([.int(1), .string("a")]),
  .dict([
    .init(key: .string("a"), value: .int(2)), .init(key: .string("b"), value: .list([.int(3)])),
  ]),
  .set([.int(4)]), .set([.int(5)]), .tuple([]),
])

@Suite("Unpickler")
struct PickleTests {
  @Test("protocol 4 built-in values (FRAME, MEMOIZE, BININT*, LONG1, BINFLOAT, sets)")
  func protocol4Builtins() throws {
    // pickle.dumps(values, protocol=4).hex()
    let bytes = hexBytes(
      "8004955600000000000000284e88894affffffff4d2c014a701101008a060000000000ff47400c00000000"
        + "00008c02c3a994430200ff945d94284b018c016194657d942868034b028c0162945d944b0361758f94284b"
        + "0490284b0591942974942e")
    #expect(try Unpickler.load(bytes, allowing: .builtinsOnly) == builtinValues)
  }

  @Test("protocol 2 built-in values (bytes via _codecs.encode, __builtin__.set)")
  func protocol2Builtins() throws {
    // pickle.dumps(values, protocol=2).hex()
    let bytes = hexBytes(
      "8002284e88894affffffff4d2c014a701101008a060000000000ff47400c0000000000005802000000c3a9"
        + "7100635f636f646563730a656e636f64650a7101580300000000c3bf710258060000006c6174696e3171"
        + "038671045271055d7106284b015801000000617107657d71082868074b0258010000006271095d710a4b"
        + "036175635f5f6275696c74696e5f5f0a7365740a710b5d710c4b046185710d52710e635f5f6275696c74"
        + "696e5f5f0a66726f7a656e7365740a710f5d71104b0561857111527112297471132e")
    #expect(
      try Unpickler.load(bytes, allowing: [.codecsEncode, .set, .frozenset]) == builtinValues)
    // Without `_codecs.encode` on the allow-list the same stream is refused where it names it
    // (pickletools.dis: `45: c GLOBAL '_codecs encode'`).
    #expect(
      pickleError(bytes, allowing: .builtinsOnly)
        == PickleError(offset: 45, kind: .forbiddenGlobal(module: "_codecs", name: "encode")))
  }

  @Test("LONG1 decodes two's complement, sign extension beyond 8 bytes, and refuses 65 bits")
  func long1() throws {
    #expect(try Unpickler.load([0x8a, 1, 0xff, 0x2e]) == .int(-1))
    #expect(try Unpickler.load([0x8a, 2, 0x00, 0x80, 0x2e]) == .int(-32768))
    #expect(try Unpickler.load([0x8a, 0, 0x2e]) == .int(0))
    #expect(
      try Unpickler.load([0x8a, 9] + [UInt8](repeating: 0xff, count: 9) + [0x2e]) == .int(-1))
    #expect(
      pickleError([0x8a, 9] + [UInt8](repeating: 0, count: 8) + [1, 0x2e])
        == PickleError(offset: 0, kind: .integerTooLarge(byteCount: 9)))
  }

  @Test("CIFAR-10-style batch written by Python 3 pickle.dump(protocol=2)")
  func cifarPython3() throws {
    let value = try Unpickler.load(
      try pickleFixture("pickle_cifar_py3.pkl"), allowing: .numpyArrays)
    // b"data": (np.arange(36) * 7 % 256).astype(np.uint8).reshape(3, 12)
    guard case .ndarray(let data) = try #require(value["data"]) else {
      Issue.record("data is not an array")
      return
    }
    #expect(data.shape == [3, 12])
    #expect(data.dtype.scalarType == .uint8)
    #expect(data.data == (0..<36).map { UInt8($0 * 7 % 256) })
    #expect(data.data.prefix(4) == [0, 7, 14, 21] && data.data.last == 245)
    #expect(data.integers() == (0..<36).map { Int64($0 * 7 % 256) })
    // b"labels": [6, 9, 9]; b"batch_label": b"training batch 1 of 5"
    #expect(value["labels"] == .list([.int(6), .int(9), .int(9)]))
    #expect(value["batch_label"] == .bytes(Array("training batch 1 of 5".utf8)))
    #expect(value["filenames"]?.elements?.compactMap(\.stringValue) == ["a.png", "b.png", "c.png"])
    // The keys are bytes (b"data"), as pickle.load(f, encoding="bytes") returns them.
    guard case .dict(let entries) = value else { return }
    #expect(
      entries.map(\.key)
        == ["batch_label", "labels", "data", "filenames"].map {
          PickleValue.bytes(Array($0.utf8))
        })
  }

  @Test("the same batch as Python 2 cPickle writes it (SHORT_BINSTRING, BINSTRING) decodes equal")
  func cifarPython2() throws {
    let python2 = try Unpickler.load(
      try pickleFixture("pickle_cifar_py2.pkl"), allowing: .numpyArrays)
    let python3 = try Unpickler.load(
      try pickleFixture("pickle_cifar_py3.pkl"), allowing: .numpyArrays)
    guard case .dict(let entries2) = python2, case .dict(let entries3) = python3 else {
      Issue.record("not dicts")
      return
    }
    // Same keys (py2 writes them in a different order) and the same values.
    #expect(
      Set(entries2.compactMap(\.key.stringValue)) == Set(entries3.compactMap(\.key.stringValue)))
    for key in ["data", "labels", "batch_label", "filenames"] {
      #expect(python2[key] == python3[key], "\(key)")
    }
  }

  @Test("numpy float32, int64, Fortran-ordered and big-endian arrays")
  func numpyArrays() throws {
    let value = try Unpickler.load(
      try pickleFixture("pickle_numpy_arrays.pkl"), allowing: .numpyArrays)
    func array(_ key: String) throws -> NumpyArray {
      struct NotAnArray: Error {}
      guard case .ndarray(let array) = try #require(value[key]) else { throw NotAnArray() }
      return array
    }
    // "f32": np.array([0.5, -1.25], dtype=np.float32)
    #expect(try array("f32").floats() == [0.5, -1.25])
    #expect(try array("f32").integers() == nil)
    // "i64": np.array([[1, -2], [3, 2**40]], dtype=np.int64)
    #expect(try array("i64").shape == [2, 2])
    #expect(try array("i64").integers() == [1, -2, 3, 1 << 40])
    // "fortran": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    let fortran = try array("fortran")
    #expect(fortran.isFortranOrder && fortran.shape == [2, 3])
    #expect(fortran.floats() == [0, 1, 2, 3, 4, 5])
    // "big": np.array([1, -2], dtype=">i4")
    #expect(try array("big").dtype.isBigEndian)
    #expect(try array("big").integers() == [1, -2])
  }
}

@Suite("Unpickler refuses what it must not run")
struct PickleSecurityTests {
  @Test("GLOBAL os.system + REDUCE is refused at the GLOBAL, naming os.system")
  func osSystem() throws {
    let error = try #require(pickleError(try pickleFixture("pickle_os_system.pkl")))
    #expect(error == PickleError(offset: 2, kind: .forbiddenGlobal(module: "os", name: "system")))
    #expect(error.description.contains("tries to import and run `os.system`"))
    #expect(error.description.contains("not executed"))
  }

  @Test("STACK_GLOBAL builtins.eval (protocol 4) is refused, under every allow-list")
  func builtinsEval() throws {
    let bytes = try pickleFixture("pickle_builtins_eval.pkl")
    let expected = PickleError(offset: 29, kind: .forbiddenGlobal(module: "builtins", name: "eval"))
    for allowList in [
      Set<PickleCallable>.torchCheckpoint, .numpyArrays, Set(PickleCallable.allCases),
    ] {
      #expect(pickleError(bytes, allowing: allowList) == expected)
    }
  }

  @Test("an allowed callable applied to wrong arguments is refused")
  func wrongCallable() throws {
    // GLOBAL 'torch._utils _rebuild_tensor_v2'; REDUCE (1, 2) (pickletools.dis: `44: R REDUCE`)
    let error = try #require(pickleError(try pickleFixture("pickle_wrong_callable.pkl")))
    #expect(
      error
        == PickleError(
          offset: 44,
          kind: .invalidArguments(
            callable: "torch._utils._rebuild_tensor_v2", detail: "expected 6 or 7 arguments, got 2")
        ))
  }

  @Test("a storage class cannot be called, and numpy globals are not in the torch allow-list")
  func misusedGlobals() throws {
    // GLOBAL 'torch FloatStorage'; EMPTY_TUPLE; REDUCE; STOP
    let bytes: [UInt8] = [0x80, 0x02] + Array("ctorch\nFloatStorage\n".utf8) + [0x29, 0x52, 0x2e]
    guard case .invalidArguments(let callable, _) = pickleError(bytes)?.kind else {
      Issue.record("expected invalidArguments")
      return
    }
    #expect(callable == "torch.FloatStorage")
    let cifar = try pickleFixture("pickle_cifar_py3.pkl")
    #expect(
      pickleError(cifar, allowing: .torchCheckpoint)
        == PickleError(offset: 6, kind: .forbiddenGlobal(module: "_codecs", name: "encode")))
  }
}

@Suite("Unpickler on malformed streams")
struct PickleMalformedTests {
  @Test("truncation: empty, no STOP, and a length prefix past the end")
  func truncation() {
    #expect(pickleError([]) == PickleError(offset: 0, kind: .missingStop))
    #expect(pickleError([0x80, 0x02]) == PickleError(offset: 2, kind: .missingStop))
    // BINUNICODE of length 5 with one byte left
    #expect(
      pickleError([0x80, 0x02, 0x58, 5, 0, 0, 0, 0x61])
        == PickleError(offset: 2, kind: .truncated(opcode: "BINUNICODE", needed: 5, available: 1)))
    // BINBYTES8 claiming 2⁶⁴ − 1 bytes: refused before anything is allocated
    #expect(
      pickleError([0x8e] + [UInt8](repeating: 0xff, count: 8))
        == PickleError(
          offset: 0, kind: .truncated(opcode: "BINBYTES8", needed: Int.max, available: 0)))
    // BININT with 2 of its 4 bytes
    #expect(
      pickleError([0x4a, 1, 2])
        == PickleError(offset: 0, kind: .truncated(opcode: "BININT", needed: 4, available: 2)))
  }

  @Test("unknown opcodes, unsupported opcodes and protocols")
  func unknownOpcodes() {
    #expect(pickleError([0xff]) == PickleError(offset: 0, kind: .unknownOpcode(0xff)))
    #expect(pickleError([0x80, 0x02, 0x00]) == PickleError(offset: 2, kind: .unknownOpcode(0)))
    #expect(pickleError([0x80, 6]) == PickleError(offset: 0, kind: .unsupportedProtocol(6)))
    #expect(pickleError([0x82, 1]) == PickleError(offset: 0, kind: .unsupportedOpcode("EXT1")))
  }

  @Test("stack underflow, a missing MARK, a memo miss and type mismatches")
  func stackDefects() {
    #expect(pickleError([0x2e]) == PickleError(offset: 0, kind: .stackUnderflow(opcode: "STOP")))
    #expect(
      pickleError([0x80, 0x02, 0x61, 0x2e])
        == PickleError(offset: 2, kind: .stackUnderflow(opcode: "APPEND")))
    // NONE, MARK, POP: POP may not reach below the MARK
    #expect(
      pickleError([0x4e, 0x28, 0x30, 0x2e])
        == PickleError(offset: 2, kind: .stackUnderflow(opcode: "POP")))
    #expect(
      pickleError([0x74, 0x2e]) == PickleError(offset: 0, kind: .missingMark(opcode: "TUPLE")))
    #expect(pickleError([0x68, 5, 0x2e]) == PickleError(offset: 0, kind: .memoMiss(index: 5)))
    // EMPTY_DICT, NONE, APPEND
    #expect(
      pickleError([0x7d, 0x4e, 0x61, 0x2e])
        == PickleError(
          offset: 2, kind: .typeMismatch(opcode: "APPEND", expected: "a list", found: "dict")))
    // NONE, EMPTY_TUPLE, REDUCE: None is not callable
    #expect(
      pickleError([0x4e, 0x29, 0x52, 0x2e])
        == PickleError(
          offset: 2,
          kind: .typeMismatch(opcode: "REDUCE", expected: "an allowed callable", found: "None")))
    #expect(
      pickleError([0x8c, 1, 0xff, 0x2e])
        == PickleError(offset: 0, kind: .invalidUTF8(opcode: "SHORT_BINUNICODE")))
  }

  @Test("nesting bombs and self-reference are refused, not recursed into")
  func nestingBombs() {
    // 100 000 × EMPTY_LIST then 99 999 × APPEND: lists nested 100 000 deep
    let deep = [UInt8](repeating: 0x5d, count: 100_000) + [UInt8](repeating: 0x61, count: 99_999)
    // (reported at the STOP opcode, byte 199 999, where the result is taken)
    #expect(
      pickleError(deep + [0x2e]) == PickleError(offset: 199_999, kind: .nestingTooDeep(limit: 256)))
    // EMPTY_LIST, DUP, APPEND: a list that contains itself
    #expect(
      pickleError([0x5d, 0x32, 0x61, 0x2e])
        == PickleError(offset: 3, kind: .nestingTooDeep(limit: 256)))
    // 255 nested lists are fine
    let fine = [UInt8](repeating: 0x5d, count: 255) + [UInt8](repeating: 0x61, count: 254)
    #expect(pickleError(fine + [0x2e]) == nil)
  }

  @Test("a memo expansion bomb (each level refers twice to the previous) is capped")
  func expansionBomb() {
    // EMPTY_LIST, BINPUT 0; then 60 × (BINGET k-1, BINGET k-1, TUPLE2, BINPUT k): 2⁶⁰ leaves
    var bytes: [UInt8] = [0x5d, 0x71, 0]
    for level in 1...60 {
      bytes += [0x68, UInt8(level - 1), 0x68, UInt8(level - 1), 0x86, 0x71, UInt8(level)]
    }
    #expect(
      pickleError(bytes + [0x2e])
        == PickleError(offset: 3 + 60 * 7, kind: .expansionTooLarge(limit: 65_536))
    )
  }
}
