import Foundation
import TensorCore

/// A two-class data set for Part 3 (logistic regression): rows `x1 x2 x3 t` with `x3` normally the
/// constant 1 (the bias input) and `t ∈ {0, 1}`, the layout of the course file `p3_data.txt`.
///
/// Stored column by column (`x1`, `x2`, `x3`, `targets`, each of length `count`) so that the
/// training loops read contiguous arrays.
public struct LogisticData: Sendable, Equatable {
  /// First input feature, one value per row.
  public var x1: [Double]
  /// Second input feature, one value per row.
  public var x2: [Double]
  /// Third input, the bias column (1 in the course file and in the built-in set).
  public var x3: [Double]
  /// Class labels, 0 or 1.
  public var targets: [Double]
  /// Where the rows came from: a file path, or "built-in (seed …)".
  public var source: String

  /// The smallest number of rows a data file may have.
  public static let minimumRowCount = 2

  /// The number of rows.
  public var count: Int { targets.count }

  /// Creates a data set from columns; `LogisticDataError.tooFewRows` or `.columnLengthMismatch`
  /// when the columns cannot form one.
  public init(x1: [Double], x2: [Double], x3: [Double], targets: [Double], source: String) throws {
    guard x1.count == targets.count, x2.count == targets.count, x3.count == targets.count else {
      throw LogisticDataError.columnLengthMismatch(
        source: source, lengths: [x1.count, x2.count, x3.count, targets.count])
    }
    guard targets.count >= Self.minimumRowCount else {
      throw LogisticDataError.tooFewRows(
        path: source, rows: targets.count, minimum: Self.minimumRowCount)
    }
    self.x1 = x1
    self.x2 = x2
    self.x3 = x3
    self.targets = targets
    self.source = source
  }

  /// Reads a whitespace-separated file with four numeric columns `x1 x2 x3 t` per line.
  ///
  /// Blank lines and lines starting with `#` are skipped. Throws `LogisticDataError` naming the
  /// file and the 1-based line for a wrong column count, a field that is not a finite number, a
  /// label other than 0 or 1, or fewer than `minimumRowCount` rows.
  public init(contentsOf url: URL) throws {
    let text: String
    do { text = try UserFiles.text(at: url) } catch {
      throw LogisticDataError.unreadable(path: url.path, reason: error.reason)
    }
    try self.init(parsing: text, source: url.path)
  }

  /// Parses the text of a data file; `source` names it in error messages.
  public init(parsing text: String, source: String) throws {
    var columns: [[Double]] = [[], [], [], []]
    var lineNumber = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
      guard fields.count == 4 else {
        throw LogisticDataError.wrongColumnCount(
          path: source, line: lineNumber, expected: 4, actual: fields.count)
      }
      for (column, field) in fields.enumerated() {
        guard let value = Double(field), value.isFinite else {
          throw LogisticDataError.notANumber(
            path: source, line: lineNumber, column: column + 1, field: String(field))
        }
        if column == 3, value != 0, value != 1 {
          throw LogisticDataError.badLabel(path: source, line: lineNumber, field: String(field))
        }
        columns[column].append(value)
      }
    }
    guard columns[3].count >= Self.minimumRowCount else {
      throw LogisticDataError.tooFewRows(
        path: source, rows: columns[3].count, minimum: Self.minimumRowCount)
    }
    try self.init(
      x1: columns[0], x2: columns[1], x3: columns[2], targets: columns[3], source: source)
  }

  /// The rows as text, `x1 x2 x3 t` with six decimals (the course file's format). Parsing the
  /// result gives back exactly the same numbers for the built-in set, whose values are already
  /// rounded to six decimals.
  public func fileText() -> String {
    var lines: [String] = []
    lines.reserveCapacity(count)
    for row in 0..<count {
      lines.append(
        [x1[row], x2[row], x3[row], targets[row]].map { String(format: "%.6f", $0) }.joined(
          separator: " "))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The default seed of the built-in data set.
  public static let builtInSeed: UInt64 = 43

  /// The built-in data set: 100 rows of class 0 then 100 rows of class 1, drawn from two
  /// overlapping Gaussian clouds (so the classes are not linearly separable) and rounded to six
  /// decimals like the course file.
  ///
  /// Class 0: mean (5, 1), covariance [[2.8, 2.1], [2.1, 3.9]]; class 1: mean (7, −0.9),
  /// covariance [[2.0, 1.3], [1.3, 2.5]] — about the course data's moments, so the default axes
  /// of the slope–intercept figure fit both. Normals by Box–Muller in Double from
  /// `SeededGenerator(seed:)`, so the rows depend only on `seed`.
  public static func builtIn(seed: UInt64 = builtInSeed) -> LogisticData {
    var generator = SeededGenerator(seed: seed)
    func normal() -> Double {
      let u1 = max(Double(generator.next() >> 11) * 0x1p-53, Double.leastNonzeroMagnitude)
      let u2 = Double(generator.next() >> 11) * 0x1p-53
      return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
    func rounded(_ value: Double) -> Double {
      Double(String(format: "%.6f", value)) ?? value
    }
    let classes: [(mean: (Double, Double), covariance: (Double, Double, Double))] = [
      ((5.0, 1.0), (2.8, 2.1, 3.9)),
      ((7.0, -0.9), (2.0, 1.3, 2.5)),
    ]
    var x1: [Double] = []
    var x2: [Double] = []
    var targets: [Double] = []
    for (label, cloud) in classes.enumerated() {
      // Cholesky factor of [[a, b], [b, c]]: [[l11, 0], [l21, l22]].
      let (a, b, c) = cloud.covariance
      let l11 = a.squareRoot()
      let l21 = b / l11
      let l22 = (c - l21 * l21).squareRoot()
      for _ in 0..<100 {
        let z1 = normal()
        let z2 = normal()
        x1.append(rounded(cloud.mean.0 + l11 * z1))
        x2.append(rounded(cloud.mean.1 + l21 * z1 + l22 * z2))
        targets.append(Double(label))
      }
    }
    let ones = [Double](repeating: 1, count: targets.count)
    // Two hundred rows of equal-length columns: valid by construction.
    return LogisticData(unchecked: x1, x2, ones, targets, source: "built-in (seed \(seed))")
  }

  private init(
    unchecked x1: [Double], _ x2: [Double], _ x3: [Double], _ targets: [Double], source: String
  ) {
    self.x1 = x1
    self.x2 = x2
    self.x3 = x3
    self.targets = targets
    self.source = source
  }
}

/// Why a data file or order file could not be used; each message names the file and line.
public enum LogisticDataError: Error, CustomStringConvertible, Equatable {
  /// The file could not be read at all.
  case unreadable(path: String, reason: String)
  /// A line does not have the expected number of whitespace-separated fields.
  case wrongColumnCount(path: String, line: Int, expected: Int, actual: Int)
  /// A field is not a finite number.
  case notANumber(path: String, line: Int, column: Int, field: String)
  /// A label (fourth column) is neither 0 nor 1.
  case badLabel(path: String, line: Int, field: String)
  /// Fewer data rows than the minimum.
  case tooFewRows(path: String, rows: Int, minimum: Int)
  /// Columns handed to `LogisticData.init` have different lengths.
  case columnLengthMismatch(source: String, lengths: [Int])
  /// A line of an order file is not a permutation of the row indices `0..<rows`.
  case notAPermutation(path: String, line: Int, rows: Int, detail: String)

  /// A one-line message naming the file, the line and the fix.
  public var description: String {
    switch self {
    case .unreadable(let path, let reason):
      return "\(path): cannot read the file (\(reason))"
    case .wrongColumnCount(let path, let line, let expected, let actual):
      return
        "\(path):\(line): expected \(expected) whitespace-separated columns `x1 x2 1 t`, found \(actual)"
    case .notANumber(let path, let line, let column, let field):
      return "\(path):\(line): column \(column) is \"\(field)\", not a finite number"
    case .badLabel(let path, let line, let field):
      return "\(path):\(line): label (column 4) is \(field); labels must be 0 or 1"
    case .tooFewRows(let path, let rows, let minimum):
      return "\(path): \(rows) data rows; at least \(minimum) are needed"
    case .columnLengthMismatch(let source, let lengths):
      return "\(source): columns x1, x2, x3, t have different lengths \(lengths)"
    case .notAPermutation(let path, let line, let rows, let detail):
      return "\(path):\(line): not a permutation of the row indices 0..<\(rows) (\(detail))"
    }
  }
}
