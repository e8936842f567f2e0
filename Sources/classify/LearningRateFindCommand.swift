import ArgumentParser
import Experiments
import Foundation
import Plotting

/// `classify lr-find`: fastai's learning-rate finder on a finetune configuration's cached
/// training features.
struct LearningRateFindCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lr-find",
    abstract:
      "Sweep the head's learning rate on cached features and suggest one (fastai's lr_find).",
    discussion: """
      Takes the same options as `classify finetune` (computing and caching the training features \
      first if needed), trains a fresh head for --steps batches while the rate grows \
      exponentially from --start to --end, and writes the smoothed loss against the rate \
      (lr-find.svg, .png, .csv) into --output, a new or empty folder. It suggests two rates as \
      fastai does: where the loss falls fastest (steepest) and two thirds into its longest \
      descent (valley); pass one as --learning-rate.
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var options: FineTuneOptions

  @Option(
    help:
      "The folder for the figure and the CSV (new or empty; default runs/lr-find-<date>-<time>).")
  var output: String?

  @Option(parsing: .unconditional, help: "Batches swept.")
  var steps = 100

  @Option(parsing: .unconditional, help: "The first learning rate.")
  var start: Float = 1e-7

  @Option(parsing: .unconditional, help: "The last learning rate.")
  var end: Float = 10

  func run() throws {
    try global.apply()
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    let folder = URL(
      fileURLWithPath: output ?? "runs/lr-find-\(formatter.string(from: Date()))"
    ).standardizedFileURL
    var isFolder: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder)
    guard !exists || isFolder.boolValue else {
      throw ValidationError(
        "--output \(folder.path) is a file; lr-find writes into a folder: choose another")
    }
    let existing = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    guard existing.isEmpty else {
      throw ValidationError(
        "--output \(folder.path) is not empty; lr-find writes only into a new or empty folder: choose another"
      )
    }
    let configuration = try options.configuration()
    try configuration.validate()
    let inputs = try FineTuneInputs(configuration)
    let line = ProgressLine("train features", total: inputs.plainTrainJob.indices.count)
    let (train, _) = try inputs.features(
      inputs.plainTrainJob, cacheFolder: URL(fileURLWithPath: configuration.featureCache)
    ) { done, _ in line.update(done) }
    line.finish()
    var finder = LearningRateFinder()
    (finder.steps, finder.start, finder.end) = (steps, start, end)
    let trainer = HeadTrainer(
      specification: try HeadSpecification(parsing: configuration.head),
      configuration: configuration.training)
    let result = try finder.run(trainer, train: train, classCount: inputs.classNames.count)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let figure = LearningRateFinder.figure(result)
    try figure.writeSVG(to: folder.appendingPathComponent("lr-find.svg"))
    try figure.writePNG(to: folder.appendingPathComponent("lr-find.png"))
    let csv =
      "learning_rate,smoothed_loss\n"
      + zip(result.rates, result.losses).map { "\($0),\($1)" }.joined(separator: "\n") + "\n"
    try Data(csv.utf8).write(to: folder.appendingPathComponent("lr-find.csv"), options: .atomic)
    print(
      "swept \(result.rates.count) batches\(result.diverged ? " (stopped: the loss diverged)" : "")"
    )
    if let steepest = result.steepest, let valley = result.valley {
      print(
        String(format: "suggested learning rates: valley %.2e, steepest %.2e", valley, steepest))
    }
    print("wrote \(folder.path): lr-find.svg, lr-find.png, lr-find.csv")
  }
}
