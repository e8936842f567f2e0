import Checkpoints
import Foundation
import NN
import Plotting
import TensorCore
import Vision

/// A model's results on a labelled split: what `test.json` holds and `classify evaluate` prints.
public struct EvaluationResult: Codable, Sendable, Equatable {
  /// The split's name (`test`, `validation`, `train`).
  public var split: String
  /// Fraction correct.
  public var accuracy: Double
  /// Mean cross-entropy.
  public var loss: Double
  /// The class names.
  public var classNames: [String]
  /// `confusion[true][predicted]`.
  public var confusion: [[Int]]
  /// Per-class accuracy (nil for a class without samples).
  public var perClassAccuracy: [Double?]
  /// The kept model's epoch, when known.
  public var epoch: Int?
  /// Fraction of images whose class is among the five most probable (nil with 5 classes or
  /// fewer, and in results written before it was recorded).
  public var topFiveAccuracy: Double?
  /// With test-time augmentation, the accuracy of the plain images alone (the headline is the
  /// accuracy of the averaged predictions).
  public var accuracyWithoutTTA: Double?

  /// Evaluates `head` on `features` and returns the numbers and each row's probabilities.
  ///
  /// - Throws: `FineTuneError` for a label outside the model's classes (features of another
  ///   dataset), `NonFiniteOutputError` when the head's outputs hold a NaN or an infinity.
  public static func evaluate(
    head: any Layer, features: Tensor, labels: [Int], classNames: [String], split: String,
    epoch: Int?, batchSize: Int = 256
  ) throws -> (result: EvaluationResult, probabilities: [[Float]]) {
    if let bad = labels.firstIndex(where: { !(0..<classNames.count).contains($0) }) {
      throw FineTuneError(
        "the \(split) split's image \(bad) has label \(labels[bad]), but the model knows \(classNames.count) classes "
          + "(\(classNames.prefix(5).joined(separator: ", "))\(classNames.count > 5 ? ", …" : "")); "
          + "evaluate it on the dataset it was trained on (--root)")
    }
    let measured = HeadTrainer.evaluate(
      head, features: features, labels: labels, batchSize: batchSize, keepProbabilities: true)
    if let row = measured.firstNonFiniteRow {
      throw NonFiniteOutputError(image: "\(split) image \(row)", source: "the trained head")
    }
    return (
      EvaluationResult(
        predictions: measured.predictions, loss: measured.loss,
        probabilities: measured.probabilities, labels: labels, classNames: classNames,
        split: split, epoch: epoch),
      measured.probabilities
    )
  }

  /// The result of the averaged `probabilities` (`[rows][classes]`, e.g. an image's and its
  /// mirror's): the loss is the mean `−log p[label]`, the prediction the most probable class
  /// (ties to the lower index, as every ranking here).
  public static func fromProbabilities(
    _ probabilities: [[Float]], labels: [Int], classNames: [String], split: String, epoch: Int?
  ) -> EvaluationResult {
    let predictions = probabilities.map { ImageClassifier.ranked($0).first ?? 0 }
    let loss =
      zip(probabilities, labels).map { -Foundation.log(Double(max($0[$1], 1e-12))) }
      .reduce(0, +) / Double(max(labels.count, 1))
    return EvaluationResult(
      predictions: predictions, loss: loss, probabilities: probabilities, labels: labels,
      classNames: classNames, split: split, epoch: epoch)
  }

  /// Markdown: the headline, per-class accuracy and the confusion matrix.
  public var markdown: String {
    var text = String(
      format: "%@ accuracy %.2f %% (loss %.4f)", split.capitalized, 100 * accuracy, loss)
    if let topFiveAccuracy {
      text += String(format: ", top-5 accuracy %.2f %%", 100 * topFiveAccuracy)
    }
    if let accuracyWithoutTTA {
      text += String(
        format: " with test-time augmentation (%.2f %% without)", 100 * accuracyWithoutTTA)
    }
    if let epoch { text += ", model of epoch \(epoch)" }
    return text + ".\n\n"
      + FineTuneMetrics.perClassTable(confusion: confusion, classNames: classNames, split: split)
      .markdown()
      + "\n"
      + FineTuneMetrics.confusionTable(confusion: confusion, classNames: classNames).markdown()
  }

  /// Plain text for the terminal.
  public var text: String {
    String(format: "%@ accuracy %.2f %% (loss %.4f)", split, 100 * accuracy, loss)
      + (topFiveAccuracy.map { String(format: ", top-5 %.2f %%", 100 * $0) } ?? "")
      + (accuracyWithoutTTA.map { String(format: "; with TTA (%.2f %% without)", 100 * $0) } ?? "")
      + "\n"
      + FineTuneMetrics.perClassTable(confusion: confusion, classNames: classNames, split: split)
      .text()
  }
}

extension EvaluationResult {
  /// The numbers of `predictions` against `labels`: accuracy, confusion, per-class and top-5
  /// accuracy, with the `loss` measured beside them.
  init(
    predictions: [Int], loss: Double, probabilities: [[Float]], labels: [Int],
    classNames: [String], split: String, epoch: Int?
  ) {
    let confusion = FineTuneMetrics.confusionMatrix(
      predictions: predictions, labels: labels, classCount: classNames.count)
    self.init(
      split: split, accuracy: FineTuneMetrics.accuracy(predictions: predictions, labels: labels),
      loss: loss, classNames: classNames, confusion: confusion,
      perClassAccuracy: FineTuneMetrics.perClassAccuracy(confusion: confusion), epoch: epoch,
      topFiveAccuracy: FineTuneMetrics.topKAccuracy(
        probabilities: probabilities, labels: labels, k: 5))
  }
}

extension FineTuneRun {
  /// Evaluates the kept model on the test set and writes `test.md`, `test.json`, the curves and
  /// `results.html`; returns the test accuracy.
  func finish(
    inputs: FineTuneInputs, history: [HeadEpochMetrics], test: FeatureCache,
    flippedTest: FeatureCache? = nil, augmentedTests: [FeatureCache] = []
  ) throws -> Double {
    // The kept epoch's tensors go back into the model in memory (its head, and its backbone once
    // unfrozen): no backbone is rebuilt or re-hashed from disk.
    let bestFile = directory.appendingPathComponent(File.best)
    let best = try SafetensorsFile.read(from: bestFile)
    let includesBackbone = best.metadata["includes_backbone"] == "true"
    try FineTuneCheckpoint.restore(
      best.tensors, includesBackbone: includesBackbone, into: inputs.model,
      head: configuration.head, source: bestFile.path)
    inputs.model.eval()
    var features = test
    // The test-time augmentation's other views of the test images: mirrored, then the
    // augmented copies.
    var views = [flippedTest].compactMap { $0 } + augmentedTests
    if includesBackbone {
      let folded = inputs.model.folded()
      func extract(_ name: String, augmentation: String?, seed: UInt64 = 0, copy: Int = 0) throws
        -> FeatureCache
      {
        let line = progressLine(name, total: inputs.testIndices.count)
        let extractor = FeatureExtractor(
          backbone: folded, weightsFingerprint: "finetuned:" + inputs.weightsFingerprint,
          resize: configuration.resize,
          augmentation: try augmentation.map(TransformPipeline.parse), augmentationSeed: seed)
        let extracted = try extractor.extract(
          inputs.testSet, indices: inputs.testIndices, copy: copy
        ) { done, _ in line?.update(done) }
        line?.finish()
        return FeatureCache(key: test.key, features: extracted.features, labels: extracted.labels)
      }
      features = try extract("test features (fine-tuned backbone)", augmentation: nil)
      views = []
      if flippedTest != nil {
        views.append(
          try extract("mirrored test features (fine-tuned backbone)", augmentation: "flip:1"))
      }
      for copy in augmentedTests.indices {
        views.append(
          try extract(
            "augmented test copy \(copy + 1) (fine-tuned backbone)",
            augmentation: configuration.augment,
            seed: configuration.training.seed, copy: copy))
      }
    }
    let epoch = best.metadata["epoch"].flatMap(Int.init)
    var (result, probabilities) = try EvaluationResult.evaluate(
      head: inputs.model.fc, features: features.features, labels: features.labels,
      classNames: inputs.classNames, split: "test", epoch: epoch,
      batchSize: configuration.training.batchSize)
    if !views.isEmpty {
      // Test-time augmentation: each image's prediction is the mean over its views.
      var sum = probabilities
      for view in views {
        let (_, other) = try EvaluationResult.evaluate(
          head: inputs.model.fc, features: view.features, labels: view.labels,
          classNames: inputs.classNames, split: "test", epoch: epoch,
          batchSize: configuration.training.batchSize)
        sum = zip(sum, other).map { a, b in zip(a, b).map { $0 + $1 } }
      }
      let count = Float(views.count + 1)
      probabilities = sum.map { row in row.map { $0 / count } }
      let plainAccuracy = result.accuracy
      result = EvaluationResult.fromProbabilities(
        probabilities, labels: features.labels, classNames: inputs.classNames, split: "test",
        epoch: epoch)
      result.accuracyWithoutTTA = plainAccuracy
    }

    var samples: [ResultsPageSample] = []
    samples.reserveCapacity(inputs.testIndices.count)
    for (row, index) in inputs.testIndices.enumerated() {
      samples.append(
        ResultsPageSample(
          image: try inputs.testSet.image(at: index), label: features.labels[row],
          probabilities: probabilities[row], name: sampleName(inputs.testSet, index)))
    }
    var notes: [String] = []
    if configuration.usesRandomWeights {
      notes.append("The backbone has random (seeded) weights, not ImageNet weights.")
    }
    if let epoch {
      notes.append("The model kept is the one of epoch \(epoch) (best validation).")
    }
    if let without = result.accuracyWithoutTTA {
      notes.append(
        String(
          format:
            "Test-time augmentation: each image's scores are the mean over the image, its mirror image and, with augmentation, its cached augmented copies; accuracy %.2f %% with it, %.2f %% without.",
          100 * result.accuracy, 100 * without))
    }
    var page = ResultsPage(
      title: "classify finetune — \(configuration.dataset) test results",
      classNames: inputs.classNames,
      samples: samples, history: history,
      settings: configuration.rows.map { ResultsPage.Setting($0.name, $0.value) }, notes: notes)
    page.keptEpoch = epoch
    page.unfreezeEpoch = configuration.unfreezeEpochs > 0 ? configuration.training.epochs + 1 : nil

    // A write that fails (a full disk) leaves the trained model and the earlier files as they
    // were; resuming the finished run writes the results again.
    do {
      try FineTuneMetrics.writeCSV(history, to: directory.appendingPathComponent(File.metrics))
      try FineTuneMetrics.writeJSONLines(
        history, to: directory.appendingPathComponent("metrics.jsonl"))
      try FineTuneMetrics.writeCurves(
        history, to: directory.appendingPathComponent("curves"), keptEpoch: epoch,
        unfreezeEpoch: configuration.unfreezeEpochs > 0 ? configuration.training.epochs + 1 : nil)
      try Data(result.markdown.utf8).write(
        to: directory.appendingPathComponent("test.md"), options: .atomic)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(result).write(
        to: directory.appendingPathComponent(File.test), options: .atomic)

      let predictions = TestPredictions(
        classNames: inputs.classNames,
        rows: samples.enumerated().map { row, sample in
          TestPredictions.Row(
            index: inputs.testIndices[row], name: sample.name ?? "test #\(inputs.testIndices[row])",
            label: sample.label,
            probabilities: sample.probabilities.map(Double.init))
        })
      try Data(predictions.csv.utf8).write(
        to: directory.appendingPathComponent(TestPredictions.fileName), options: .atomic)
      try page.write(to: directory.appendingPathComponent(File.results))
    } catch {
      throw FineTuneError(
        "\(error). The trained model is kept in \(directory.appendingPathComponent(File.best).path); "
          + "free some space, then `classify finetune --resume \(directory.path)` writes the results again"
      )
    }
    say(result.text)
    say(
      "wrote \(directory.path): best.safetensors, metrics.csv, curves.png, test.md, results.html"
    )
    return result.accuracy
  }
}

extension FineTuneRun {
  /// How the results page names test image `index`: its file path under the dataset root for
  /// image folders and CSVs, else `test #N`.
  func sampleName(_ dataset: any LabeledImageDataset, _ index: Int) -> String {
    guard let folder = dataset as? ImageFolderDataset, index < folder.files.count else {
      return "test #\(index)"
    }
    let path = folder.files[index].standardizedFileURL.path
    let root = URL(fileURLWithPath: configuration.root).standardizedFileURL.path + "/"
    return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
  }
}
