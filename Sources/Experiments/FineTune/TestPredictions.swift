import Foundation
import TensorCore
import Vision

/// Every test image's class probabilities, `test-predictions.csv` in the run folder: what the
/// report's Part 4 picks its example images from (the most confident mistakes and a seeded
/// sample), and a file users can analyse further. Columns: `index,name,label,predicted`, then
/// one probability column per class (CSV-quoted names).
public struct TestPredictions: Sendable, Equatable {
  /// One test image.
  public struct Row: Sendable, Equatable {
    /// The index into the test split.
    public var index: Int
    /// The image's name (a file path for image folders, `test #N` otherwise).
    public var name: String
    /// The true class.
    public var label: Int
    /// One probability per class.
    public var probabilities: [Double]

    /// The most probable class (the lowest index among ties).
    public var predicted: Int { ImageClassifier.ranked(probabilities).first ?? 0 }

    /// The `count` most probable classes, best first (ties to the lower index).
    public func top(_ count: Int) -> [(index: Int, probability: Double)] {
      ImageClassifier.ranked(probabilities).prefix(count).map { ($0, probabilities[$0]) }
    }
  }

  /// The file's name in a run folder.
  public static let fileName = "test-predictions.csv"

  /// The class names, in label order.
  public var classNames: [String]
  /// One row per test image, in test order.
  public var rows: [Row]

  /// Creates a table.
  public init(classNames: [String], rows: [Row]) {
    self.classNames = classNames
    self.rows = rows
  }

  /// The CSV text.
  public var csv: String {
    var lines = [
      (["index", "name", "label", "predicted"] + classNames).map(Self.quoted).joined(separator: ",")
    ]
    for row in rows {
      let cells =
        ["\(row.index)", Self.quoted(row.name), "\(row.label)", "\(row.predicted)"]
        + row.probabilities.map { String(format: "%.6g", $0) }
      lines.append(cells.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Reads a `test-predictions.csv`, or nil when it is absent or not one (older run folders).
  public static func read(from url: URL) -> TestPredictions? {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    guard let header = lines.first.map(fields), header.count >= 5,
      header.prefix(4) == ["index", "name", "label", "predicted"]
    else { return nil }
    let classNames = Array(header.dropFirst(4))
    var rows: [Row] = []
    for line in lines.dropFirst() {
      let cells = fields(line)
      guard cells.count == header.count, let index = Int(cells[0]), let label = Int(cells[2]),
        (0..<classNames.count).contains(label)
      else { return nil }
      let probabilities = cells.dropFirst(4).compactMap(Double.init)
      guard probabilities.count == classNames.count, probabilities.allSatisfy(\.isFinite) else {
        return nil
      }
      rows.append(Row(index: index, name: cells[1], label: label, probabilities: probabilities))
    }
    return TestPredictions(classNames: classNames, rows: rows)
  }

  /// The `count` mistakes made with the highest confidence, most confident first.
  public func confidentMistakes(_ count: Int) -> [Row] {
    rows.filter { $0.predicted != $0.label }
      .sorted { $0.probabilities[$0.predicted] > $1.probabilities[$1.predicted] }
      .prefix(count).map { $0 }
  }

  /// `count` rows not among `excluded`, chosen by a seeded shuffle (the same every report).
  public func sample(_ count: Int, excluding excluded: Set<Int>, seed: UInt64 = 0) -> [Row] {
    var candidates = rows.filter { !excluded.contains($0.index) }
    var generator = SeededGenerator(seed: seed)
    var chosen: [Row] = []
    while chosen.count < count, !candidates.isEmpty {
      chosen.append(candidates.remove(at: Int(generator.next() % UInt64(candidates.count))))
    }
    return chosen.sorted { $0.index < $1.index }
  }

  static func quoted(_ text: String) -> String {
    text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
      ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
  }

  /// The fields of one CSV line (quotes as `quoted` writes them).
  static func fields(_ line: String) -> [String] {
    var fields: [String] = []
    var current = ""
    var inQuotes = false
    var characters = Array(line)[...]
    while let character = characters.popFirst() {
      if inQuotes {
        if character == "\"" {
          if characters.first == "\"" {
            current.append("\"")
            characters.removeFirst()
          } else {
            inQuotes = false
          }
        } else {
          current.append(character)
        }
      } else if character == "\"" {
        inQuotes = true
      } else if character == "," {
        fields.append(current)
        current = ""
      } else {
        current.append(character)
      }
    }
    fields.append(current)
    return fields
  }
}
