import Foundation
import Testing

@testable import Experiments

/// `classify report --output X` once deleted whatever was at X. These tests pin the rule: only
/// a folder that holds nothing but the files a report wrote (its manifest) is ever replaced.
@Suite("Report writer never deletes a user's files")
struct ReportWriterTests {
  let root: URL

  init() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  func write(_ folder: URL, marker: String = "first") throws {
    _ = try ReportWriter(folder: folder).write(title: "T") { staging in
      try Data(marker.utf8).write(to: staging.appendingPathComponent("figure.svg"))
      return [ReportSection(title: "Part", html: "<p>\(marker)</p>", text: marker)]
    }
  }

  func contents(_ url: URL) throws -> String {
    String(decoding: try Data(contentsOf: url), as: UTF8.self)
  }

  @Test("a new folder is written with a manifest listing every file")
  func newFolder() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = root.appendingPathComponent("report")
    try write(folder)
    let manifest = try contents(folder.appendingPathComponent(ReportWriter.manifestName))
    #expect(manifest.split(separator: "\n").dropFirst().sorted() == ["figure.svg", "index.html"])
    // Its own report is replaced: the new content is there.
    try write(folder, marker: "second")
    #expect(try contents(folder.appendingPathComponent("figure.svg")) == "second")
    // No staging or backup folder is left beside it.
    #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["report"])
  }

  @Test("a folder of the user's files is refused and left exactly as it was")
  func foreignFolder() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = root.appendingPathComponent("mine")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data("keep me".utf8).write(to: folder.appendingPathComponent("thesis.tex"))
    let error = try #require(throws: ReportWriter.WriteError.self) { try write(folder) }
    #expect(error.description.contains("thesis.tex") && error.description.contains("--output"))
    #expect(try contents(folder.appendingPathComponent("thesis.tex")) == "keep me")
    #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["mine"])
  }

  @Test("a regular file at the output path is refused, not overwritten")
  func regularFile() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    let file = root.appendingPathComponent("report")
    try Data("a file".utf8).write(to: file)
    #expect(throws: ReportWriter.WriteError.self) { try write(file) }
    #expect(try contents(file) == "a file")
  }

  @Test("a report folder the user added a file to is refused; removing that file allows it")
  func addedFile() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = root.appendingPathComponent("report")
    try write(folder)
    let note = folder.appendingPathComponent("my-notes.md")
    try Data("notes".utf8).write(to: note)
    let error = try #require(throws: ReportWriter.WriteError.self) {
      try write(folder, marker: "second")
    }
    #expect(error.description.contains("my-notes.md"))
    #expect(try contents(note) == "notes")
    #expect(try contents(folder.appendingPathComponent("figure.svg")) == "first")
    try FileManager.default.removeItem(at: note)
    try write(folder, marker: "second")
    #expect(try contents(folder.appendingPathComponent("figure.svg")) == "second")
  }

  @Test("a failing build leaves the previous report intact and no staging folder behind")
  func failedBuild() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = root.appendingPathComponent("report")
    try write(folder)
    struct Boom: Error {}
    #expect(throws: Boom.self) {
      _ = try ReportWriter(folder: folder).write(title: "T") { _ in throw Boom() }
    }
    #expect(try contents(folder.appendingPathComponent("figure.svg")) == "first")
    #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["report"])
  }

  @Test("an empty existing folder is used")
  func emptyFolder() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = root.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try write(folder)
    #expect(
      FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.html").path))
  }
}
