import FileSafety
import Foundation
import Testing

@testable import ImageCodecs

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// CRC-32 (IEEE), for hand-built PNG chunks.
private func crc32(_ bytes: [UInt8]) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}

private func bigEndian(_ value: UInt32) -> [UInt8] {
  (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
}

/// A PNG whose IHDR declares `width × height` RGB pixels, followed by a tiny IDAT and IEND:
/// under 100 bytes that would decode to gigabytes.
func pngDeclaring(width: UInt32, height: UInt32) -> [UInt8] {
  func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
  }
  let header = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
  return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header)
    + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
}

@Suite("ImageCodecs: hostile and careless inputs")
struct ImageBadInputTests {
  @Test("a PNG declaring more than 2^28 decoded bytes is refused from its header, naming the limit")
  func sampleCap() throws {
    // 10,000 × 10,000 RGB: under PIL's pixel limit, but 300,000,000 bytes decoded.
    let error = #expect(throws: ImageCodecError.self) {
      try Image.decode(pngDeclaring(width: 10_000, height: 10_000), path: "bomb.png")
    }
    #expect(error?.problem == .unsupported)
    #expect(error?.description.contains("bomb.png") == true)
    #expect(error?.description.contains("268435456") == true)
    #expect(Image.maximumSamples == 1 << 28)
    // 65,535 × 65,535 trips PIL's pixel limit first.
    let huge = #expect(throws: ImageCodecError.self) {
      try Image.decode(pngDeclaring(width: 65_535, height: 65_535), path: "huge.png")
    }
    #expect(huge?.problem == .unsupported)
    #expect(huge?.description.contains("178956970") == true)
  }

  @Test("a PNG within the cap still decodes (the test PNG builder is valid)")
  func builderIsValid() throws {
    // The IDAT holds no rows, so a 1×1 image is truncated or corrupt, never unsupported.
    let error = #expect(throws: ImageCodecError.self) {
      try Image.decode(pngDeclaring(width: 1, height: 1), path: "tiny.png")
    }
    #expect(error?.problem != .unsupported)
  }

  @Test("a FIFO, a device or a folder is refused before it is opened")
  func specialFiles() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("classify-image-bad-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let fifo = folder.appendingPathComponent("cat.png")
    #expect(mkfifo(fifo.path, 0o600) == 0)
    let error = #expect(throws: ImageCodecError.self) { try Image.decode(contentsOf: fifo) }
    #expect(error?.problem == .unreadable)
    #expect(error?.description.contains("named pipe") == true)
    #expect(RegularFile.problem(at: URL(fileURLWithPath: "/dev/zero"))?.contains("device") == true)
    #expect(RegularFile.problem(at: folder)?.contains("folder") == true)
    #expect(RegularFile.problem(at: folder.appendingPathComponent("absent.png")) != nil)
    let link = folder.appendingPathComponent("link.png")
    let target = folder.appendingPathComponent("real.png")
    try Data([1]).write(to: target)
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
    #expect(RegularFile.isRegular(link))
  }
}
