import ArgumentParser
import Experiments
import Foundation
import Vision

/// `classify finetune`: Part 4 — a new head on a frozen ResNet's cached features.
struct FineTuneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "finetune",
    abstract: "Part 4: train a new head on a frozen ResNet backbone's (cached) features.",
    discussion: """
      Computes the backbone's features of the training, validation and test images once (inputs \
      normalised with mean 0.5 and std 0.5 per channel, as the provided code) and caches them in \
      --feature-cache; then trains the head with SGD on cross-entropy, validating every \
      --validate-every epochs and keeping the best head. Writes config.json, metrics.csv, \
      best.safetensors, curves.png/.svg and test.md (per-class accuracy, confusion matrix) into --run-dir, and prints the test accuracy per class.
      """
  )

  @OptionGroup var global: GlobalOptions

  @Option(help: "Dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).")
  var dataset: String = "cifar10"

  @Option(help: "The dataset's folder (as for `classify data`).")
  var root: String

  @Option(
    help:
      "Backbone weights: a model name (resnet50, resnet50:v1), a .pth/.safetensors file, or random."
  )
  var weights: String = "resnet50"

  @Option(help: "ResNet depth for --weights random (18, 34, 50, 101, 152).")
  var depth: Int = 50

  @Option(help: ArgumentHelp("The head's layers.", discussion: HeadSpecification.grammar))
  var head: String = HeadSpecification.assignment.description

  @Option(help: "Epochs of head training.")
  var epochs: Int = 10

  @Option(help: "Images per batch (feature extraction and SGD).")
  var batchSize: Int = 64

  @Option(help: "SGD learning rate.")
  var learningRate: Float = 0.001

  @Option(help: "SGD momentum.")
  var momentum: Float = 0.9

  @Option(help: "L2 penalty, applied as SGD weight decay.")
  var weightDecay: Float = 0

  @Option(help: "Fraction of the training images held out for validation.")
  var validation: Double = 0.1

  @Option(help: "Validate every this many epochs (and after the last).")
  var validateEvery: Int = 1

  @Option(help: "Resize images so the shorter side is this long before normalising (e.g. 224).")
  var resize: Int?

  @Option(help: "Seed of the validation split, the head's initialisation, dropout and shuffling.")
  var seed: UInt64 = 0

  @Option(help: "Use only the first N training images (quick runs).")
  var limit: Int?

  @Option(help: "Output folder (default runs/finetune-<timestamp>).")
  var runDir: String?

  @Option(help: "Folder of cached features, reused across runs.")
  var featureCache: String = "runs/feature-cache"

  func validate() throws {
    guard DatasetKind(rawValue: dataset) != nil else {
      throw ValidationError(
        "unknown dataset '\(dataset)'; use one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))"
      )
    }
    guard (0..<1).contains(validation) else {
      throw ValidationError("--validation must be in [0, 1), got \(validation)")
    }
    if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    if let resize, resize < 1 {
      throw ValidationError("--resize must be at least 1, got \(resize)")
    }
  }

  func run() throws {
    try global.apply()
    let specification = try HeadSpecification(parsing: head)
    var settings = HeadTrainingConfiguration()
    settings.epochs = epochs
    settings.batchSize = batchSize
    settings.learningRate = learningRate
    settings.momentum = momentum
    settings.weightDecay = weightDecay
    settings.validateEvery = validateEvery
    settings.seed = seed
    let trainer = HeadTrainer(specification: specification, configuration: settings)

    let kind = DatasetKind(rawValue: dataset) ?? .cifar10
    let rootURL = URL(fileURLWithPath: (root as NSString).expandingTildeInPath)
    let trainSet = try DatasetOpener.open(kind, root: rootURL, split: .train)
    let testSet = try DatasetOpener.open(kind, root: rootURL, split: .test)
    let used = min(limit ?? trainSet.count, trainSet.count)
    let split = ValidationSplit(count: used, fraction: validation, seed: seed)

    let (model, fingerprint) = try loadBackbone()
    let extractor = FeatureExtractor(
      backbone: ResNetInference(model), weightsFingerprint: fingerprint, resize: resize,
      batchSize: batchSize)
    let subset = "[first \(used), validation \(validation), seed \(seed)]"
    let cacheFolder = URL(fileURLWithPath: featureCache)
    func features(_ name: String, _ set: any LabeledImageDataset, _ indices: [Int]?) throws
      -> FeatureCache
    {
      let key = FeatureCacheKey(
        weights: fingerprint, dataset: "\(kind.rawValue):\(rootURL.path)", split: name,
        transform: extractor.transformDescription, featureCount: extractor.featureCount)
      let (cache, reused) = try FeatureCache.cached(in: cacheFolder, key: key) {
        let result = try extractor.extract(set, indices: indices) { done, total in
          let end = done == total ? "\n" : ""
          FileHandle.standardError.write(Data("\r\(name) features: \(done)/\(total)\(end)".utf8))
        }
        return (result.features, result.labels)
      }
      if reused { print("\(name) features: reused \(cache.labels.count) rows from the cache") }
      return cache
    }
    let trainFeatures = try features("train" + subset, trainSet, split.train)
    let validationFeatures =
      split.validation.isEmpty
      ? nil : try features("validation" + subset, trainSet, split.validation)
    let testFeatures = try features("test", testSet, nil)

    let runFolder = URL(
      fileURLWithPath: runDir ?? "runs/finetune-\(Int(Date().timeIntervalSince1970))")
    try FileManager.default.createDirectory(at: runFolder, withIntermediateDirectories: true)
    try writeConfig(to: runFolder.appendingPathComponent("config.json"), fingerprint: fingerprint)
    let checkpoint = runFolder.appendingPathComponent("best.safetensors")
    let classCount = trainSet.classNames.count
    let result = try trainer.train(
      train: trainFeatures, validation: validationFeatures, classCount: classCount,
      checkpoint: checkpoint
    ) { metrics in
      var line = String(
        format: "epoch %d  train loss %.4f  accuracy %.2f %%", metrics.epoch, metrics.trainLoss,
        100 * metrics.trainAccuracy)
      if let loss = metrics.validationLoss, let accuracy = metrics.validationAccuracy {
        line += String(format: "  validation loss %.4f  accuracy %.2f %%", loss, 100 * accuracy)
      }
      print(line)
    }
    try FineTuneMetrics.writeCSV(result.epochs, to: runFolder.appendingPathComponent("metrics.csv"))
    try FineTuneMetrics.writeCurves(result.epochs, to: runFolder.appendingPathComponent("curves"))

    let best = try trainer.loadHead(
      from: checkpoint, inputFeatures: extractor.featureCount, classCount: classCount)
    let test = HeadTrainer.evaluate(
      best, features: testFeatures.features, labels: testFeatures.labels, batchSize: batchSize)
    let confusion = FineTuneMetrics.confusionMatrix(
      predictions: test.predictions, labels: testFeatures.labels, classCount: classCount)
    print("best epoch \(result.bestEpoch); wrote \(runFolder.path)")
    print(String(format: "test accuracy %.2f %% (loss %.4f)", 100 * test.accuracy, test.loss))
    let perClass = FineTuneMetrics.perClassTable(
      confusion: confusion, classNames: trainSet.classNames)
    print(perClass.text())
    let summary =
      String(
        format: "Test accuracy %.2f %% (loss %.4f), best epoch %d.\n\n", 100 * test.accuracy,
        test.loss, result.bestEpoch)
      + perClass.markdown() + "\n"
      + FineTuneMetrics.confusionTable(confusion: confusion, classNames: trainSet.classNames)
      .markdown()
    try Data(summary.utf8).write(to: runFolder.appendingPathComponent("test.md"), options: .atomic)
  }

  private func loadBackbone() throws -> (ResNet, String) {
    if weights == "random" {
      return (
        try ResNet(depth: depth, seed: seed),
        FeatureExtractor.randomFingerprint(depth: depth, seed: seed)
      )
    }
    let file = try WeightsLocator.resolve(weights)
    return (try ResNet.load(from: file), try FeatureExtractor.fingerprint(weightsFile: file))
  }

  private func writeConfig(to url: URL, fingerprint: String) throws {
    let config: [String: String] = [
      "dataset": dataset, "root": root, "weights": weights, "weights_fingerprint": fingerprint,
      "depth": "\(depth)", "head": head, "epochs": "\(epochs)", "batch_size": "\(batchSize)",
      "learning_rate": "\(learningRate)", "momentum": "\(momentum)",
      "weight_decay": "\(weightDecay)", "validation": "\(validation)",
      "validate_every": "\(validateEvery)", "resize": resize.map(String.init) ?? "",
      "seed": "\(seed)", "limit": limit.map(String.init) ?? "",
    ]
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(config).write(to: url, options: .atomic)
  }
}
