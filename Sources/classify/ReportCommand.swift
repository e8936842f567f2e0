import ArgumentParser
import Experiments
import Foundation

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract:
      "Runs every part on its defaults and writes report/index.html with answers, tables and figures.",
    discussion: """
      The page is self-contained apart from the figure files beside it. It is built in a staging
      folder and swapped in at the end, so an interrupted run leaves the previous report intact.
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "The report folder.")
  var output: String = "report"

  @Option(help: "Part 3 data file (rows: x1 x2 1 t); default: the built-in 200-point data set.")
  var logisticData: String?

  @Option(help: "Part 4: a `classify finetune` run folder (default: the newest under runs/).")
  var finetuneRun: String?

  @Option(help: "Paper size of report.pdf: a4 or letter.")
  var paper: String = "a4"

  @Option(parsing: .unconditional, help: "Epochs of the Part 2 training demo.")
  var backpropEpochs: Int = 1000

  func run() throws {
    try global.apply()
    let folder = URL(fileURLWithPath: output)
    guard backpropEpochs >= 0 else { throw ValidationError("--backprop-epochs must be ≥ 0") }
    guard let paperSize = ReportPDF.paper(named: paper) else {
      throw ValidationError("--paper must be a4 or letter, got '\(paper)'")
    }
    // Read user input before any work, so a bad file fails fast.
    let data =
      try logisticData.map { try LogisticData(contentsOf: URL(fileURLWithPath: $0)) }
      ?? LogisticData.builtIn()
    let writer = ReportWriter(folder: folder)
    // Refused before minutes of work when the folder is not ours to replace.
    try writer.checkReplaceable()
    let title = "Assignment 2 — Classification and deep learning"
    let page = try writer.write(title: title) {
      staging in
      var sections: [ReportSection] = []
      sections.append(try SoftmaxRegions.assignment.analyze().section(figuresIn: staging))
      report(sections)
      var backprop = BackpropExperiment.assignmentDefault()
      backprop.trainingEpochs = backpropEpochs
      sections.append(try backprop.run().section(figuresIn: staging))
      report(sections)
      sections.append(
        try LogisticExperiment.assignment(data: data).run().section(figuresIn: staging))
      report(sections)
      var run = finetuneRun.map { URL(fileURLWithPath: $0) }
      if run == nil {
        let choice = FineTuneReport.chooseRun(in: URL(fileURLWithPath: "runs"))
        for (folder, reason) in choice.skipped {
          print("  skipped \(folder.path): \(reason)")
        }
        if let chosen = choice.run { print("  Part 4 uses \(chosen.path)") }
        run = choice.run
      }
      if let run {
        sections.append(try FineTuneReport.section(run: run, figuresIn: staging))
      } else {
        sections.append(FineTuneReport.noRunSection())
      }
      report(sections)
      return sections
    } finish: { staging, sections in
      try ReportPDF.write(title: title, sections: sections, paper: paperSize, folder: staging)
    }
    print(
      "Report written to \(page.path) and \(page.deletingLastPathComponent().appendingPathComponent(ReportPDF.fileName).path)"
    )
  }

  /// Prints the title of the section just finished: ✓ only when it is complete.
  private func report(_ sections: [ReportSection]) {
    guard let last = sections.last else { return }
    if last.isComplete {
      print("✓ \(last.title)")
    } else {
      print("✗ \(last.title) — incomplete:")
      print(last.text.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    }
  }

}
