import ArgumentParser
import Checkpoints
import Experiments
import Foundation
import Vision

/// `classify evaluate`: a fine-tuned checkpoint on a split — accuracy, per class, confusion.
struct EvaluateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate",
    abstract: "Evaluate a finetune checkpoint on a split: accuracy, per-class accuracy, confusion.",
    discussion: """
      The checkpoint (a run's best.safetensors) names its dataset, head, input transform and \
      backbone weights; --root and --weights override where they are found.
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: "A best.safetensors written by classify finetune (or its run folder).")
  var checkpoint: String

  @Option(help: "Split: test, validation (the run's held-out part of train) or train.")
  var split: String = "test"

  @Option(help: "The dataset's folder, when it moved since training.")
  var root: String?

  @Option(help: "Backbone weights, when they moved since training (must be the same weights).")
  var weights: String?

  @Flag(help: "Print JSON instead of tables.")
  var json = false

  func validate() throws {
    guard ["test", "validation", "train"].contains(split) else {
      throw ValidationError("--split must be test, validation or train, got '\(split)'")
    }
  }

  func run() throws {
    try global.apply()
    let file = FineTuneCheckpoint.file(forRunOrFile: checkpoint)
    let model = try FineTuneCheckpoint.load(from: file, weights: weights)
    var configuration = model.configuration
    if let root { configuration.root = root }
    if let weights { configuration.weights = weights }
    let inputs = try FineTuneInputs(configuration)
    let job: FeatureJob? =
      switch split {
      case "test": inputs.testJob
      case "validation": inputs.validationJob
      default: inputs.plainTrainJob
      }
    guard let job else {
      throw ValidationError("the run held out no validation images (--validation 0)")
    }
    let line = ProgressLine("\(split) features", total: job.indices.count)
    let features: FeatureCache
    if model.metadata["includes_backbone"] == "true" {
      let extracted = try model.extractor.extract(job.dataset, indices: job.indices) { done, _ in
        line.update(done)
      }
      features = FeatureCache(key: job.key, features: extracted.features, labels: extracted.labels)
    } else {
      features =
        try inputs.features(
          job, cacheFolder: URL(fileURLWithPath: configuration.featureCache)
        ) { done, _ in line.update(done) }.cache
    }
    line.finish()
    let (result, _) = try EvaluationResult.evaluate(
      head: model.head, features: features.features, labels: features.labels,
      classNames: model.classNames, split: split,
      epoch: model.metadata["epoch"].flatMap(Int.init))
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(result), as: UTF8.self))
    } else {
      print(result.text)
      print(
        FineTuneMetrics.confusionTable(confusion: result.confusion, classNames: result.classNames)
          .text())
    }
  }
}
