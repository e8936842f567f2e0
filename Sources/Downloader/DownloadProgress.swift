import Foundation

/// One progress event of a download.
public struct DownloadProgress: Sendable, Equatable {
  /// Bytes on disk so far, including those of a resumed partial file.
  public var bytesReceived: Int64
  /// The file's full size, when the server said it (`Content-Length` / `Content-Range`).
  public var totalBytes: Int64?
  /// Average rate of this transfer (resumed bytes excluded), in bytes per second.
  public var bytesPerSecond: Double
  /// Estimated seconds to completion at `bytesPerSecond`; `nil` when the size or rate is unknown.
  public var secondsRemaining: Double?
  /// Whether this is the final event of a finished transfer.
  public var isComplete: Bool

  /// Creates an event.
  public init(
    bytesReceived: Int64, totalBytes: Int64?, bytesPerSecond: Double, secondsRemaining: Double?,
    isComplete: Bool
  ) {
    self.bytesReceived = bytesReceived
    self.totalBytes = totalBytes
    self.bytesPerSecond = bytesPerSecond
    self.secondsRemaining = secondsRemaining
    self.isComplete = isComplete
  }

  /// `bytesReceived / totalBytes` in [0, 1], when the total is known.
  public var fractionCompleted: Double? {
    guard let totalBytes, totalBytes > 0 else { return nil }
    return min(1, Double(bytesReceived) / Double(totalBytes))
  }
}
