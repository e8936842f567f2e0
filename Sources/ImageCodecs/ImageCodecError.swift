/// Why an image could not be read or written; the description names the file.
public struct ImageCodecError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The kind of failure.
  public enum Problem: Sendable, Equatable {
    /// The file could not be opened or read.
    case unreadable
    /// The bytes are neither PNG nor JPEG (detected by signature, not by extension), or empty.
    case notAnImage
    /// The file ends before the image does.
    case truncated
    /// libpng or libjpeg rejected the data.
    case corrupt
    /// A valid file this decoder does not handle (an exotic color space, too many pixels).
    case unsupported
    /// Encoding or writing the output failed.
    case writeFailed
  }

  /// The file (or the label of in-memory data) concerned.
  public let path: String
  /// The kind of failure.
  public let problem: Problem
  /// The library's or the OS's own words.
  public let detail: String

  /// Creates an error for `path`.
  public init(path: String, problem: Problem, detail: String) {
    self.path = path
    self.problem = problem
    self.detail = detail
  }

  /// `path: what went wrong (detail)`.
  public var description: String {
    let what: String
    switch problem {
    case .unreadable: what = "cannot read the file"
    case .notAnImage: what = "not a PNG or JPEG image"
    case .truncated: what = "the image data is truncated (incomplete download or copy?)"
    case .corrupt: what = "the image data is corrupt"
    case .unsupported: what = "unsupported image"
    case .writeFailed: what = "cannot write the PNG"
    }
    return "\(path): \(what) (\(detail))"
  }
}
