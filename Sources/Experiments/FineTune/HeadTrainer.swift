import Foundation
import NN
import TensorCore

/// The hyper-parameters of training a head on cached features. Defaults are the assignment's
/// (`optim.SGD(lr=0.001, momentum=0.9)`, batches of 64).
public struct HeadTrainingConfiguration: Sendable, Equatable, Codable {
  /// Passes over the training features.
  public var epochs: Int = 10
  /// Rows per SGD step (the last batch of an epoch may be smaller).
  public var batchSize: Int = 64
  /// SGD learning rate.
  public var learningRate: Float = 0.001
  /// SGD momentum (PyTorch's formulation, no dampening).
  public var momentum: Float = 0.9
  /// The L2 penalty, applied as SGD weight decay (`g ← g + λ·w`, PyTorch's `weight_decay`).
  public var weightDecay: Float = 0
  /// Evaluate on the validation features every this many epochs (and always after the last).
  public var validateEvery: Int = 1
  /// Seeds the head's initialisation, its dropout masks and each epoch's shuffle.
  public var seed: UInt64 = 0

  /// The assignment's settings.
  public init() {}
}

/// One epoch's numbers. Losses are mean cross-entropy; accuracies are fractions in [0, 1].
public struct HeadEpochMetrics: Sendable, Equatable {
  /// 1-based epoch.
  public var epoch: Int
  /// Mean training loss over the epoch's batches, weighted by batch size (dropout active).
  public var trainLoss: Double
  /// Training accuracy of the predictions made during the epoch (dropout active).
  public var trainAccuracy: Double
  /// Validation loss, when the epoch was evaluated.
  public var validationLoss: Double?
  /// Validation accuracy, when the epoch was evaluated.
  public var validationAccuracy: Double?

  /// One epoch's metrics.
  public init(
    epoch: Int, trainLoss: Double, trainAccuracy: Double, validationLoss: Double? = nil,
    validationAccuracy: Double? = nil
  ) {
    self.epoch = epoch
    self.trainLoss = trainLoss
    self.trainAccuracy = trainAccuracy
    self.validationLoss = validationLoss
    self.validationAccuracy = validationAccuracy
  }
}

/// What `HeadTrainer.train` returns.
public struct HeadTrainingResult: Sendable {
  /// Every epoch's metrics, in order.
  public var epochs: [HeadEpochMetrics]
  /// The epoch whose head was kept (lowest validation error, ties to the lower validation
  /// loss; the last epoch when there is no validation set).
  public var bestEpoch: Int
  /// The kept head's validation metrics (nil without validation).
  public var bestValidation: (loss: Double, accuracy: Double)?
}

/// Why head training stopped.
public struct HeadTrainingError: Error, CustomStringConvertible, Equatable {
  /// The message, naming the epoch or option and the fix.
  public let description: String

  static func diverged(epoch: Int, batch: Int, checkpoint: URL?, bestEpoch: Int?) -> Self {
    let kept =
      if let checkpoint, let bestEpoch {
        "the best head so far (epoch \(bestEpoch)) is kept in \(checkpoint.path)"
      } else { "no checkpoint was written" }
    return Self(
      description:
        "training diverged in epoch \(epoch), batch \(batch): the loss is not finite (NaN or inf); "
        + "\(kept). Lower --learning-rate, or check the features for NaN/inf values")
  }
}

/// Trains a `HeadSpecification` head on cached backbone features (Part 4 with a frozen
/// backbone): shuffled mini-batch SGD on cross-entropy, validation every k epochs, and the best
/// head kept in a safetensors checkpoint.
///
/// Equivalent to the provided code's loop over `trainloader` with `net.fc` the head and the
/// backbone frozen, except that the backbone's outputs are computed once (`FeatureCache`).
public struct HeadTrainer {
  /// The head's layers.
  public var specification: HeadSpecification
  /// The hyper-parameters.
  public var configuration: HeadTrainingConfiguration

  /// A trainer for `specification` with `configuration`.
  public init(
    specification: HeadSpecification = .assignment,
    configuration: HeadTrainingConfiguration = HeadTrainingConfiguration()
  ) {
    self.specification = specification
    self.configuration = configuration
  }

  /// Builds the head this trainer trains (fresh, seeded) for `inputFeatures` and `classCount`.
  public func makeHead(inputFeatures: Int, classCount: Int) -> Sequential {
    specification.build(
      inputFeatures: inputFeatures, classCount: classCount, seed: configuration.seed)
  }

  /// Trains a fresh head on `train` and returns the per-epoch metrics.
  ///
  /// - Parameters:
  ///   - train: training features `[N, F]` with labels in `0..<classCount`.
  ///   - validation: validation features; evaluated every `validateEvery` epochs and after the
  ///     last one. Without it the last epoch's head is the one kept.
  ///   - checkpoint: where the kept head is written (atomically, replaced whenever a better
  ///     one appears) with metadata `epoch`, `validation_loss`, `validation_accuracy`, `head`,
  ///     `input_features`, `class_count`.
  ///   - progress: called after every epoch.
  /// - Throws: `HeadTrainingError` for invalid settings or labels, or when the loss becomes
  ///   NaN/inf (the checkpoint then still holds the last good head); write errors.
  public func train(
    train: FeatureCache, validation: FeatureCache?, classCount: Int, checkpoint: URL?,
    progress: (HeadEpochMetrics) -> Void = { _ in }
  ) throws -> HeadTrainingResult {
    let settings = configuration
    try validate(train: train, validation: validation, classCount: classCount)
    let head = makeHead(inputFeatures: train.key.featureCount, classCount: classCount)
    let optimizer = SGD(
      head.parameters, learningRate: settings.learningRate, momentum: settings.momentum,
      weightDecay: settings.weightDecay)
    var shuffler = SeededGenerator(seed: settings.seed ^ 0x5348_5546_464C_4521)
    var history: [HeadEpochMetrics] = []
    var best: (epoch: Int, loss: Double, accuracy: Double)?
    let rows = train.labels.count
    for epoch in 1...settings.epochs {
      var order = Array(0..<rows)
      for index in stride(from: rows - 1, to: 0, by: -1) {
        order.swapAt(index, Int(shuffler.next(upperBound: UInt64(index + 1))))
      }
      head.train()
      var lossSum = 0.0
      var correct = 0
      for (batchIndex, start) in stride(from: 0, to: rows, by: settings.batchSize).enumerated() {
        let indices = Array(order[start..<min(start + settings.batchSize, rows)])
        let labels = indices.map { train.labels[$0] }
        optimizer.zeroGradients()
        let logits = head(train.features.gatherRows(indices))
        let loss = Loss.crossEntropy(logits: logits, labels: labels)
        let value = loss.item
        guard value.isFinite else {
          throw HeadTrainingError.diverged(
            epoch: epoch, batch: batchIndex + 1, checkpoint: best == nil ? nil : checkpoint,
            bestEpoch: best?.epoch)
        }
        loss.backward()
        optimizer.step()
        lossSum += Double(value) * Double(indices.count)
        correct += zip(logits.detached.argmax(alongAxis: 1), labels).filter { $0 == $1 }.count
      }
      var metrics = HeadEpochMetrics(
        epoch: epoch, trainLoss: lossSum / Double(rows),
        trainAccuracy: Double(correct) / Double(rows))
      let isLast = epoch == settings.epochs
      if let validation, epoch % settings.validateEvery == 0 || isLast {
        let result = Self.evaluate(
          head, features: validation.features, labels: validation.labels,
          batchSize: settings.batchSize)
        guard result.loss.isFinite else {
          throw HeadTrainingError.diverged(
            epoch: epoch, batch: 0, checkpoint: best == nil ? nil : checkpoint,
            bestEpoch: best?.epoch)
        }
        metrics.validationLoss = result.loss
        metrics.validationAccuracy = result.accuracy
        if best.map({
          result.accuracy > $0.accuracy || (result.accuracy == $0.accuracy && result.loss < $0.loss)
        }) ?? true {
          best = (epoch, result.loss, result.accuracy)
          if let checkpoint {
            try save(head, to: checkpoint, metrics: metrics, classCount: classCount)
          }
        }
      } else if validation == nil, isLast, let checkpoint {
        try save(head, to: checkpoint, metrics: metrics, classCount: classCount)
      }
      history.append(metrics)
      progress(metrics)
    }
    return HeadTrainingResult(
      epochs: history, bestEpoch: best?.epoch ?? settings.epochs,
      bestValidation: best.map { ($0.loss, $0.accuracy) })
  }

  /// Loads a head written by `train` (same specification, feature width and class count).
  public func loadHead(from url: URL, inputFeatures: Int, classCount: Int) throws -> Sequential {
    let head = makeHead(inputFeatures: inputFeatures, classCount: classCount)
    try head.load(from: url)
    head.eval()
    return head
  }

  /// Evaluation-mode mean cross-entropy, accuracy and predictions of `head` on `features`
  /// (dropout off, no tape); the head's mode is restored afterwards.
  public static func evaluate(
    _ head: Sequential, features: Tensor, labels: [Int], batchSize: Int = 256
  ) -> (loss: Double, accuracy: Double, predictions: [Int]) {
    let wasTraining = head.isTraining
    head.eval()
    defer { head.train(wasTraining) }
    let rows = labels.count
    guard rows > 0 else { return (0, 0, []) }
    var lossSum = 0.0
    var predictions: [Int] = []
    predictions.reserveCapacity(rows)
    Autograd.withoutGradient {
      for start in stride(from: 0, to: rows, by: max(batchSize, 1)) {
        let range = start..<min(start + max(batchSize, 1), rows)
        let logits = head(features.slice(alongAxis: 0, range))
        let batchLabels = Array(labels[range])
        lossSum +=
          Double(Loss.crossEntropy(logits: logits, labels: batchLabels).item) * Double(range.count)
        predictions += logits.argmax(alongAxis: 1)
      }
    }
    return (
      lossSum / Double(rows), FineTuneMetrics.accuracy(predictions: predictions, labels: labels),
      predictions
    )
  }

  private func validate(train: FeatureCache, validation: FeatureCache?, classCount: Int) throws {
    let settings = configuration
    func fail(_ message: String) -> HeadTrainingError { HeadTrainingError(description: message) }
    guard settings.epochs >= 1 else {
      throw fail("--epochs must be at least 1, got \(settings.epochs)")
    }
    guard settings.batchSize >= 1 else {
      throw fail("--batch-size must be at least 1, got \(settings.batchSize)")
    }
    guard settings.validateEvery >= 1 else {
      throw fail("--validate-every must be at least 1, got \(settings.validateEvery)")
    }
    guard settings.learningRate > 0, settings.learningRate.isFinite else {
      throw fail("--learning-rate must be a positive number, got \(settings.learningRate)")
    }
    guard settings.weightDecay >= 0 else {
      throw fail("--weight-decay must be ≥ 0, got \(settings.weightDecay)")
    }
    guard !train.labels.isEmpty else { throw fail("the training features are empty") }
    for (name, cache) in [("training", train), ("validation", validation)] {
      guard let cache else { continue }
      guard cache.key.featureCount == train.key.featureCount else {
        throw fail(
          "the \(name) features have \(cache.key.featureCount) columns, the training features \(train.key.featureCount)"
        )
      }
      if let bad = cache.labels.first(where: { !(0..<classCount).contains($0) }) {
        throw fail(
          "the \(name) features have label \(bad), outside 0..<\(classCount); unlabelled splits cannot be trained on"
        )
      }
    }
  }

  private func save(
    _ head: Sequential, to url: URL, metrics: HeadEpochMetrics, classCount: Int
  ) throws {
    var metadata = [
      "epoch": "\(metrics.epoch)", "head": specification.description,
      "class_count": "\(classCount)",
      "train_loss": "\(metrics.trainLoss)", "train_accuracy": "\(metrics.trainAccuracy)",
    ]
    if let input = head.parameters.first?.shape.last { metadata["input_features"] = "\(input)" }
    if let loss = metrics.validationLoss { metadata["validation_loss"] = "\(loss)" }
    if let accuracy = metrics.validationAccuracy {
      metadata["validation_accuracy"] = "\(accuracy)"
    }
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try head.save(to: url, metadata: metadata)
  }
}
