import FileSafety
import Foundation

/// Reading the small files a user hands the experiments (Part 2 networks, Part 3 data and
/// orders, run configurations): regular files only (a FIFO would block forever), and reasons in
/// words for the caller's own error, never a raw Foundation description.
enum UserFiles {
  /// Why a file could not be read, in words.
  struct Problem: Error {
    /// The reason, e.g. "it does not exist or cannot be read".
    let reason: String
  }

  /// The bytes of `url`.
  static func data(at url: URL) throws(Problem) -> Data {
    if let problem = RegularFile.problem(at: url) { throw Problem(reason: "the path \(problem)") }
    do { return try Data(contentsOf: url) } catch {
      throw Problem(reason: "it cannot be read (check its permissions)")
    }
  }

  /// The UTF-8 text of `url`.
  static func text(at url: URL) throws(Problem) -> String {
    guard let text = String(data: try data(at: url), encoding: .utf8) else {
      throw Problem(reason: "it is not UTF-8 text")
    }
    return text
  }

  /// A JSON decoding error in words: which field, and what was wrong with it.
  static func describe(decoding error: any Error) -> String {
    func path(_ keys: [any CodingKey]) -> String {
      keys.isEmpty ? "the top level" : "'" + keys.map(\.stringValue).joined(separator: ".") + "'"
    }
    switch error as? DecodingError {
    case .keyNotFound(let key, let context)?:
      return
        "the field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))' is missing"
    case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
      return "\(path(context.codingPath)) has a value of the wrong kind"
    case .dataCorrupted(let context)?:
      return context.codingPath.isEmpty
        ? "it is not valid JSON" : "\(path(context.codingPath)) has an invalid value"
    default:
      return "it is not valid JSON"
    }
  }
}
