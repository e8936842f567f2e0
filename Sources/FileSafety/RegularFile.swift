import Foundation

/// The check every file reader makes before opening a path: only a regular file (or a symbolic
/// link to one) is read. Opening a named pipe (FIFO) blocks until a writer appears — forever for
/// `--weights some-fifo` — and a device such as `/dev/zero` never ends, so they are refused up
/// front with a message naming what the path is.
///
/// Every reader of user files uses it: images (ImageCodecs), checkpoints (Checkpoints),
/// datasets (Vision) and download targets (Downloader).
public enum RegularFile {
  /// `nil` when `url` names a regular file (after following symbolic links); otherwise what it
  /// is instead: "does not exist", "is a folder", "is a named pipe (FIFO)", "is a device",
  /// "is a socket".
  public static func problem(at url: URL) -> String? {
    let resolved = url.resolvingSymlinksInPath()
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved.path) else {
      return "does not exist (or cannot be examined)"
    }
    switch attributes[.type] as? FileAttributeType {
    case .typeRegular?: return nil
    case .typeDirectory?: return "is a folder, not a file"
    case .typeCharacterSpecial?, .typeBlockSpecial?: return "is a device, not a regular file"
    case .typeSocket?: return "is a socket, not a regular file"
    case .typeSymbolicLink?: return "is a symbolic link that leads nowhere"
    default:
      // FileManager reports a FIFO as `.typeUnknown` on Linux.
      return "is a named pipe (FIFO) or other special file, not a regular file"
    }
  }

  /// Whether `url` names a regular file (or a symbolic link to one).
  public static func isRegular(_ url: URL) -> Bool { problem(at: url) == nil }
}
