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
    for file in ["test.json", "results.html", "best.safetensors"] {
      try Data("{}".utf8).write(to: run.appendingPathComponent(file))
    }
    #expect(
      FineTuneReport.latestRun(in: base.appendingPathComponent("runs"))?.standardizedFileURL.path
        == run.path)
    let section = try FineTuneReport.section(run: run, figuresIn: report)
    #expect(section.title.hasPrefix("Part 4"))
    #expect(section.text.contains("62.50 %") && section.text.contains("25.00 %"))
    #expect(
      section.html.contains("32,dropout:0.5") && section.html.contains("Test accuracy 61.50 %"))
    #expect(section.figures == ["finetune_curves.png", "finetune_results.html"])
    #expect(
      FileManager.default.fileExists(
        atPath: report.appendingPathComponent("finetune_curves.png").path))
    #expect(throws: FineTuneReport.MissingRun.self) {
      try FineTuneReport.section(run: base, figuresIn: report)
    }
  }

  @Test("the report takes the newest complete run and names the newer unfinished ones it skipped")
  func choice() throws {
    let runs = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-choice-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: runs) }
    func make(_ name: String, files: [String], age: TimeInterval) throws -> URL {
      let folder = runs.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      for file in files {
        let url = folder.appendingPathComponent(file)
        try Data("x".utf8).write(to: url)
        try FileManager.default.setAttributes(
          [.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: url.path)
      }
      return folder
    }
    let complete = ["config.json", "metrics.csv", "best.safetensors", "test.json", "results.html"]
    _ = try make("old", files: complete, age: 300)
    let finished = try make("finished", files: complete, age: 200)
    let interrupted = try make("interrupted", files: ["config.json", "metrics.csv"], age: 100)
    let starting = try make("starting", files: ["config.json"], age: 10)
    let choice = FineTuneReport.chooseRun(in: runs)
    #expect(choice.run?.lastPathComponent == finished.lastPathComponent)
    #expect(
      choice.skipped.map(\.folder.lastPathComponent)
        == [starting.lastPathComponent, interrupted.lastPathComponent])
    #expect(choice.skipped.allSatisfy { $0.reason.contains("--resume") })
    #expect(FineTuneReport.chooseRun(in: runs.appendingPathComponent("none")).run == nil)
  }
}
