import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why an atomic write could not put its file in place (the caller words it in its own error,
/// naming the file and the fix).
public enum AtomicWriteFailure: Error, Equatable, Sendable {
  /// The target's folder does not exist.
  case missingFolder(String)
  /// The target's folder is a file.
  case notAFolder(String)
  /// `rename(2)` failed, with the system's reason.
  case renameFailed(String)
}

/// Why `AtomicFile.create` did not put its new file in place (besides a missing folder, which
/// is an `AtomicWriteFailure`).
public enum AtomicCreateFailure: Error, Equatable, Sendable {
  /// A file is already at the target; it is left as it was.
  case exists(String)
  /// `link(2)` failed, with the system's reason.
  case linkFailed(String)
}

/// Writes a file atomically: into a hidden temporary file beside the target, then `rename(2)`
/// over it, so a reader (or an interrupted run) sees the old file or the complete new one, never
/// a partial one. The one implementation behind figures, PDFs and every other file classify
/// writes this way.
public enum AtomicFile {
  /// Calls `body` with a temporary URL in `url`'s folder, then renames it onto `url`; the
  /// temporary file is removed when anything fails. Touches no other file.
  ///
  /// - Throws: `body`'s own errors unchanged, or `AtomicWriteFailure`.
  public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
    let temporary = try temporaryFile(beside: url)
    do {
      try body(temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    }
    if rename(temporary.path, url.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw AtomicWriteFailure.renameFailed(reason)
    }
  }

  /// As `write`, for a file that must be new: the complete file is linked into place with
  /// `link(2)`, which refuses an existing target, so even a file that appears between the
  /// caller's check and the write is never replaced.
  ///
  /// - Throws: `body`'s own errors unchanged, `AtomicWriteFailure` for the folder, or
  ///   `AtomicCreateFailure` (`.exists` when the target is there).
  public static func create(at url: URL, _ body: (URL) throws -> Void) throws {
    let temporary = try temporaryFile(beside: url)
    defer { try? FileManager.default.removeItem(at: temporary) }
    try body(temporary)
    if link(temporary.path, url.path) != 0 {
      let code = errno
      if code == EEXIST { throw AtomicCreateFailure.exists(url.path) }
      throw AtomicCreateFailure.linkFailed(String(cString: strerror(code)))
    }
  }

  /// A hidden temporary name in `url`'s folder, once that folder is known to exist.
  private static func temporaryFile(beside url: URL) throws -> URL {
    let folder = url.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
      throw AtomicWriteFailure.missingFolder(folder.path)
    }
    guard isDirectory.boolValue else { throw AtomicWriteFailure.notAFolder(folder.path) }
    return folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
  }
}
