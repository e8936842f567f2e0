import Downloader
import Foundation
import Plotting
import Vision

/// Part 4 of the report, read from a `classify finetune` run folder: the configuration, the
/// per-epoch metrics, the training curves and the test results (per-class accuracy and confusion
/// matrix).
public enum FineTuneReport {
  /// Why a run folder cannot be reported.
  public struct MissingRun: Error, CustomStringConvertible {
    /// The message, naming the folder and the command that makes a run.
    public let description: String
  }

  static let title = "Part 4 — Fine-tuning a pre-trained network"

  /// The run `classify report` uses, and the newer runs it passed over.
  public struct RunChoice: Sendable {
    /// The newest complete run (its test results and results page written), if any.
    public let run: URL?
    /// Newer run folders that are not complete, each with the reason and the fix.
    public let skipped: [(folder: URL, reason: String)]
  }

  /// Whether `folder` holds a finished run: `test.json` and `results.html` are the last files
  /// a run writes.
  public static func isComplete(_ folder: URL) -> Bool {
    ["test.json", "results.html", "best.safetensors", "config.json"].allSatisfy {
      FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
    }
  }

  /// The newest complete run under `runs` (by when its files last changed), and every newer
  /// folder that is not complete (interrupted, failed, or still running), so the report can say
  /// which run it used and which it skipped.
  public static func chooseRun(in runs: URL) -> RunChoice {
    let manager = FileManager.default
    let folders =
      (try? manager.contentsOfDirectory(at: runs, includingPropertiesForKeys: nil)) ?? []
    let dated = folders.compactMap { folder -> (URL, Date)? in
      let dates = ["metrics.csv", "test.json", "config.json"].compactMap {
        (try? manager.attributesOfItem(atPath: folder.appendingPathComponent($0).path))?[
          .modificationDate] as? Date
      }
      return dates.max().map { (folder, $0) }
    }.sorted { $0.1 > $1.1 }
    var skipped: [(URL, String)] = []
    for (folder, _) in dated {
      if isComplete(folder) { return RunChoice(run: folder, skipped: skipped) }
      skipped.append(
        (
          folder,
          "not finished (no test results): it was interrupted, failed or is still running; "
            + "continue it with `classify finetune --resume \(folder.path)`"
        ))
    }
    return RunChoice(run: nil, skipped: skipped)
  }

  /// The newest complete run under `runs`, if any.
  public static func latestRun(in runs: URL) -> URL? { chooseRun(in: runs).run }

  /// What a default `classify finetune` run still needs on this machine: each missing input
  /// with where it goes and where it comes from (empty when both are there).
  public static func missingInputs(dataRoot: URL = URL(fileURLWithPath: "data/cifar10")) -> [String]
  {
    var missing: [String] = []
    if (try? DatasetOpener.open(.cifar10, root: dataRoot, split: .test)) == nil {
      missing.append(
        "CIFAR-10 in \(dataRoot.path) (from https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz, "
          + "unpacked there: tar -xzf cifar-10-python.tar.gz -C \(dataRoot.path))")
    }
    if (try? WeightsLocator.resolve("resnet50:v1")) == nil,
      let weights = try? WeightsCatalog.weights(model: "resnet50", variant: .v1)
    {
      missing.append(
        "torchvision's ResNet-50 ImageNet weights (v1) at \(weights.cachedFile(in: .current).path) "
          + "(from \(weights.url.absoluteString))")
    }
    return missing
  }

  /// The section saying how to make a run, when there is none yet: exactly what is missing,
  /// where it goes, and the one command that finishes the job. Writes the P4 readme saying so.
  public static func noRunSection(figuresIn folder: URL? = nil, reason: String? = nil) throws
    -> ReportSection
  {
    let command = "classify finetune --download"
    let missing = missingInputs()
    var html = "<p>No finished fine-tuning run was found under <code>runs/</code>"
    var text = "No finished fine-tuning run under runs/"
    if let reason {
      html += " (\(escapeMarkup(reason)))"
      text += " (\(reason))"
    }
    html += ".</p>\n"
    text += ".\n"
    if missing.isEmpty {
      html += "<p>The dataset and the weights are already here.</p>\n"
    } else {
      html +=
        "<p>Missing on this machine:</p>\n<ul>"
        + missing.map { "<li>\(escapeMarkup($0))</li>" }.joined() + "</ul>\n"
      text += missing.map { "  missing: \($0)\n" }.joined()
    }
    html +=
      "<p>One command finishes the job: <code>\(escapeMarkup(command))</code> (it fetches what is missing, "
      + "with progress bars, and trains the assignment's head), then <code>make</code> (or "
      + "<code>classify report</code>) again.</p>"
    text += "Finish with: \(command), then make (or classify report) again.\n"
    if let folder {
      try writeReadme(
        "# Problem 4 — fine-tuning ResNet-50 (classify)\n\nNo finished run yet. "
          + (missing.isEmpty ? "" : "Missing:\n\n" + missing.map { "- \($0)\n" }.joined() + "\n")
          + "Run `\(command)`, then `make` again: this file then describes the run.\n",
        in: folder)
    }
    return ReportSection(
      title: title, html: html, text: text, figures: folder == nil ? [] : [readmeName],
      isComplete: false)
  }

  /// The section for the run in `run`, copying its curves into `folder`.
  public static func section(run: URL, figuresIn folder: URL) throws -> ReportSection {
    let metricsFile = run.appendingPathComponent("metrics.csv")
    guard let csv = try? String(contentsOf: metricsFile, encoding: .utf8) else {
      throw MissingRun(
        description:
          "\(run.path) has no metrics.csv: it is not a finished `classify finetune` run folder")
    }
    var html = "<p>Run folder: <code>\(escapeMarkup(run.path))</code>.</p>\n"
    var text = "Run folder: \(run.path)\n"
    let configFile = run.appendingPathComponent("config.json")
    if let configuration = try? FineTuneConfiguration.read(from: configFile) {
      let table = Table(
        columns: [Table.Column("setting"), Table.Column("value")],
        rows: configuration.rows.map { [$0.name, $0.value] }, caption: "Configuration")
      html += table.html() + "\n"
      text += table.text() + "\n"
    } else if let data = try? Data(contentsOf: configFile),
      let config = try? JSONDecoder().decode([String: String].self, from: data)
    {
      let table = Table(
        columns: [Table.Column("option"), Table.Column("value")],
        rows: config.keys.sorted().map { [$0, config[$0] ?? ""] }, caption: "Configuration")
      html += table.html() + "\n"
      text += table.text() + "\n"
    }
    let metrics = metricsTable(csv)
    html += metrics.html() + "\n"
    text += metrics.text() + "\n"
    var figures: [String] = []
    for ext in ["png", "svg"] {
      let source = run.appendingPathComponent("curves.\(ext)")
      guard FileManager.default.fileExists(atPath: source.path) else { continue }
      let target = folder.appendingPathComponent("finetune_curves.\(ext)")
      try? FileManager.default.removeItem(at: target)
      try FileManager.default.copyItem(at: source, to: target)
      figures.append(target.lastPathComponent)
    }
    if figures.contains("finetune_curves.png") {
      html +=
        "<figure><img src=\"finetune_curves.png\" width=\"640\" alt=\"training curves\"><figcaption>Loss and accuracy (in %) per epoch, train and validation; the dashed line is the kept epoch, the dotted one the start of unfreezing.</figcaption></figure>\n"
    }
    let page = run.appendingPathComponent("results.html")
    if FileManager.default.fileExists(atPath: page.path) {
      let target = folder.appendingPathComponent("finetune_results.html")
      try? FileManager.default.removeItem(at: target)
      try FileManager.default.copyItem(at: page, to: target)
      figures.append(target.lastPathComponent)
      html +=
        "<p>Every test image with its scores, filterable and sortable: "
        + "<a href=\"finetune_results.html\">the results page</a>.</p>\n"
      text += "Results page: finetune_results.html\n"
    }
    if let data = try? Data(contentsOf: run.appendingPathComponent("test.json")),
      let result = try? JSONDecoder().decode(EvaluationResult.self, from: data)
    {
      let headline = String(
        format: "Test accuracy %.2f %% (loss %.4f)%@.", 100 * result.accuracy, result.loss,
        result.epoch.map { ", model of epoch \($0)" } ?? "")
      let perClass = FineTuneMetrics.perClassTable(
        confusion: result.confusion, classNames: result.classNames)
      let confusion = FineTuneMetrics.confusionTable(
        confusion: result.confusion, classNames: result.classNames)
      html += "<h3>Test set</h3>\n<p><strong>\(escapeMarkup(headline))</strong></p>\n"
      html += perClass.html() + "\n" + confusion.html() + "\n"
      text += "\n" + headline + "\n" + perClass.text() + "\n" + confusion.text()
    } else if let results = try? String(
      contentsOf: run.appendingPathComponent("test.md"), encoding: .utf8)
    {
      html += "<h3>Test set</h3>\n<pre>\(escapeMarkup(results))</pre>\n"
      text += "\n" + results
    }
    let configuration = try? FineTuneConfiguration.read(from: configFile)
    let testResult = (try? Data(contentsOf: run.appendingPathComponent("test.json"))).flatMap {
      try? JSONDecoder().decode(EvaluationResult.self, from: $0)
    }
    if let configuration {
      let sheets = try sampleSheets(run: run, configuration: configuration, folder: folder)
      html += sheets.html
      figures += sheets.figures
      let narrative = FineTuneNarrative(
        configuration: configuration, history: history(run), result: testResult)
      html += narrative.html
      text += "\n" + narrative.text
      try writeReadme(narrative.readme, in: folder)
      figures.append(readmeName)
    }
    return ReportSection(title: title, html: html, text: text, figures: figures)
  }

  /// The P4 readme's name in the report folder.
  static let readmeName = "P4-README.md"

  static func writeReadme(_ text: String, in folder: URL) throws {
    do {
      try Data(text.utf8).write(to: folder.appendingPathComponent(readmeName), options: .atomic)
    } catch {
      throw MissingRun(
        description:
          "cannot write \(folder.appendingPathComponent(readmeName).path); check free disk space")
    }
  }

  /// The run's per-epoch metrics (`metrics.jsonl`), empty when unreadable.
  static func history(_ run: URL) -> [HeadEpochMetrics] {
    guard
      let text = try? String(
        contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    else { return [] }
    return text.split(separator: "\n").compactMap {
      try? JSONDecoder().decode(HeadEpochMetrics.self, from: Data($0.utf8))
    }
  }

  /// Two sheets of test images with their top-3 scores: the most confident mistakes and a
  /// seeded sample of the rest (from `test-predictions.csv` and the run's test images). Empty
  /// when the run predates that file or its images are gone, with a note saying so.
  static func sampleSheets(run: URL, configuration: FineTuneConfiguration, folder: URL) throws
    -> (html: String, figures: [String])
  {
    guard
      let predictions = TestPredictions.read(
        from: run.appendingPathComponent(TestPredictions.fileName))
    else { return ("", []) }
    guard let kind = configuration.datasetKind,
      let dataset = try? DatasetOpener.open(
        kind, root: URL(fileURLWithPath: configuration.root), split: .test)
    else {
      return (
        "<p>The test images are no longer at <code>\(escapeMarkup(configuration.root))</code>, so no example sheets are shown; every score is in <code>test-predictions.csv</code>.</p>\n",
        []
      )
    }
    let mistakes = predictions.confidentMistakes(12)
    let sample = predictions.sample(
      16, excluding: Set(mistakes.map(\.index)), seed: configuration.training.seed)
    var html = "<h3>Test images and their top-3 scores</h3>\n"
    var figures: [String] = []
    for (name, rows, caption) in [
      (
        "finetune_mistakes", mistakes,
        "The most confident mistakes: true class in red, the true class's score in green when it is in the top 3."
      ),
      (
        "finetune_sample", sample,
        "A seeded sample of the other test images, with their top-3 scores."
      ),
    ] where !rows.isEmpty {
      let images = rows.compactMap { row in
        row.index < dataset.count ? try? dataset.image(at: row.index) : nil
      }
      guard images.count == rows.count else { continue }
      let svg = try SampleSheet.svg(
        title: caption.components(separatedBy: ":").first ?? name, rows: rows, images: images,
        classNames: predictions.classNames)
      let file = folder.appendingPathComponent("\(name).svg")
      do { try Data(svg.utf8).write(to: file, options: .atomic) } catch {
        throw MissingRun(description: "cannot write \(file.path); check free disk space")
      }
      figures.append(file.lastPathComponent)
      html +=
        "<figure><img src=\"\(name).svg\" width=\"672\" alt=\"\(escapeMarkup(caption))\"><figcaption>\(escapeMarkup(caption))</figcaption></figure>\n"
    }
    return (html, figures)
  }

  /// metrics.csv (`epoch,train_loss,train_accuracy,validation_loss,validation_accuracy`) as a
  /// table with accuracies in percent; empty cells stay empty.
  static func metricsTable(_ csv: String) -> Table {
    let lines = csv.split(separator: "\n").map {
      $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
    let rows = lines.dropFirst().map { fields in
      fields.enumerated().map { index, field -> String in
        guard let value = Double(field) else { return field }
        switch index {
        case 0: return String(Int(value))
        case 2, 4: return String(format: "%.2f %%", value * 100)
        default: return String(format: "%.4f", value)
        }
      }
    }
    return Table(
      columns: [
        Table.Column("epoch", alignment: .right), Table.Column("train loss", alignment: .right),
        Table.Column("train accuracy", alignment: .right),
        Table.Column("validation loss", alignment: .right),
        Table.Column("validation accuracy", alignment: .right),
      ], rows: rows, caption: "Metrics per epoch")
  }
}
