import Foundation
import Testing

@testable import ImageCodecs

@Suite("Image decoding errors")
struct ImageDecodingErrorTests {
  /// Decodes `bytes` and returns the error it must throw.
  func failure(_ bytes: [UInt8], path: String = "test.img") -> ImageCodecError? {
    do {
      _ = try Image.decode(bytes, path: path)
      return nil
    } catch let error as ImageCodecError {
      return error
    } catch {
      return nil
    }
  }

  @Test("an empty file is not an image")
  func empty() {
    let error = failure([], path: "empty.png")
    #expect(error?.problem == .notAnImage)
    #expect(error?.description.hasPrefix("empty.png: not a PNG or JPEG image") == true)
  }

  @Test("a text file named .png is not an image, and the error names the file")
  func textFile() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-codecs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("notes.png")
    try Data("just some text\n".utf8).write(to: url)
    #expect {
      try Image.decode(contentsOf: url)
    } throws: { error in
      guard let error = error as? ImageCodecError else { return false }
      return error.problem == .notAnImage && error.path == url.path
        && error.description.contains("notes.png")
    }
  }

  @Test("a missing file is unreadable")
  func missing() {
    let url = URL(fileURLWithPath: "/nonexistent/classify/missing.jpg")
    #expect {
      try Image.decode(contentsOf: url)
    } throws: { error in
      (error as? ImageCodecError)?.problem == .unreadable
    }
  }

  @Test("random bytes are not an image")
  func randomBytes() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20 {
      var bytes = (0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) }
      if bytes[0] == 0xFF || bytes[0] == 0x89 { bytes[0] = 0 }
      #expect(failure(bytes)?.problem == .notAnImage)
    }
  }

  @Test(
    "every truncation of a PNG or JPEG is reported, never crashes",
    arguments: ["rgb.png", "interlaced.png", "rgb16.png", "rgb.jpg", "progressive.jpg", "cmyk.jpg"])
  func truncations(_ file: String) throws {
    let bytes = try [UInt8](Data(contentsOf: fixtureURL(file)))
    var problems: [ImageCodecError.Problem: Int] = [:]
    // Every prefix that ends before the image data does must fail; the last few bytes
    // (IEND chunk / EOI marker) carry no pixels, and are allowed to be missing.
    let mustFail = bytes.count - (file.hasSuffix(".png") ? 12 : 2)
    for length in 0..<mustFail {
      guard let error = failure(Array(bytes.prefix(length)), path: file) else {
        Issue.record("\(file) cut to \(length) of \(bytes.count) bytes decoded without error")
        continue
      }
      problems[error.problem, default: 0] += 1
    }
    #expect(Set(problems.keys).isSubset(of: [.notAnImage, .truncated, .corrupt]))
    #expect((problems[.truncated] ?? 0) > mustFail / 2, "\(problems)")
  }

  @Test("the error for a truncated file names it and says truncated")
  func truncatedMessage() throws {
    let bytes = try [UInt8](Data(contentsOf: fixtureURL("rgb.jpg")))
    let error = try #require(failure(Array(bytes.prefix(bytes.count / 2)), path: "half.jpg"))
    #expect(error.problem == .truncated)
    #expect(error.description.hasPrefix("half.jpg: the image data is truncated"))
  }

  @Test("flipped bytes inside the data never crash", arguments: ["rgb.png", "rgb.jpg", "gray.jpg"])
  func corruptions(_ file: String) throws {
    let bytes = try [UInt8](Data(contentsOf: fixtureURL(file)))
    var generator = SeededBytes(seed: 42)
    for _ in 0..<200 {
      var damaged = bytes
      for _ in 0..<3 {
        let index = Int(generator.next() % UInt64(bytes.count - 8)) + 8
        damaged[index] = UInt8(truncatingIfNeeded: generator.next())
      }
      // Either it decodes (JPEG tolerates damaged entropy data, as PIL does) or it throws.
      if let image = try? Image.decode(damaged, path: file) {
        #expect(image.pixels.count == image.width * image.height * image.channels)
      }
    }
  }

  @Test("a PNG header with a bad CRC is corrupt")
  func badCRC() throws {
    var bytes = try [UInt8](Data(contentsOf: fixtureURL("rgb.png")))
    bytes[29] ^= 0xFF  // the IHDR chunk's CRC (8 signature + 8 length/type + 13 data)
    #expect(failure(bytes, path: "crc.png")?.problem == .corrupt)
  }
}

/// SplitMix64, for reproducible damage.
struct SeededBytes {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
