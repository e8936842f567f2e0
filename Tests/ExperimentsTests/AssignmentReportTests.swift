import Foundation
import TestSupport
import Testing

@testable import Experiments

/// The course data (not ours to ship; shared with the checks): Part 3's published numbers.
private let courseData = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .appendingPathComponent("../../../shared/data/p3_data.txt").standardizedFileURL

/// The deliverable read back as a reader would: poppler's text, fonts and page count of
/// `report.pdf`, beside `index.html` and `P4-README.md`.
@Suite(
  "The whole report: index.html and report.pdf", .serialized,
  .enabled(if: PDFTools.available, "poppler-utils (pdftotext, pdfinfo, pdffonts) is not installed"))
struct AssignmentReportTests {
  let root: URL

  init() throws {
    root = try temporaryFolder()
  }

  func report(data: LogisticData, run: URL? = nil) throws -> (URL, [ReportSection]) {
    let folder = root.appendingPathComponent("report")
    var report = AssignmentReport(
      folder: folder, logisticData: data, runs: root.appendingPathComponent("runs"))
    report.backpropEpochs = 20
    report.finetuneRun = run
    let sections = try report.write()
    return (folder, sections)
  }

  @Test(
    "offline and without a run: Parts 1–3 complete, Part 4 says what is missing; the PDF holds every heading and key number",
    .enabled(
      if: FileManager.default.fileExists(atPath: courseData.path), "the course data is not here"))
  func withoutRun() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    let (folder, sections) = try report(data: try LogisticData(contentsOf: courseData))
    #expect(sections.map(\.isComplete) == [true, true, true, false])
    for file in ["index.html", "report.pdf", "P4-README.md", ReportWriter.manifestName] {
      #expect(
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(file)")
    }
    let pdf = folder.appendingPathComponent("report.pdf")
    let text = try PDFTools.text(pdf)
    for heading in ["Part 1", "Part 2", "Part 3", "Part 4", "Contents"] {
      #expect(text.contains(heading), "\(heading)")
    }
    // Part 1's common point (hand-derived: a₁ = a₂ = a₃ at x = (3/22, −4/11)).
    #expect(text.contains("0.1364") && text.contains("−0.3636"))
    // Part 3 on the course data: the provided code stops after 395 epochs (shared/data/README).
    #expect(text.contains("395"))
    // Part 4 names what is missing and the one command.
    #expect(text.contains("classify finetune --download"))
    let fonts = try PDFTools.fonts(pdf)
    #expect(!fonts.isEmpty && fonts.allSatisfy(\.embedded), "\(fonts)")
    let pages = try PDFTools.pageCount(pdf)
    #expect((8...40).contains(pages), "\(pages) pages")
    #expect(try PDFTools.info(pdf)["Page size"]?.contains("A4") == true)
  }

  @Test("with a finished run: Part 4 is complete, with its written part, example images and readme")
  func withRun() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    try writeColourCIFAR(to: root.appendingPathComponent("data"), perTrainBatch: 8, testCount: 24)
    var configuration = smallConfiguration(in: root)
    configuration.training.epochs = 2
    configuration.training.weightDecay = 0.001
    let directory = root.appendingPathComponent("runs/first")
    let run = FineTuneRun(configuration: configuration, directory: directory)
    run.output = { _ in }
    run.showsProgress = false
    _ = try run.run()
    let (folder, sections) = try report(data: .builtIn())
    #expect(sections.map(\.isComplete) == [true, true, true, true])
    let readme = try String(
      contentsOf: folder.appendingPathComponent("P4-README.md"), encoding: .utf8)
    #expect(readme.contains("## How to run it") && readme.contains("--weight-decay 0.001"))
    #expect(
      FileManager.default.fileExists(
        atPath: folder.appendingPathComponent("finetune_sample.svg").path))
    let text = try PDFTools.text(folder.appendingPathComponent("report.pdf"))
    for phrase in [
      "What was implemented", "What was observed", "Reproducing this run", "λ = 0.001",
      "Test images and their top-3 scores",
    ] {
      #expect(text.contains(phrase), "\(phrase)")
    }
  }
}
