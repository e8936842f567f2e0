import FileSafety
import Foundation
import ImageCodecs

/// File access shared by the dataset readers: every failure becomes a `DatasetError` naming the
/// file.
enum DatasetFiles {
  /// Whether `url` exists and is a regular file (or a link to one).
  static func isFile(_ url: URL) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
      && !isDirectory.boolValue
  }

  /// Whether `url` exists and is a folder.
  static func isDirectory(_ url: URL) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
      && isDirectory.boolValue
  }

  /// The bytes of `url`; `.missingFile` naming `hint` (what provides the file) when absent,
  /// `.notRegularFile` for a FIFO, device or socket (which would block or never end).
  static func read(_ url: URL, hint: String) throws -> [UInt8] {
    try checkRegular(url, hint: hint)
    do {
      return [UInt8](try Data(contentsOf: url))
    } catch {
      throw DatasetError(
        path: url.path, problem: .missingFile,
        detail: "cannot read the file (check its permissions); \(hint)")
    }
  }

  /// Throws unless `url` is a regular file (or a link to one): `.missingFile` when absent,
  /// `.notRegularFile` naming what it is otherwise. Every dataset reader calls this before
  /// opening a file.
  static func checkRegular(_ url: URL, hint: String) throws {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw DatasetError(
        path: url.path, problem: .missingFile, detail: "file not found; \(hint)")
    }
    if let problem = RegularFile.problem(at: url) {
      throw DatasetError(
        path: url.path, problem: .notRegularFile,
        detail: "the path \(problem); put the dataset's file there (\(hint))")
    }
  }

  /// The size in bytes of the file at `url` (0 when it cannot be examined).
  static func size(of url: URL) -> Int {
    let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes?[.size] as? NSNumber)?.intValue ?? 0
  }

  /// The non-empty, whitespace-trimmed lines of the UTF-8 text file `url`.
  static func lines(_ url: URL, hint: String) throws -> [String] {
    let bytes = try read(url, hint: hint)
    guard let text = String(bytes: bytes, encoding: .utf8) else {
      throw DatasetError(path: url.path, problem: .malformed, detail: "not UTF-8 text")
    }
    return text.split(whereSeparator: \.isNewline)
      .map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
  }

  /// Checks every label against `0..<classCount`.
  static func checkLabels(_ labels: [Int], classCount: Int, file: URL) throws {
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
      throw DatasetError(
        path: file.path, problem: .labelOutOfRange,
        detail:
          "record \(bad) has label \(labels[bad]), outside 0..<\(classCount) (a corrupt or foreign file)"
      )
    }
  }

  /// Converts `count` images stored planar (CHW: all red, then green, then blue) to interleaved
  /// HWC, as torchvision's `data.reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))`.
  /// `source` holds the planes of image `i` at `offset(i) ..< offset(i) + 3·pixelsPerImage`.
  static func appendPlanarAsInterleaved(
    _ source: [UInt8], offset: Int, pixelsPerImage: Int, to block: inout [UInt8]
  ) {
    for pixel in 0..<pixelsPerImage {
      block.append(source[offset + pixel])
      block.append(source[offset + pixelsPerImage + pixel])
      block.append(source[offset + 2 * pixelsPerImage + pixel])
    }
  }
}
