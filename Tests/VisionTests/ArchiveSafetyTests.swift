import Foundation
import Testing

@testable import Vision

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// gzip and tar through libarchive: the checks the shim adds on top of it (libarchive 3.6 leaves
// the gzip trailer unchecked and extraction safety to its caller), each on a hand-made archive.

/// A ustar entry: a 512-byte header (name, mode 644, `type`, `link`) and `content` padded to a
/// whole record.
private func tarEntry(
  _ name: String, type: Character = "0", link: String = "", content: [UInt8] = []
) -> [UInt8] {
  var header = [UInt8](repeating: 0, count: 512)
  func put(_ text: String, at offset: Int) {
    for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
  }
  func octal(_ value: Int, digits: Int) -> String {
    let text = String(value, radix: 8)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
  }
  put(name, at: 0)
  put(octal(0o644, digits: 7), at: 100)
  put(octal(0, digits: 7), at: 108)
  put(octal(0, digits: 7), at: 116)
  put(octal(content.count, digits: 11), at: 124)
  put(octal(0, digits: 11), at: 136)
  put("        ", at: 148)
  header[156] = type.asciiValue ?? 0
  put(link, at: 157)
  put("ustar", at: 257)
  put("00", at: 263)
  put(octal(header.reduce(0) { $0 + Int($1) }, digits: 6), at: 148)
  header[154] = 0
  let padding = (512 - content.count % 512) % 512
  return header + content + [UInt8](repeating: 0, count: padding)
}

/// The entries as a tar stream, with its two zero records.
private func tarStream(_ entries: [[UInt8]]) -> [UInt8] {
  entries.flatMap { $0 } + [UInt8](repeating: 0, count: 1024)
}

/// `bytes` written to `name` in `folder`.
private func write(_ bytes: [UInt8], _ name: String, in folder: URL) throws -> URL {
  let url = folder.appendingPathComponent(name)
  try Data(bytes).write(to: url)
  return url
}

/// The `DatasetError` that extracting `archive` into `destination` throws.
private func extractionError(_ archive: URL, _ destination: URL, ceiling: Int? = nil)
  -> DatasetError?
{
  do {
    if let ceiling {
      _ = try TarExtractor.extractTarGz(archive, into: destination, ceiling: ceiling)
    } else {
      _ = try TarExtractor.extractTarGz(archive, into: destination)
    }
    return nil
  } catch {
    return error as? DatasetError
  }
}

@Suite("Archives: gzip trailer checks and safe tar extraction")
struct ArchiveSafetyTests {
  @Test("a gzip with a wrong ISIZE, a cut trailer or bytes after it is a badArchive error")
  func gzipTrailer() throws {
    let content = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }
    let good = try gzip(content)
    #expect(try Gzip.decompress(good, path: "good.gz") == content)
    var size = good
    size[size.count - 4] ^= 0x01  // ISIZE one more or less than the content
    var more = good
    more[more.count - 2] = 0  // ISIZE 0x186A0 → 0x86A0: fewer bytes than inflate
    for (bytes, expected) in [
      (size, "the trailer says"), (more, "bytes its trailer declares"),
      (Array(good.dropLast(4)), "truncated or corrupt"), (good + Array("trailing".utf8), "CRC-32"),
      (good + good, "bytes its trailer declares"),
      (Array(repeating: 0x1F, count: 40), "no gzip header"),
    ] {
      let error = #expect(throws: DatasetError.self) {
        try Gzip.decompress(bytes, path: "bad.gz")
      }
      #expect(error?.problem == .badArchive)
      #expect(error?.path == "bad.gz")
      #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
      #expect(error?.description.contains("download it again") == true)
    }
  }

  @Test("a gzip past the ceiling stops with tooLarge after one chunk, not at its full size")
  func gzipCeiling() throws {
    let bomb = try gzip(count: 16 << 20) { _, size in Data(count: size) }
    let error = try #require(throws: DatasetError.self) {
      try Gzip.decompress(bomb, path: "bomb.gz", ceiling: 1000)
    }
    #expect(error.problem == .tooLarge)
    #expect(error.description.contains("1000-byte limit"))
  }

  @Test("absolute and .. names are refused, links and devices skipped, files stay inside")
  func unsafeNames() throws {
    let folder = try badInputFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let destination = folder.appendingPathComponent("out", isDirectory: true)
    for name in ["/tmp/classify-escape.txt", "../escape.txt", "a/../../escape.txt"] {
      let archive = try write(
        tarStream([tarEntry(name, content: Array("x".utf8))]), "unsafe.tar", in: folder)
      let error = try #require(extractionError(archive, destination))
      #expect(error.problem == .badArchive)
      #expect(error.description.contains("refusing the unsafe path '\(name)'"))
    }
    #expect(
      !FileManager.default.fileExists(atPath: folder.appendingPathComponent("escape.txt").path))
    // A symbolic link to the outside, then a file "through" it; a hard link; a FIFO.
    let archive = try write(
      tarStream([
        tarEntry("link", type: "2", link: folder.path),
        tarEntry("link/evil.txt", content: Array("evil".utf8)),
        tarEntry("hard", type: "1", link: "/etc/passwd"),
        tarEntry("pipe", type: "6"),
        tarEntry("./", type: "5"),
        tarEntry("data/a.bin", content: [1, 2, 3]),
      ]), "links.tar", in: folder)
    let files = try TarExtractor.extractTarGz(archive, into: destination)
    #expect(files == ["link/evil.txt", "data/a.bin"])
    let manager = FileManager.default
    #expect(!manager.fileExists(atPath: folder.appendingPathComponent("evil.txt").path))
    // "link" is a real folder (the link entry was skipped), so the file landed inside.
    let link = try manager.attributesOfItem(atPath: destination.appendingPathComponent("link").path)
    #expect(link[.type] as? FileAttributeType == .typeDirectory)
    #expect(!manager.fileExists(atPath: destination.appendingPathComponent("hard").path))
    #expect(!manager.fileExists(atPath: destination.appendingPathComponent("pipe").path))
    #expect(
      try Data(contentsOf: destination.appendingPathComponent("data/a.bin")) == Data([1, 2, 3]))
  }

  @Test("a symbolic link or FIFO already in the destination is never written through")
  func existingLinks() throws {
    let folder = try badInputFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let outside = folder.appendingPathComponent("outside", isDirectory: true)
    let destination = folder.appendingPathComponent("out", isDirectory: true)
    let manager = FileManager.default
    try manager.createDirectory(at: outside, withIntermediateDirectories: true)
    try manager.createDirectory(at: destination, withIntermediateDirectories: true)
    let victim = try write(Array("keep".utf8), "victim.txt", in: outside)
    try manager.createSymbolicLink(
      at: destination.appendingPathComponent("dir"), withDestinationURL: outside)
    try manager.createSymbolicLink(
      at: destination.appendingPathComponent("file.txt"), withDestinationURL: victim)
    #expect(mkfifo(destination.appendingPathComponent("pipe.txt").path, 0o600) == 0)
    for (name, inTheWay) in [
      ("dir/victim.txt", "dir"), ("file.txt", "file.txt"), ("pipe.txt", "pipe.txt"),
    ] {
      let archive = try write(
        tarStream([tarEntry(name, content: Array("evil".utf8))]), "in-the-way.tar", in: folder)
      let error = try #require(extractionError(archive, destination))
      #expect(error.problem == .notRegularFile)
      #expect(error.path == destination.appendingPathComponent(inTheWay).path)
      #expect(error.description.contains("unpack elsewhere"))
    }
    #expect(try String(contentsOf: victim, encoding: .utf8) == "keep")
    #expect(try manager.contentsOfDirectory(atPath: outside.path) == ["victim.txt"])
  }

  @Test("a .tar.gz with a bad CRC, a lying ISIZE or past the ceiling is refused")
  func tarGzTrailer() throws {
    let folder = try badInputFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let destination = folder.appendingPathComponent("out", isDirectory: true)
    let stream = tarStream([
      tarEntry("a.txt", content: Array(repeating: UInt8(ascii: "a"), count: 300_000))
    ])
    let good = try gzip(stream)
    let fine = try write(good, "good.tar.gz", in: folder)
    #expect(try TarExtractor.extractTarGz(fine, into: destination) == ["a.txt"])
    var crc = good
    crc[crc.count - 8] ^= 0xFF
    var size = good
    size[size.count - 2] = 0  // ISIZE 0x49A00 → 0x9A00: inflation stops early
    for (bytes, expected) in [(crc, "CRC-32"), (size, "bytes its trailer declares")] {
      let archive = try write(bytes, "bad.tar.gz", in: folder)
      let error = try #require(extractionError(archive, destination))
      #expect(error.problem == .badArchive)
      #expect(error.path == archive.path)
      #expect(error.description.contains(expected), "\(error)")
    }
    let error = try #require(extractionError(fine, destination, ceiling: 100_000))
    #expect(error.problem == .tooLarge)
    #expect(error.description.contains("100000-byte limit"))
    let garbage = try write(Array(repeating: 7, count: 2000), "garbage.tar.gz", in: folder)
    #expect(extractionError(garbage, destination)?.problem == .badArchive)
  }
}
