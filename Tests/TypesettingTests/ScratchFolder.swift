import Foundation
import TestSupport
import Typesetting

/// A scratch folder for one test, removed when the test ends.
final class ScratchFolder {
  /// The folder.
  let url: URL

  /// Creates an empty folder under the temporary directory.
  init() throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("typesetting-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  /// Writes `text` to `name` in the folder.
  func write(_ text: String, to name: String) throws {
    try Data(text.utf8).write(to: url.appendingPathComponent(name))
  }

  /// Renders `sections` to `name` in the folder (figures looked up there) and returns its URL.
  func render(
    _ sections: [(title: String, html: String)], paper: PaperSize = .a4,
    missingImages: MissingImagePolicy = .fail, name: String = "out.pdf"
  ) throws -> URL {
    let pdf = url.appendingPathComponent(name)
    try PDFDocumentRenderer(paper: paper, missingImages: missingImages).render(
      title: "Test report", subtitle: "Rendered by the tests", sections: sections,
      resourcesFolder: url, to: pdf)
    return pdf
  }

  /// The names of the files in the folder.
  func contents() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
  }
}
