import Foundation

/// Writes a file atomically: into a hidden temporary file beside the target, then `rename(2)`
/// over it, so readers see the old file or the complete new one, never a partial one.
enum AtomicWrite {
  /// Calls `body` with a temporary URL in `url`'s folder, then renames it onto `url`; the
  /// temporary file is removed when anything fails. Touches no other file.
  static func write(to url: URL, _ body: (URL) throws -> Void) throws {
    let folder = url.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw TypesettingError(
        path: url.path, reason: "the folder \(folder.path) does not exist",
        fix: "Create the folder first, or choose an output path in an existing folder.")
    }
    let temporary = folder.appendingPathComponent(
      ".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
      try body(temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    }
    if rename(temporary.path, url.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw TypesettingError(
        path: url.path, reason: "replacing the file failed (\(reason))",
        fix: "Check that the folder is writable and that \(url.lastPathComponent) is not a folder.")
    }
  }
}
