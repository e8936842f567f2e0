import Foundation
import Testing

@testable import Experiments

/// The committed export of the built-in data set that the numpy fixture script reads.
let logisticFixtures =
  Bundle.module.resourceURL?.appendingPathComponent("Fixtures")
  ?? URL(fileURLWithPath: "Tests/ExperimentsTests/Fixtures")

/// The course's own data file, read only when present (it is never committed).
let courseDataURL = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("../shared/data/p3_data.txt").standardizedFileURL
let courseDataPresent = FileManager.default.fileExists(atPath: courseDataURL.path)

@Suite("LogisticData")
struct LogisticDataTests {
  @Test("built-in data: 200 rows x1 x2 1 t, 100 of class 0 then 100 of class 1, deterministic")
  func builtInShape() throws {
    let data = LogisticData.builtIn()
    #expect(data.count == 200)
    #expect(data.targets[..<100].allSatisfy { $0 == 0 })
    #expect(data.targets[100...].allSatisfy { $0 == 1 })
    #expect(data.x3.allSatisfy { $0 == 1 })
    #expect(LogisticData.builtIn() == data)
    #expect(LogisticData.builtIn(seed: 7) != data)
  }

  @Test("built-in data round-trips through its six-decimal text exactly")
  func roundTrip() throws {
    let data = LogisticData.builtIn()
    let parsed = try LogisticData(parsing: data.fileText(), source: data.source)
    #expect(parsed == data)
  }

  @Test("built-in data equals the committed export read by make_logistic_fixtures.py")
  func matchesCommittedExport() throws {
    let text = LogisticData.builtIn().fileText()
    if let path = ProcessInfo.processInfo.environment["CLASSIFY_WRITE_LOGISTIC_DATA"] {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    let committed = try String(
      contentsOf: logisticFixtures.appendingPathComponent("logistic_builtin_data.txt"),
      encoding: .utf8)
    #expect(committed == text)
  }

  @Test("built-in data is not linearly separable: a class-0 point lies inside a class-1 triangle")
  func notSeparable() throws {
    // If a point of one class lies in the convex hull of the other class, no line separates them.
    let data = LogisticData.builtIn()
    func inside(_ p: (Double, Double), _ a: Int, _ b: Int, _ c: Int) -> Bool {
      func cross(_ i: Int, _ j: Int) -> Double {
        (data.x1[j] - data.x1[i]) * (p.1 - data.x2[i]) - (data.x2[j] - data.x2[i])
          * (p.0 - data.x1[i])
      }
      let s1 = cross(a, b)
      let s2 = cross(b, c)
      let s3 = cross(c, a)
      return (s1 > 0 && s2 > 0 && s3 > 0) || (s1 < 0 && s2 < 0 && s3 < 0)
    }
    var found = false
    search: for point in 0..<100 {
      let p = (data.x1[point], data.x2[point])
      for a in 100..<200 {
        for b in (a + 1)..<200 {
          for c in (b + 1)..<200 where inside(p, a, b, c) {
            found = true
            break search
          }
        }
      }
    }
    #expect(found)
  }

  @Test(
    "course data file parses (skipped when ../shared/data/p3_data.txt is absent)",
    .enabled(if: courseDataPresent))
  func courseFile() throws {
    let data = try LogisticData(contentsOf: courseDataURL)
    #expect(data.count == 200)
    #expect(data.targets.filter { $0 == 1 }.count == 100)
  }

  @Test("wrong column count names the file and line")
  func wrongColumns() {
    #expect(
      throws: LogisticDataError.wrongColumnCount(path: "f.txt", line: 2, expected: 4, actual: 3)
    ) {
      try LogisticData(parsing: "1 2 1 0\n1 2 1\n3 4 1 1\n", source: "f.txt")
    }
  }

  @Test("non-numeric and non-finite fields name the file, line and column")
  func nonNumeric() {
    #expect(throws: LogisticDataError.notANumber(path: "f.txt", line: 3, column: 2, field: "abc")) {
      try LogisticData(parsing: "1 2 1 0\n\n1 abc 1 1\n3 4 1 1\n", source: "f.txt")
    }
    #expect(throws: LogisticDataError.notANumber(path: "f.txt", line: 1, column: 1, field: "nan")) {
      try LogisticData(parsing: "nan 2 1 0\n1 2 1 1\n", source: "f.txt")
    }
  }

  @Test("labels other than 0 and 1 are rejected with file and line")
  func badLabel() {
    #expect(throws: LogisticDataError.badLabel(path: "f.txt", line: 2, field: "2")) {
      try LogisticData(parsing: "1 2 1 0\n1 2 1 2\n", source: "f.txt")
    }
  }

  @Test("too few rows and empty files are rejected")
  func tooFew() {
    #expect(throws: LogisticDataError.tooFewRows(path: "f.txt", rows: 1, minimum: 2)) {
      try LogisticData(parsing: "1 2 1 0\n", source: "f.txt")
    }
    #expect(throws: LogisticDataError.tooFewRows(path: "f.txt", rows: 0, minimum: 2)) {
      try LogisticData(parsing: "", source: "f.txt")
    }
  }

  @Test("a missing file is a thrown error naming the path")
  func missingFile() {
    let error = #expect(throws: LogisticDataError.self) {
      try LogisticData(contentsOf: URL(fileURLWithPath: "/nonexistent/p3.txt"))
    }
    #expect(error?.description.contains("/nonexistent/p3.txt") == true)
  }

  @Test("error messages name file and line")
  func messages() {
    let error = LogisticDataError.wrongColumnCount(path: "d.txt", line: 7, expected: 4, actual: 2)
    #expect(error.description.hasPrefix("d.txt:7:"))
  }
}
