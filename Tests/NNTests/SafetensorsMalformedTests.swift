import Checkpoints
import Foundation
import TestSupport
import Testing

@testable import NN
@testable import TensorCore

/// The bytes of a safetensors file: `declaredLength` (default: the header's) as a little-endian
/// u64, the header text, then `buffer`.
private func fileBytes(_ header: String, buffer: [UInt8] = [], declaredLength: UInt64? = nil)
  -> Data
{
  let headerBytes = Array(header.utf8)
  let length = declaredLength ?? UInt64(headerBytes.count)
  let prefix = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) }
  return Data(prefix + headerBytes + buffer)
}

/// The error kind thrown when parsing `data`, or nil if it parsed.
private func parseError(_ data: Data) -> SafetensorsError.Kind? {
  do {
    _ = try SafetensorsFile(bytes: data, source: "bad.safetensors")
    return nil
  } catch let error as SafetensorsError {
    #expect(error.file == "bad.safetensors")
    return error.kind
  } catch {
    Issue.record("unexpected error type \(error)")
    return nil
  }
}

private func entry(_ dtype: String = "F32", shape: String = "[2]", offsets: String = "[0, 8]")
  -> String
{
  #"{"dtype": "\#(dtype)", "shape": \#(shape), "data_offsets": \#(offsets)}"#
}

@Suite("Safetensors: malformed files give an error naming file and defect")
struct SafetensorsMalformedTests {
  let eight = [UInt8](repeating: 0, count: 8)

  @Test("a well-formed hand-built file parses (control for the cases below)")
  func control() throws {
    let file = try SafetensorsFile(
      bytes: fileBytes(#"{"a": \#(entry())}"#, buffer: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]))
    #expect(try file.tensor(named: "a").scalars == [1, 2])
  }

  @Test("prefix and header length")
  func headerLength() {
    #expect(parseError(Data([1, 2, 3, 4, 5])) == .fileTooShort(byteCount: 5))
    #expect(parseError(Data()) == .fileTooShort(byteCount: 0))
    #expect(
      parseError(fileBytes("{}", declaredLength: 1000))
        == .headerLengthExceedsFile(declared: 1000, available: 2))
    #expect(parseError(fileBytes("{}", declaredLength: .max)) == .headerTooLarge(declared: .max))
    #expect(
      parseError(fileBytes("{}", declaredLength: 100_000_001))
        == .headerTooLarge(declared: 100_000_001))
    // A header length of zero leaves an empty header, which is not JSON.
    guard case .invalidJSON = parseError(fileBytes("", declaredLength: 0)) else {
      Issue.record("empty header should be invalid JSON")
      return
    }
  }

  @Test("header not JSON, not UTF-8, not an object")
  func headerSyntax() {
    for header in ["{not json", "{\"a\": ", "{} trailing", "{'a': 1}"] {
      guard case .invalidJSON = parseError(fileBytes(header)) else {
        Issue.record("\(header) should be invalid JSON")
        continue
      }
    }
    guard case .invalidJSON = parseError(Data([2, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE])) else {
      Issue.record("invalid UTF-8 should be invalid JSON")
      return
    }
    #expect(parseError(fileBytes("[1, 2]")) == .headerNotObject)
    #expect(parseError(fileBytes("\"text\"")) == .headerNotObject)
  }

  @Test("metadata must map strings to strings")
  func metadata() {
    #expect(
      parseError(fileBytes(#"{"__metadata__": [1]}"#)) == .invalidMetadata(detail: "not an object"))
    #expect(
      parseError(fileBytes(#"{"__metadata__": {"epoch": 3}}"#))
        == .invalidMetadata(detail: "value of 'epoch' is not a string"))
  }

  @Test("entries: not an object, missing fields, wrong field types")
  func entryFields() {
    #expect(parseError(fileBytes(#"{"a": 3}"#)) == .entryNotObject(tensor: "a"))
    #expect(
      parseError(fileBytes(#"{"a": {"shape": [2], "data_offsets": [0, 8]}}"#, buffer: eight))
        == .missingField(tensor: "a", field: "dtype"))
    #expect(
      parseError(fileBytes(#"{"a": {"dtype": "F32", "data_offsets": [0, 8]}}"#, buffer: eight))
        == .missingField(tensor: "a", field: "shape"))
    #expect(
      parseError(fileBytes(#"{"a": {"dtype": "F32", "shape": [2]}}"#, buffer: eight))
        == .missingField(tensor: "a", field: "data_offsets"))
    #expect(
      parseError(
        fileBytes(#"{"a": {"dtype": 32, "shape": [2], "data_offsets": [0, 8]}}"#, buffer: eight))
        == .invalidField(tensor: "a", field: "dtype", detail: "not a string"))
    for shape in [#""2""#, "[1.5]", "[true]", "[[2]]", "2"] {
      #expect(
        parseError(fileBytes(#"{"a": \#(entry(shape: shape))}"#, buffer: eight))
          == .invalidField(tensor: "a", field: "shape", detail: "not a list of integers"),
        "shape \(shape)")
    }
    for offsets in ["[0]", "[0, 4, 8]", #"["0", "8"]"#, "[0, 8.5]", "8"] {
      #expect(
        parseError(fileBytes(#"{"a": \#(entry(offsets: offsets))}"#, buffer: eight))
          == .invalidField(tensor: "a", field: "data_offsets", detail: "not a list of two integers"),
        "offsets \(offsets)")
    }
  }

  @Test("unknown dtype")
  func unknownDType() {
    for dtype in ["F8_E4M3", "Q4", "f32", ""] {
      #expect(
        parseError(fileBytes(#"{"a": \#(entry(dtype))}"#, buffer: eight))
          == .unknownDType(tensor: "a", dtype: dtype))
    }
  }

  @Test("negative extents")
  func negativeDimension() {
    #expect(
      parseError(fileBytes(#"{"a": \#(entry(shape: "[-1, -2]"))}"#, buffer: eight))
        == .negativeDimension(tensor: "a", shape: [-1, -2]))
  }

  @Test("shape × dtype size must equal the offsets' span, with no overflow")
  func sizeMismatch() {
    #expect(
      parseError(fileBytes(#"{"a": \#(entry(shape: "[3]"))}"#, buffer: eight))
        == .sizeMismatch(tensor: "a", expectedBytes: 12, actualBytes: 8))
    #expect(
      parseError(fileBytes(#"{"a": \#(entry("F64"))}"#, buffer: eight))
        == .sizeMismatch(tensor: "a", expectedBytes: 16, actualBytes: 8))
    // 2^40 · 2^40 · 4 overflows Int: reported as a mismatch, not a trap.
    #expect(
      parseError(
        fileBytes(#"{"a": \#(entry(shape: "[1099511627776, 1099511627776]"))}"#, buffer: eight))
        == .sizeMismatch(tensor: "a", expectedBytes: .max, actualBytes: 8))
  }

  @Test("offsets: end before begin, negative, past the buffer")
  func offsets() {
    #expect(
      parseError(fileBytes(#"{"a": \#(entry(shape: "[1]", offsets: "[8, 4]"))}"#, buffer: eight))
        == .invalidOffsets(tensor: "a", begin: 8, end: 4))
    #expect(
      parseError(fileBytes(#"{"a": \#(entry(offsets: "[-4, 4]"))}"#, buffer: eight))
        == .invalidOffsets(tensor: "a", begin: -4, end: 4))
    #expect(
      parseError(fileBytes(#"{"a": \#(entry(shape: "[4]", offsets: "[0, 16]"))}"#, buffer: eight))
        == .offsetsOutOfRange(tensor: "a", end: 16, bufferSize: 8))
    // Offsets beyond Int64 are not integers we accept.
    #expect(
      parseError(
        fileBytes(#"{"a": \#(entry(offsets: "[0, 18446744073709551615]"))}"#, buffer: eight))
        == .invalidField(tensor: "a", field: "data_offsets", detail: "not a list of two integers"))
  }

  @Test("the buffer must be covered exactly: overlaps, holes and trailing bytes are errors")
  func coverage() {
    let twelve = [UInt8](repeating: 0, count: 12)
    #expect(
      parseError(
        fileBytes(#"{"a": \#(entry()), "b": \#(entry(offsets: "[4, 12]"))}"#, buffer: twelve))
        == .overlappingEntries(tensor: "b", other: "a"))
    #expect(
      parseError(
        fileBytes(
          #"{"a": \#(entry(shape: "[1]", offsets: "[0, 4]")), "b": \#(entry(shape: "[1]", offsets: "[8, 12]"))}"#,
          buffer: twelve))
        == .uncoveredBytes(begin: 4, end: 8))
    #expect(
      parseError(fileBytes(#"{"a": \#(entry(shape: "[1]", offsets: "[0, 4]"))}"#, buffer: eight))
        == .uncoveredBytes(begin: 4, end: 8))
    #expect(
      parseError(fileBytes(#"{"a": \#(entry(shape: "[1]", offsets: "[4, 8]"))}"#, buffer: eight))
        == .uncoveredBytes(begin: 0, end: 4))
    // A header with no tensors but leftover bytes.
    #expect(parseError(fileBytes("{}", buffer: [1])) == .uncoveredBytes(begin: 0, end: 1))
    // Zero-size tensors may sit at any tensor boundary, including the end.
    #expect(
      parseError(
        fileBytes(
          #"{"a": \#(entry()), "z": \#(entry(shape: "[0]", offsets: "[8, 8]")), "y": \#(entry(shape: "[0, 2]", offsets: "[0, 0]"))}"#,
          buffer: eight)) == nil)
    // …but not inside another tensor.
    #expect(
      parseError(
        fileBytes(
          #"{"a": \#(entry()), "z": \#(entry(shape: "[0]", offsets: "[4, 4]"))}"#, buffer: eight))
        == .overlappingEntries(tensor: "z", other: "a"))
  }

  @Test("the description names the file, the defect and the fix")
  func description() {
    let error = SafetensorsError(
      file: "/models/resnet.safetensors",
      kind: .sizeMismatch(tensor: "fc.weight", expectedBytes: 12, actualBytes: 8))
    #expect(error.description.hasPrefix("/models/resnet.safetensors: "))
    #expect(error.description.contains("'fc.weight' needs 12 bytes"))
    #expect(error.description.contains("re-export"))
  }

  @Test("every truncation of a real file is an error, never a crash")
  func truncations() throws {
    let data = try Data(contentsOf: safetensorsFixture("pytorch_written.safetensors"))
    for count in 0..<data.count {
      #expect(parseError(data.prefix(count)) != nil, "prefix of \(count) bytes parsed")
    }
  }

  @Test("random byte corruptions of a real file parse or throw, never crash or read out of bounds")
  func corruptions() throws {
    let data = try Data(contentsOf: safetensorsFixture("pytorch_written.safetensors"))
    var generator = SeededGenerator(seed: 42)
    for _ in 0..<500 {
      var corrupted = [UInt8](data)
      for _ in 0..<Int.random(in: 1...3, using: &generator) {
        corrupted[Int.random(in: 0..<corrupted.count, using: &generator)] = UInt8.random(
          in: 0...255, using: &generator)
      }
      if let file = try? SafetensorsFile(bytes: Data(corrupted)) {
        _ = file.tensors  // decoding what validated must stay in bounds
      }
    }
  }
}
