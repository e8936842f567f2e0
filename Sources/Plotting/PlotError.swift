/// A figure or table could not be written: which file, and why.
public struct PlotError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file that was to be written.
  public var path: String
  /// What went wrong, e.g. "the folder /x/y does not exist".
  public var reason: String

  /// Creates an error.
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  /// "cannot write <path>: <reason>".
  public var description: String { "cannot write \(path): \(reason)" }
}
