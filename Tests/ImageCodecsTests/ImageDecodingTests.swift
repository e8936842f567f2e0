import Foundation
import Testing

@testable import ImageCodecs

/// The fixture folder copied into the test bundle.
func fixtureURL(_ name: String) throws -> URL {
  try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures")
    .appendingPathComponent(name)
}

/// One line of `decoding_cases.txt`: `file width height channels`.
struct DecodingCase: CustomTestStringConvertible, Sendable {
  let file: String
  let width: Int
  let height: Int
  let channels: Int
  var testDescription: String { file }

  static let all: [DecodingCase] = {
    guard
      let url = try? fixtureURL("decoding_cases.txt"),
      let text = try? String(contentsOf: url, encoding: .utf8)
    else { return [] }
    return text.split(separator: "\n").compactMap { line in
      let fields = line.split(separator: " ")
      guard fields.count == 4, let w = Int(fields[1]), let h = Int(fields[2]),
        let c = Int(fields[3])
      else { return nil }
      return DecodingCase(file: String(fields[0]), width: w, height: h, channels: c)
    }
  }()
}

@Suite("Image decoding")
struct ImageDecodingTests {
  @Test("the fixture list holds every PNG and JPEG case")
  func caseList() {
    // scripts/fixtures/make_image_fixtures.py writes 11 PNG and 4 JPEG cases.
    #expect(DecodingCase.all.count == 15)
  }

  /// PNG: the exact source samples (`rgb16 >> 8`, `palette[indices]`, …) as written by
  /// make_image_fixtures.py. JPEG: `np.asarray(Image.open(f))` (CMYK: `.convert("RGB")`), PIL's
  /// own libjpeg-turbo decode of the same file — we require exact equality, not ±1.
  @Test("decodes every fixture to the expected samples exactly", arguments: DecodingCase.all)
  func decodesFixture(_ fixture: DecodingCase) throws {
    let image = try Image.decode(contentsOf: fixtureURL(fixture.file))
    #expect(image.width == fixture.width)
    #expect(image.height == fixture.height)
    #expect(image.channels == fixture.channels)
    let expected = try [UInt8](Data(contentsOf: fixtureURL("\(fixture.file).expected.u8")))
    #expect(image.pixels.count == expected.count)
    let mismatches = zip(image.pixels, expected).enumerated().filter {
      $0.element.0 != $0.element.1
    }
    #expect(
      mismatches.isEmpty,
      "\(mismatches.count) samples differ, first: \(mismatches.prefix(3).map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" })"
    )
  }

  @Test("detects the format from the bytes, not the extension")
  func formatByMagic() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-codecs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let misnamed = folder.appendingPathComponent("photo.png")
    try FileManager.default.copyItem(at: fixtureURL("rgb.jpg"), to: misnamed)
    let image = try Image.decode(contentsOf: misnamed)
    #expect(image == (try Image.decode(contentsOf: fixtureURL("rgb.jpg"))))
  }

  @Test("decodes bytes in memory like the file")
  func fromMemory() throws {
    let bytes = try [UInt8](Data(contentsOf: fixtureURL("interlaced.png")))
    let image = try Image.decode(bytes, path: "archive.zip/interlaced.png")
    #expect(image == (try Image.decode(contentsOf: fixtureURL("interlaced.png"))))
  }
}
