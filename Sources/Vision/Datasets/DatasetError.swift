import Foundation

/// Why a dataset could not be read; the description names the file, the problem and the fix.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The kind of failure.
  public enum Problem: Sendable, Equatable {
    /// A file the layout requires is absent.
    case missingFile
    /// The file ends before its header says it should.
    case truncated
    /// The file's size is not a whole number of records.
    case badRecordSize
    /// A label is outside `0..<classCount`.
    case labelOutOfRange
    /// The file does not start with the magic number its format requires.
    case badMagic
    /// The content does not have the expected structure (keys, dtype, shape, text).
    case malformed
    /// A class folder holds no image.
    case emptyClassFolder
    /// An image file could not be decoded.
    case undecodableImage
    /// A gzip or tar archive is damaged.
    case badArchive
    /// Neither of the dataset's layouts was found under the root.
    case notFound
    /// The path is a FIFO, device, socket or folder where a data file belongs.
    case notRegularFile
    /// A header or an archive declares more data than the format allows (or inflates past
    /// what it declares): a corrupt file or a decompression bomb.
    case tooLarge
  }

  /// The file or folder concerned.
  public let path: String
  /// The kind of failure.
  public let problem: Problem
  /// What was expected and found, and the fix.
  public let detail: String

  /// Creates an error about `path`.
  public init(path: String, problem: Problem, detail: String) {
    self.path = path
    self.problem = problem
    self.detail = detail
  }

  /// `path: detail`.
  public var description: String { "\(path): \(detail)" }
}
