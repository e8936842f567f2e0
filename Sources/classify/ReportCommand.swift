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

  @Flag(
    help:
      "Without a finished finetune run, first make one on the defaults (classify finetune --download) when the network is reachable; offline, say what is missing."
  )
  var finetuneIfMissing = false

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
    var part4Problem: String?
    if finetuneIfMissing, finetuneRun == nil,
      FineTuneReport.chooseRun(in: URL(fileURLWithPath: "runs")).run == nil
    {
      part4Problem = makeFineTuneRun()
    }
    var report = AssignmentReport(
      folder: folder, logisticData: data, runs: URL(fileURLWithPath: "runs"))
    report.finetuneRun = finetuneRun.map { URL(fileURLWithPath: $0) }
    report.backpropEpochs = backpropEpochs
    report.paper = paperSize
    report.part4Problem = part4Problem
    try report.write { section, note in
      if let note { print("  \(note)") }
      if let section { self.report(section) }
    }
    print(
      "Report written to \(folder.appendingPathComponent("index.html").path) and \(folder.appendingPathComponent(ReportPDF.fileName).path)"
    )
  }

  /// Runs `classify finetune --download` on the defaults when what it needs can be fetched;
  /// returns why Part 4 is still missing otherwise (offline, or the run failed), never throwing:
  /// Parts 1–3 are written either way.
  private func makeFineTuneRun() -> String? {
    let missing = FineTuneReport.missingInputs()
    if !missing.isEmpty {
      let hosts = ["download.pytorch.org", "www.cs.toronto.edu"]
      let offline = hosts.contains { Host(name: $0).address == nil }
      if offline {
        print("Part 4: no finished finetune run, and the network is not reachable to fetch:")
        for item in missing { print("  missing: \(item)") }
        return "this machine is offline, so nothing could be fetched"
      }
    }
    print(
      "Part 4: no finished finetune run yet; running `classify finetune --download` on the defaults"
    )
    do {
      let command = try FineTuneCommand.parse(["--download"])
      try command.run()
      return nil
    } catch let exit as ExitCode where exit.rawValue == 130 {
      return "the fine-tuning run was interrupted; resume it with classify finetune --resume"
    } catch {
      print("Part 4: the fine-tuning run failed: \(UserFacingError.presentable(error))")
      return "the fine-tuning run failed: \(UserFacingError.presentable(error))"
    }
  }

  /// Prints the title of the section just finished: ✓ only when it is complete.
  private func report(_ last: ReportSection) {
    if last.isComplete {
      print("✓ \(last.title)")
    } else {
      print("✗ \(last.title) — incomplete:")
      print(last.text.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    }
  }

}
