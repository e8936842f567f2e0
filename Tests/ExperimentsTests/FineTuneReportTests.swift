import Foundation
import Testing

@testable import Experiments

@Suite("Fine-tuning report section")
struct FineTuneReportTests {
  @Test(
    "a run folder becomes Part 4: configuration, metrics in percent, curves copied, test results")
  func section() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-ftreport-\(UUID().uuidString)")
    let run = base.appendingPathComponent("runs/first")
    let report = base.appendingPathComponent("report")
    try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: report, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: base) }
    try Data(#"{"head": "32,dropout:0.5", "epochs": "2"}"#.utf8).write(
      to: run.appendingPathComponent("config.json"))
    try Data(
      "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy\n1,2.3,0.25,,\n2,1.9,0.5,2.0,0.625\n"
        .utf8
    )
    .write(to: run.appendingPathComponent("metrics.csv"))
    try Data("Test accuracy 61.50 %".utf8).write(to: run.appendingPathComponent("test.md"))
    try Data([0x89, 0x50, 0x4E, 0x47]).write(to: run.appendingPathComponent("curves.png"))
    #expect(
      FineTuneReport.latestRun(in: base.appendingPathComponent("runs"))?.standardizedFileURL.path
        == run.path)
    let section = try FineTuneReport.section(run: run, figuresIn: report)
    #expect(section.title.hasPrefix("Part 4"))
    #expect(section.text.contains("62.50 %") && section.text.contains("25.00 %"))
    #expect(
      section.html.contains("32,dropout:0.5") && section.html.contains("Test accuracy 61.50 %"))
    #expect(section.figures == ["finetune_curves.png"])
    #expect(
      FileManager.default.fileExists(
        atPath: report.appendingPathComponent("finetune_curves.png").path))
    #expect(throws: FineTuneReport.MissingRun.self) {
      try FineTuneReport.section(run: base, figuresIn: report)
    }
  }
}
