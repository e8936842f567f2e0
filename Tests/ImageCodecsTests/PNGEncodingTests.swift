import Foundation
import Testing

@testable import ImageCodecs

@Suite("PNG encoding")
struct PNGEncodingTests {
  func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-png-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  @Test("gray, RGB and RGBA round-trip exactly", arguments: [1, 3, 4])
  func roundTrip(channels: Int) throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let pixels = (0..<(7 * 5 * channels)).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
    let image = Image(width: 7, height: 5, channels: channels, pixels: pixels)
    let url = folder.appendingPathComponent("thumb.png")
    try image.encodePNG(to: url)
    #expect(try Image.decode(contentsOf: url) == image)
    // Only the PNG is left: the temporary file was renamed onto it.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["thumb.png"])
  }

  @Test("in-memory PNG bytes decode back exactly and equal the file's", arguments: [1, 3, 4])
  func inMemory(channels: Int) throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let pixels = (0..<(9 * 4 * channels)).map { UInt8(truncatingIfNeeded: $0 * 53 + 7) }
    let image = Image(width: 9, height: 4, channels: channels, pixels: pixels)
    let data = try image.pngData()
    #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    #expect(try Image.decode(Array(data), path: "memory") == image)
    let url = folder.appendingPathComponent("same.png")
    try image.encodePNG(to: url)
    #expect(try Data(contentsOf: url) == data)
  }

  @Test("overwrites an existing file atomically")
  func overwrite() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("thumb.png")
    try Data("old".utf8).write(to: url)
    let image = Image(width: 1, height: 1, channels: 3, pixels: [1, 2, 3])
    try image.encodePNG(to: url)
    #expect(try Image.decode(contentsOf: url) == image)
  }

  @Test("a missing folder is a write error naming the file, leaving nothing behind")
  func missingFolder() {
    let url = URL(fileURLWithPath: "/nonexistent/classify/thumb.png")
    let image = Image(width: 1, height: 1, channels: 1, pixels: [0])
    #expect {
      try image.encodePNG(to: url)
    } throws: { error in
      guard let error = error as? ImageCodecError else { return false }
      return error.problem == .writeFailed && error.path == url.path
    }
  }
}
