import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Why a download failed. Every description names the URL and the final path, so that a user
/// without network access (or behind a proxy) can fetch the file by hand and put it in place.
public enum DownloadError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The server could not be reached (no network, DNS failure, connection refused or dropped)
  /// after every retry.
  case unreachable(url: URL, destination: URL, reason: String)
  /// The server answered with an error status (after retries, for 5xx).
  case httpStatus(url: URL, destination: URL, status: Int)
  /// The bytes arrived but their digest differs from the expected one; the partial file has been
  /// deleted.
  case checksumMismatch(url: URL, destination: URL, expected: Checksum, sha256: String, md5: String)
  /// Writing, reading or moving a file failed.
  case fileSystem(path: String, reason: String)
  /// The server announced, or sent, more than `limit` bytes (the file's known size or the
  /// download's cap); the partial download was deleted.
  case tooLarge(url: URL, destination: URL, limit: Int64, declared: Int64?)
  /// The transfer stalled below the minimum speed, or the overall deadline passed.
  case timedOut(url: URL, destination: URL, reason: String)

  /// The user-facing message.
  public var description: String {
    switch self {
    case .unreachable(let url, let destination, let reason):
      return "could not download \(url.absoluteString): \(reason).\n"
        + Self.byHand(url, destination)
    case .httpStatus(let url, let destination, let status):
      let phrase = HTTPURLResponse.localizedString(forStatusCode: status)
      return
        "could not download \(url.absoluteString): the server answered HTTP \(status) (\(phrase)).\n"
        + Self.byHand(url, destination)
    case .checksumMismatch(let url, let destination, let expected, let sha256, let md5):
      let actual: String
      switch expected {
      case .sha256Prefix: actual = "sha256 \(sha256)"
      case .md5: actual = "md5 \(md5)"
      }
      return "checksum mismatch for \(url.absoluteString): expected \(expected), got \(actual); "
        + "the partial download was deleted and nothing was written to \(destination.path). "
        + "The file on the server (or mirror) differs from the one expected: check the URL."
    case .tooLarge(let url, let destination, let limit, let declared):
      let what =
        declared.map { "the server announced \($0) bytes" } ?? "the server sent more bytes"
      return "refused the download of \(url.absoluteString): \(what), more than the "
        + "\(limit)-byte limit for this file; the partial download was deleted. The server (or "
        + "mirror) is not serving the expected file: check the URL.\n"
        + Self.byHand(url, destination)
    case .timedOut(let url, let destination, let reason):
      return "could not download \(url.absoluteString): \(reason). The server or the network "
        + "is too slow; retry later or use a mirror.\n" + Self.byHand(url, destination)
    case .fileSystem(let path, let reason):
      return
        "could not write \(path): \(reason). Check that the folder exists, is writable and the "
        + "disk has space (or choose another cache folder with CLASSIFY_CACHE)."
    }
  }

  private static func byHand(_ url: URL, _ destination: URL) -> String {
    "Fetch it by hand and put the file at \(destination.path), e.g.\n"
      + "  curl -L -o '\(destination.path)' '\(url.absoluteString)'"
  }
}
