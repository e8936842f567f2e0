/// The PDF could not be written: which file, what went wrong, and what to do about it.
public struct TypesettingError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file involved: the PDF being written, or an image it refers to.
  public var path: String
  /// What went wrong, e.g. "the figure softmax.png does not exist".
  public var reason: String
  /// What to do, e.g. "write the figures before rendering the PDF".
  public var fix: String

  /// Creates an error.
  public init(path: String, reason: String, fix: String) {
    self.path = path
    self.reason = reason
    self.fix = fix
  }

  /// "cannot typeset <path>: <reason>. <fix>".
  public var description: String { "cannot typeset \(path): \(reason). \(fix)" }
}
