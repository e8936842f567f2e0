import Foundation
import Typesetting

/// The whole deliverable: Parts 1–4 into one report folder, `index.html` and `report.pdf` with
/// their figures and `P4-README.md`, built in a staging folder and swapped in whole. Part 4 comes
/// from the given run, else from the newest complete run under `runs`, else says what is missing.
public struct AssignmentReport {
  /// The report's title.
  public static let title = "Assignment 2 — Classification and deep learning"

  /// The report folder.
  public var folder: URL
  /// Part 3's data (the course data by default).
  public var logisticData: LogisticData
  /// Part 4's run folder; nil picks the newest complete run under `runs`.
  public var finetuneRun: URL?
  /// Where runs are looked for.
  public var runs: URL
  /// Epochs of Part 2's training demo.
  public var backpropEpochs: Int
  /// The PDF's paper.
  public var paper: PaperSize
  /// Why Part 4 has no run (offline, a failed run), shown on its page.
  public var part4Problem: String?

  /// A report of the assignment's defaults into `folder`.
  public init(folder: URL, logisticData: LogisticData = .builtIn(), runs: URL) {
    self.folder = folder
    self.logisticData = logisticData
    self.runs = runs
    self.backpropEpochs = 1000
    self.paper = .a4
  }

  /// Writes the report; `progress` hears each finished section and notes (which run Part 4
  /// used, which it skipped). Returns the sections written.
  ///
  /// - Throws: `ReportWriter.WriteError` when the folder is not ours to replace or a write
  ///   fails; the parts' own errors. The previous report is intact after any failure.
  @discardableResult
  public func write(progress: (ReportSection?, String?) -> Void = { _, _ in }) throws
    -> [ReportSection]
  {
    var written: [ReportSection] = []
    _ = try ReportWriter(folder: folder).write(title: Self.title) { staging in
      var sections: [ReportSection] = []
      func add(_ section: ReportSection) {
        sections.append(section)
        progress(section, nil)
      }
      add(try SoftmaxRegions.assignment.analyze().section(figuresIn: staging))
      var backprop = try BackpropExperiment.assignmentDefault()
      backprop.trainingEpochs = backpropEpochs
      add(try backprop.run().section(figuresIn: staging))
      add(try LogisticExperiment.assignment(data: logisticData).run().section(figuresIn: staging))
      var run = finetuneRun
      if run == nil {
        let choice = FineTuneReport.chooseRun(in: runs)
        for (skipped, reason) in choice.skipped {
          progress(nil, "skipped \(skipped.path): \(reason)")
        }
        if let chosen = choice.run { progress(nil, "Part 4 uses \(chosen.path)") }
        run = choice.run
      }
      if let run {
        add(try FineTuneReport.section(run: run, figuresIn: staging))
      } else {
        add(try FineTuneReport.noRunSection(figuresIn: staging, reason: part4Problem))
      }
      written = sections
      return sections
    } finish: { staging, sections in
      try ReportPDF.write(title: Self.title, sections: sections, paper: paper, folder: staging)
    }
    return written
  }
}
