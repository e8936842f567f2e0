import FileSafety
import Foundation

/// Typesetting's atomic writes: `FileSafety.AtomicFile`, its failures worded as
/// `TypesettingError`s naming the file and the fix.
enum AtomicWrite {
  /// Calls `body` with a temporary URL in `url`'s folder, then renames it onto `url`; the
  /// temporary file is removed when anything fails. Touches no other file.
  static func write(to url: URL, _ body: (URL) throws -> Void) throws {
    do {
      try AtomicFile.write(to: url, body)
    } catch let failure as AtomicWriteFailure {
      switch failure {
      case .missingFolder(let folder), .notAFolder(let folder):
        throw TypesettingError(
          path: url.path, reason: "the folder \(folder) does not exist",
          fix: "Create the folder first, or choose an output path in an existing folder.")
      case .renameFailed(let reason):
        throw TypesettingError(
          path: url.path, reason: "replacing the file failed (\(reason))",
          fix:
            "Check that the folder is writable and that \(url.lastPathComponent) is not a folder.")
      }
    }
  }
}
