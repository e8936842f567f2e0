import FileSafety
import Foundation
import ImageCodecs

/// A minimal streaming ustar (POSIX tar) extractor: fed the archive's bytes in chunks, it writes
/// regular files and folders under `destination`. Enough for the CIFAR and STL-10 archives
/// (ustar names with prefix, GNU `L` long names); links and special files are skipped; paths
/// that are absolute or contain `..` are refused.
final class TarExtractor {
  private enum State {
    case header
    case file(FileHandle?, remaining: Int, padding: Int)
    case longName(remaining: Int, padding: Int)
    case finished
  }

  let destination: URL
  let archive: String
  private var state = State.header
  private var pending = [UInt8]()
  private var longName: [UInt8]?
  private var nameBuffer = [UInt8]()
  /// Paths written, relative to `destination`.
  private(set) var extracted = [String]()

  init(destination: URL, archive: String) {
    self.destination = destination
    self.archive = archive
  }

  private func failure(_ detail: String) -> DatasetError {
    DatasetError(path: archive, problem: .badArchive, detail: "bad tar archive: \(detail)")
  }

  /// Consumes the next bytes of the archive.
  func feed(_ chunk: Data) throws {
    var bytes = [UInt8](chunk)[...]
    while !bytes.isEmpty {
      switch state {
      case .finished:
        return
      case .header:
        let take = min(512 - pending.count, bytes.count)
        pending += bytes.prefix(take)
        bytes = bytes.dropFirst(take)
        if pending.count == 512 {
          let header = pending
          pending.removeAll(keepingCapacity: true)
          try begin(header)
        }
      case .file(let handle, let remaining, let padding):
        let take = min(remaining + padding, bytes.count)
        let data = min(take, remaining)
        if data > 0 { try writing { try handle?.write(contentsOf: Data(bytes.prefix(data))) } }
        bytes = bytes.dropFirst(take)
        if take == remaining + padding {
          try writing { try handle?.close() }
          state = .header
        } else {
          state = .file(handle, remaining: remaining - data, padding: padding - (take - data))
        }
      case .longName(let remaining, let padding):
        let take = min(remaining + padding, bytes.count)
        let data = min(take, remaining)
        nameBuffer += bytes.prefix(data)
        bytes = bytes.dropFirst(take)
        if take == remaining + padding {
          longName = Array(nameBuffer.prefix { $0 != 0 })
          nameBuffer = []
          state = .header
        } else {
          state = .longName(remaining: remaining - data, padding: padding - (take - data))
        }
      }
    }
  }

  /// Runs a file-system step, turning its failure into a `DatasetError` naming the folder.
  private func writing<T>(_ step: () throws -> T) throws -> T {
    do {
      return try step()
    } catch {
      throw DatasetError(
        path: archive, problem: .badArchive,
        detail: "cannot write its files under \(destination.path); check that the folder is "
          + "writable and the disk has space, or that the archive is not damaged")
    }
  }

  /// Checks that the archive ended on a record boundary.
  func finish() throws {
    if case .file = state { throw failure("the archive ends inside a file (truncated)") }
    if case .longName = state { throw failure("the archive ends inside a header (truncated)") }
  }

  private func begin(_ header: [UInt8]) throws {
    if header.allSatisfy({ $0 == 0 }) {
      state = .finished
      return
    }
    func field(_ range: Range<Int>) -> [UInt8] { Array(header[range].prefix { $0 != 0 }) }
    let sizeText = String(decoding: field(124..<136), as: UTF8.self)
      .trimmingCharacters(in: .whitespaces)
    guard let size = Int(sizeText.isEmpty ? "0" : sizeText, radix: 8) else {
      throw failure("unreadable size field '\(sizeText)'")
    }
    let checksum = header.enumerated().reduce(0) {
      $0 + Int((148..<156).contains($1.offset) ? 32 : $1.element)
    }
    let storedChecksum = Int(
      String(decoding: field(148..<156), as: UTF8.self).trimmingCharacters(in: .whitespaces),
      radix: 8)
    guard storedChecksum == checksum else { throw failure("header checksum mismatch") }
    let padding = (512 - size % 512) % 512
    let type = header[156]
    defer { if case .file(let handle, 0, 0) = state, handle == nil { state = .header } }
    if type == UInt8(ascii: "L") {
      state = .longName(remaining: size, padding: padding)
      return
    }
    var nameBytes = field(0..<100)
    let prefix = field(345..<500)
    if header[257..<262].elementsEqual("ustar".utf8), !prefix.isEmpty {
      nameBytes = prefix + [UInt8(ascii: "/")] + nameBytes
    }
    if let long = longName { nameBytes = long }
    longName = nil
    let name = String(decoding: nameBytes, as: UTF8.self)
    let components = name.split(separator: "/")
    guard !name.hasPrefix("/"), !components.contains("..") else {
      throw failure("refusing the unsafe path '\(name)'")
    }
    guard type == UInt8(ascii: "5") || !components.allSatisfy({ $0 == "." }) else {
      throw failure("a file entry has the empty name '\(name)'")
    }
    let target = destination.appendingPathComponent(name)
    let manager = FileManager.default
    switch type {
    case UInt8(ascii: "5"):
      try writing { try manager.createDirectory(at: target, withIntermediateDirectories: true) }
      state = .file(nil, remaining: size, padding: padding)
    case UInt8(ascii: "0"), 0:
      let handle = try writing {
        try manager.createDirectory(
          at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let problem = RegularFile.problem(at: target), manager.fileExists(atPath: target.path) {
          throw DatasetError(path: target.path, problem: .notRegularFile, detail: problem)
        }
        _ = manager.createFile(atPath: target.path, contents: nil)
        return try FileHandle(forWritingTo: target)
      }
      extracted.append(name)
      if size == 0 {
        try writing { try handle.close() }
        state = .header
      } else {
        state = .file(handle, remaining: size, padding: padding)
      }
    default:  // links, pax headers, devices: skip their data
      state = .file(nil, remaining: size, padding: padding)
    }
  }

  /// Extracts the `.tar.gz` at `archive` into `destination`; returns the files written.
  static func extractTarGz(_ archive: URL, into destination: URL) throws -> [String] {
    let extractor = TarExtractor(destination: destination, archive: archive.path)
    try Gzip.decompress(file: archive) { try extractor.feed($0) }
    try extractor.finish()
    return extractor.extracted
  }
}
