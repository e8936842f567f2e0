import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A resumable, verified HTTP(S) download of one file.
///
/// Bytes stream into `<destination>.partial`; an interrupted download resumes from there with
/// `Range: bytes=N-` (a server answering 200 instead of 206 restarts it from zero, 416 means the
/// partial file is already whole or unusable). Connection failures, truncated bodies and 5xx
/// answers are retried `retries` times with exponential backoff. Once complete the partial file is
/// checked against `checksum` and only then renamed over `destination` (atomically, same folder);
/// on a mismatch it is deleted. Equivalent in spirit to `torch.hub.download_url_to_file(url, dst,
/// hash_prefix)`.
public struct Download: Sendable {
  /// What a finished download did.
  public struct Result: Sendable, Equatable {
    /// The verified file, `destination`.
    public var file: URL
    /// Its size in bytes.
    public var bytes: Int64
    /// Bytes that came from an earlier partial file rather than this run.
    public var resumedBytes: Int64
    /// HTTP attempts made (1 when nothing failed).
    public var attempts: Int
    /// Hex SHA-256 of the file.
    public var sha256: String
  }

  /// Where the file comes from.
  public var url: URL
  /// Where the verified file ends up.
  public var destination: URL
  /// The digest the file must have; `nil` skips verification.
  public var checksum: Checksum?
  /// Extra attempts after the first one fails transiently (connection error, 5xx, truncation).
  public var retries: Int = 3
  /// Delay before the first retry in seconds; doubles each time, capped at 30 s.
  public var initialBackoff: TimeInterval = 1
  /// Seconds without data before an attempt times out.
  public var timeout: TimeInterval = 60
  /// The most bytes the file may have. A server announcing more is refused before any byte is
  /// written; a body that runs on (an endless or wrong response) is cut here, the partial file
  /// deleted, and `DownloadError.tooLarge` thrown — so the partial file never exceeds it. Set it
  /// from a catalogue's known size; the default bounds anything else.
  public var maximumBytes: Int64 = Download.defaultMaximumBytes
  /// Seconds the whole download (every attempt and backoff together) may take.
  public var deadline: TimeInterval = 2 * 60 * 60
  /// The window in seconds over which progress is measured: an attempt whose average speed over
  /// the last `stallTimeout` seconds falls below `minimumBytesPerSecond` stalls (and is retried,
  /// resuming). Catches the server that trickles a byte every few seconds, which never trips
  /// the idle `timeout`.
  public var stallTimeout: TimeInterval = 60
  /// The slowest acceptable average speed over `stallTimeout`, in bytes per second.
  public var minimumBytesPerSecond: Double = 1024

  /// `maximumBytes` when nothing better is known: 8 GiB.
  public static let defaultMaximumBytes: Int64 = 8 << 30
  /// Minimum seconds between two progress events (the final event is always sent).
  public var progressInterval: TimeInterval = 0.1

  /// Creates a download of `url` to `destination`, verified with `checksum`.
  public init(url: URL, destination: URL, checksum: Checksum? = nil) {
    self.url = url
    self.destination = destination
    self.checksum = checksum
  }

  /// `<destination>.partial`, where bytes accumulate until verified.
  public var partialFile: URL {
    destination.deletingLastPathComponent()
      .appendingPathComponent(destination.lastPathComponent + ".partial")
  }

  /// Whether `destination` already exists and satisfies `checksum` (exists, when there is none).
  public func destinationIsVerified() -> Bool {
    guard FileManager.default.fileExists(atPath: destination.path),
      notRegularFile(destination) == nil
    else { return false }
    guard let checksum else { return true }
    guard let digests = try? Checksum.digests(ofFileAt: destination) else { return false }
    return checksum.matches(sha256: digests.sha256, md5: digests.md5)
  }

  /// Downloads, verifies and moves the file into place.
  ///
  /// - Parameter progress: called with progress events (from a background thread), at most every
  ///   `progressInterval` seconds, and once with `isComplete` at the end of the transfer.
  /// - Returns: what was done.
  /// - Throws: `DownloadError` (`CancellationError` if the task is cancelled).
  @discardableResult
  public func run(progress: (@Sendable (DownloadProgress) -> Void)? = nil) async throws -> Result {
    let folder = destination.deletingLastPathComponent()
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw DownloadError.fileSystem(path: folder.path, reason: "cannot create the folder")
    }
    if let problem = notRegularFile(destination) {
      throw DownloadError.fileSystem(path: destination.path, reason: "the path \(problem)")
    }
    var resumedBytes: Int64 = 0
    var attempts = 0
    var rangeRestarts = 0
    let limits = TransferLimits(
      maximumBytes: maximumBytes, stallTimeout: stallTimeout,
      minimumBytesPerSecond: minimumBytesPerSecond, deadline: Date() + deadline)
    if partialSize() > maximumBytes { removePartial() }
    transfer: while true {
      attempts += 1
      try Task.checkCancellation()
      let offset = partialSize()
      do {
        let summary = try await HTTPTransfer.run(
          url: url, partialURL: partialFile, offset: offset, timeout: timeout, limits: limits,
          progressInterval: progressInterval, progress: progress)
        resumedBytes = summary.resumed ? offset : 0
        break transfer
      } catch let failure as TransferFailure {
        switch failure {
        case .rangeNotSatisfiable(let total) where total != nil && total == offset:
          // The partial file already holds every byte: verify it below.
          resumedBytes = offset
          break transfer
        case .rangeNotSatisfiable, .rangeMismatch:
          // The partial file does not fit the server's file: drop it and start over (once per
          // failure kind is plenty; do not count it as a network retry).
          removePartial()
          rangeRestarts += 1
          attempts -= 1
          if rangeRestarts > 2 {
            throw DownloadError.unreachable(
              url: url, destination: destination,
              reason: "the server's byte ranges are inconsistent (Content-Range)")
          }
          continue
        case .httpStatus(let status):
          throw DownloadError.httpStatus(url: url, destination: destination, status: status)
        case .fileSystem(let path, let reason):
          throw DownloadError.fileSystem(path: path, reason: reason)
        case .tooLarge(let limit, let declared):
          removePartial()
          throw DownloadError.tooLarge(
            url: url, destination: destination, limit: limit, declared: declared)
        case .deadlineExceeded:
          throw DownloadError.timedOut(
            url: url, destination: destination,
            reason: "it did not finish within the \(Self.seconds(deadline)) deadline"
              + Self.attemptsNote(attempts))
        case .stalled(let reason):
          if attempts > retries {
            throw DownloadError.timedOut(
              url: url, destination: destination,
              reason: "the transfer stalled: \(reason)" + Self.attemptsNote(attempts))
          }
        case .transient(let reason, let status):
          if attempts > retries {
            if let status {
              throw DownloadError.httpStatus(url: url, destination: destination, status: status)
            }
            throw DownloadError.unreachable(
              url: url, destination: destination, reason: reason + Self.attemptsNote(attempts))
          }
        }
      } catch let error as URLError {
        if error.code == .cancelled { try Task.checkCancellation() }
        guard Self.isTransient(error), attempts <= retries else {
          throw DownloadError.unreachable(
            url: url, destination: destination,
            reason: Self.describe(error) + Self.attemptsNote(attempts))
        }
      } catch let error as CancellationError {
        throw error
      } catch {
        throw DownloadError.unreachable(
          url: url, destination: destination,
          reason: "the transfer failed" + Self.attemptsNote(attempts))
      }
      let delay = min(30, initialBackoff * pow(2, Double(attempts - 1)))
      guard Date() + delay < limits.deadline else {
        throw DownloadError.timedOut(
          url: url, destination: destination,
          reason: "it did not finish within the \(Self.seconds(deadline)) deadline"
            + Self.attemptsNote(attempts))
      }
      try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
    }
    return try verifyAndInstall(attempts: attempts, resumedBytes: resumedBytes)
  }

  // MARK: Private

  private func verifyAndInstall(attempts: Int, resumedBytes: Int64) throws -> Result {
    let digests: (sha256: String, md5: String)
    do {
      digests = try Checksum.digests(ofFileAt: partialFile)
    } catch {
      throw DownloadError.fileSystem(path: partialFile.path, reason: "cannot read it back")
    }
    if let checksum, !checksum.matches(sha256: digests.sha256, md5: digests.md5) {
      removePartial()
      throw DownloadError.checksumMismatch(
        url: url, destination: destination, expected: checksum, sha256: digests.sha256,
        md5: digests.md5)
    }
    let bytes = partialSize()
    // rename(2) replaces the destination atomically: readers see the old file or the new one.
    guard rename(partialFile.path, destination.path) == 0 else {
      let reason = String(cString: strerror(errno))
      throw DownloadError.fileSystem(
        path: destination.path, reason: "cannot move the download into place (\(reason))")
    }
    return Result(
      file: destination, bytes: bytes, resumedBytes: min(resumedBytes, bytes), attempts: attempts,
      sha256: digests.sha256)
  }

  private func partialSize() -> Int64 {
    let attributes = try? FileManager.default.attributesOfItem(atPath: partialFile.path)
    return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
  }

  private func removePartial() {
    try? FileManager.default.removeItem(at: partialFile)
  }

  private static func seconds(_ interval: TimeInterval) -> String {
    interval >= 60 ? "\(Int(interval / 60))-minute" : String(format: "%g-second", interval)
  }

  private static func attemptsNote(_ attempts: Int) -> String {
    attempts > 1 ? " (after \(attempts) attempts)" : ""
  }

  /// Connection-level failures worth retrying; others (bad URL, TLS trust) are not.
  static func isTransient(_ error: URLError) -> Bool {
    switch error.code {
    case .timedOut, .cannotFindHost, .cannotConnectToHost, .networkConnectionLost,
      .dnsLookupFailed, .notConnectedToInternet, .resourceUnavailable, .badServerResponse,
      .cannotLoadFromNetwork, .zeroByteResource:
      return true
    default:
      return false
    }
  }

  private static func describe(_ error: URLError) -> String {
    switch error.code {
    case .notConnectedToInternet: return "no network connection"
    case .cannotFindHost, .dnsLookupFailed: return "the host name could not be resolved"
    case .cannotConnectToHost: return "the connection was refused"
    case .timedOut: return "the connection timed out"
    case .networkConnectionLost: return "the connection was lost"
    default: return error.localizedDescription
    }
  }
}
