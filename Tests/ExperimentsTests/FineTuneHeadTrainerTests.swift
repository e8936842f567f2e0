import Checkpoints
import Foundation
import NN
import TensorCore
import Testing

@testable import Experiments

/// Three Gaussian blobs in 16-D: class `c` has mean 4 on axis `c` and 0 elsewhere, unit
/// variance, so a linear head separates them almost perfectly.
private func blobs(rows: Int, seed: UInt64, split: String) -> FeatureCache {
  var generator = SeededGenerator(seed: seed)
  var scalars: [Float] = []
  var labels: [Int] = []
  for row in 0..<rows {
    let label = row % 3
    labels.append(label)
    scalars += (0..<16).map { axis in (axis == label ? 4 : 0) + generator.nextNormal() }
  }
  return FeatureCache(
    key: FeatureCacheKey(
      weights: "synthetic", dataset: "blobs", split: split, transform: "none", featureCount: 16),
    features: Tensor(shape: [rows, 16], scalars: scalars), labels: labels)
}

@Suite("Fine-tune head trainer")
struct FineTuneHeadTrainerTests {
  func trainer(epochs: Int = 6) throws -> HeadTrainer {
    var settings = HeadTrainingConfiguration()
    settings.epochs = epochs
    settings.learningRate = 0.05
    settings.validateEvery = 2
    return HeadTrainer(
      specification: try HeadSpecification(parsing: "32,relu,dropout:0.2"), configuration: settings)
  }

  @Test("separable features reach > 90 % validation accuracy and the best head is kept")
  func learnsBlobs() throws {
    let train = blobs(rows: 240, seed: 1, split: "train")
    let validation = blobs(rows: 60, seed: 2, split: "validation")
    let trainer = try trainer()
    var seen: [Int] = []
    let result = try trainer.train(
      train: train, validation: validation, classCount: 3
    ) { seen.append($0.epoch) }

    #expect(seen == [1, 2, 3, 4, 5, 6])
    #expect(
      result.epochs.map { $0.validationAccuracy != nil } == [false, true, false, true, false, true])
    let best = try #require(result.bestValidation)
    #expect(best.accuracy > 0.9)
    let bestRecorded = result.epochs.compactMap(\.validationAccuracy).max()
    #expect(best.accuracy == bestRecorded)

    // The kept state is the best epoch's head: a fresh head loaded with it scores the same.
    let reloaded = trainer.makeHead(inputFeatures: 16, classCount: 3)
    try reloaded.loadStateDict(result.bestState)
    let again = HeadTrainer.evaluate(
      reloaded, features: validation.features, labels: validation.labels)
    #expect(again.accuracy == best.accuracy)
    #expect(abs(again.loss - best.loss) < 1e-6)
  }

  @Test("label smoothing raises the training loss but not the validation loss's definition")
  func labelSmoothing() throws {
    let train = blobs(rows: 120, seed: 1, split: "train")
    let validation = blobs(rows: 30, seed: 2, split: "validation")
    var plain = try trainer(epochs: 2)
    var smoothed = plain
    smoothed.configuration.labelSmoothing = 0.2
    let a = try plain.train(train: train, validation: validation, classCount: 3)
    let b = try smoothed.train(train: train, validation: validation, classCount: 3)
    // Separable blobs: plain cross-entropy falls towards 0, the smoothed target keeps a floor of
    // the entropy of (0.867, 0.067, 0.067) ≈ 0.50.
    let (plainLoss, smoothLoss) = (a.epochs.last!.trainLoss, b.epochs.last!.trainLoss)
    #expect(smoothLoss > plainLoss && smoothLoss > 0.45, "\(plainLoss) vs \(smoothLoss)")
    // Validation is plain cross-entropy of the smoothed head: below the smoothed training loss.
    #expect(b.epochs.last!.validationLoss! < smoothLoss)
    plain.configuration.labelSmoothing = 1
    #expect(throws: HeadTrainingError.self) {
      _ = try plain.train(train: train, validation: nil, classCount: 3)
    }
  }

  @Test("early stopping: after `patience` validations without a lower loss, by hand and in a run")
  func earlyStopping() throws {
    func history(_ losses: [Double?]) -> [HeadEpochMetrics] {
      losses.enumerated().map {
        HeadEpochMetrics(
          epoch: $0.offset + 1, trainLoss: 1, trainAccuracy: 0, validationLoss: $0.element)
      }
    }
    #expect(!HeadTrainer.stopsEarly(history([0.9, 0.8, 0.85]), patience: 2))
    // Equal is no gain; unvalidated epochs do not count.
    #expect(HeadTrainer.stopsEarly(history([0.9, 0.8, 0.85, 0.8]), patience: 2))
    #expect(!HeadTrainer.stopsEarly(history([0.9, nil, 0.8, nil]), patience: 1))
    #expect(HeadTrainer.stopsEarly(history([0.9, nil, 0.8, nil, 0.81]), patience: 1))
    #expect(!HeadTrainer.stopsEarly(history([0.9, 1, 1.1]), patience: nil))
    // A real run: a high rate on small blobs overfits, the loss turns up, training stops early.
    var trainer = try trainer(epochs: 40)
    trainer.configuration.validateEvery = 1
    trainer.configuration.learningRate = 0.5
    trainer.configuration.patience = 2
    let result = try trainer.train(
      train: blobs(rows: 60, seed: 1, split: "train"),
      validation: blobs(rows: 30, seed: 2, split: "validation"), classCount: 3)
    #expect(result.epochs.count < 40, "trained all \(result.epochs.count) epochs")
    #expect(HeadTrainer.stopsEarly(result.epochs, patience: 2))
    #expect(!HeadTrainer.stopsEarly(Array(result.epochs.dropLast()), patience: 2))
  }

  @Test("balanced class weights: N / (C · n_c) by hand; a weighted run trains and differs")
  func classWeights() throws {
    // 6 labels, 3 classes: counts 3, 2, 1 (and a fourth class absent) → 6/(4·3), 6/(4·2), 6/4, 0.
    #expect(
      ClassWeighting.balanced.weights(labels: [0, 0, 0, 1, 1, 2], classCount: 4) == [
        0.5, 0.75, 1.5, 0,
      ])
    let train = blobs(rows: 60, seed: 1, split: "train")
    var plain = try trainer(epochs: 2)
    plain.configuration.validateEvery = 1
    var weighted = plain
    weighted.configuration.classWeights = .balanced
    // Balanced blobs (20 of each): the weights are all 1 and the runs are identical.
    let a = try plain.train(train: train, validation: nil, classCount: 3)
    let b = try weighted.train(train: train, validation: nil, classCount: 3)
    #expect(a.epochs == b.epochs)
    // Drop most of class 2: now the weights differ from 1 and so does training.
    let keep = (0..<60).filter { train.labels[$0] != 2 || $0 < 9 }
    let skewed = FeatureCache(
      key: train.key, features: train.features.gatherRows(keep),
      labels: keep.map { train.labels[$0] })
    let c = try plain.train(train: skewed, validation: nil, classCount: 3)
    let d = try weighted.train(train: skewed, validation: nil, classCount: 3)
    #expect(c.epochs.last?.trainLoss != d.epochs.last?.trainLoss)
  }

  @Test("a one-cycle schedule sets each batch's rate; the last batch runs at PyTorch's final rate")
  func schedule() throws {
    let train = blobs(rows: 96, seed: 1, split: "train")
    var trainer = try trainer(epochs: 3)
    trainer.configuration.schedule = .oneCycle
    let head = trainer.makeHead(inputFeatures: 16, classCount: 3)
    let optimizer = trainer.makeOptimizer(for: head)
    var state = TrainingProgress()
    _ = try trainer.train(
      head, optimizer: optimizer, copies: [train], validation: nil, classCount: 3, state: &state,
      hooks: TrainingHooks())
    let steps = 3 * ((96 + trainer.configuration.batchSize - 1) / trainer.configuration.batchSize)
    let last = LearningRateSchedule.oneCycle.rate(
      step: steps - 1, totalSteps: steps, warmup: 0.3, base: trainer.configuration.learningRate)
    #expect(optimizer.groups[0].learningRate == last)
    // OneCycleLR ends at max_lr / (25 · 10⁴).
    #expect(abs(Double(last) - Double(trainer.configuration.learningRate) / 2.5e5) < 1e-12)
    #expect(state.history.count == 3)
  }

  /// The head has no ReLU: our `relu` maps NaN to 0 (PyTorch's propagates it), which would
  /// hide the NaN from the loss.
  @Test("NaN features stop training with an error naming the epoch")
  func divergence() throws {
    var settings = HeadTrainingConfiguration()
    settings.epochs = 2
    let trainer = HeadTrainer(specification: .assignment, configuration: settings)
    let train = blobs(rows: 30, seed: 1, split: "train")
    var scalars = train.features.scalars
    scalars[5] = .nan
    let poisoned = FeatureCache(
      key: train.key, features: Tensor(shape: train.features.shape, scalars: scalars),
      labels: train.labels)
    let error = #expect(throws: HeadTrainingError.self) {
      _ = try trainer.train(train: poisoned, validation: nil, classCount: 3)
    }
    #expect(error?.description.contains("diverged in epoch 1") == true)
    #expect(error?.description.contains("no checkpoint was written") == true)
  }

  @Test("labels outside the class count are rejected before training")
  func badLabels() throws {
    let train = blobs(rows: 30, seed: 1, split: "train")
    #expect(throws: HeadTrainingError.self) {
      _ = try trainer().train(train: train, validation: nil, classCount: 2)
    }
  }

  @Test("FeatureCache.cached builds once, reuses the file, and rebuilds for another key")
  func cacheReuse() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let source = blobs(rows: 9, seed: 3, split: "train")
    var builds = 0
    func build() -> (features: Tensor, labels: [Int]) {
      builds += 1
      return (source.features, source.labels)
    }
    let first = try FeatureCache.cached(in: folder, key: source.key, build: build)
    let second = try FeatureCache.cached(in: folder, key: source.key, build: build)
    #expect(!first.reused && second.reused && builds == 1)
    #expect(second.cache.features == source.features && second.cache.labels == source.labels)
    let file = folder.appendingPathComponent("\(source.key.fingerprint).features")
    #expect(try FeatureCache.read(from: file).features == second.cache.features)

    var other = source.key
    other.transform = "resize:64"
    #expect(other.fingerprint != source.key.fingerprint)
    let third = try FeatureCache.cached(in: folder, key: other, build: build)
    #expect(!third.reused && builds == 2)

    try Data("damaged".utf8).write(to: file)
    let fourth = try FeatureCache.cached(in: folder, key: source.key, build: build)
    #expect(!fourth.reused && builds == 3)
  }
}

@Suite("Fine-tune metrics")
struct FineTuneMetricsTests {
  @Test("confusion matrix, accuracy and per-class accuracy on a hand-counted case")
  func confusion() {
    let labels = [0, 0, 1, 1, 1, 2]
    let predictions = [0, 1, 1, 1, 0, 0]
    let matrix = FineTuneMetrics.confusionMatrix(
      predictions: predictions, labels: labels, classCount: 3)
    #expect(matrix == [[1, 1, 0], [1, 2, 0], [1, 0, 0]])
    #expect(FineTuneMetrics.accuracy(predictions: predictions, labels: labels) == 0.5)
    let perClass = FineTuneMetrics.perClassAccuracy(confusion: matrix)
    #expect(perClass[0] == 0.5 && perClass[1] == 2.0 / 3.0 && perClass[2] == 0)
    #expect(FineTuneMetrics.perClassAccuracy(confusion: [[0, 0], [0, 3]])[0] == nil)
    // Class b: TP 2, predicted 3 times (precision 2/3), 3 samples (recall 2/3), F1 2·2/(3+3).
    // Class c: never predicted (precision undefined), F1 0; class a: precision 1/3, F1 2/(2+3).
    let precision = FineTuneMetrics.perClassPrecision(confusion: matrix)
    #expect(precision[0] == 1.0 / 3.0 && precision[1] == 2.0 / 3.0 && precision[2] == nil)
    let f1 = FineTuneMetrics.perClassF1(confusion: matrix)
    #expect(f1[0] == 0.4 && f1[1] == 2.0 / 3.0 && f1[2] == 0)
    #expect(FineTuneMetrics.perClassF1(confusion: [[0, 0], [0, 3]])[0] == nil)
    let table = FineTuneMetrics.perClassTable(confusion: matrix, classNames: ["a", "b", "c"])
    #expect(table.rows[1] == ["b", "3", "2", "66.7 %", "66.7 %", "0.667"])
    #expect(table.rows[2] == ["c", "1", "0", "0.0 %", "–", "0.000"])
  }

  @Test("top-5 accuracy counts labels among the five most probable classes; none for ≤ 5 classes")
  func topFive() {
    // Six classes; row 0's label 5 is 6th (miss), row 1's label 1 is 2nd (hit), row 2 ties: the
    // lower index ranks first, so label 4 is 5th of the equal scores (hit).
    let probabilities: [[Float]] = [
      [0.3, 0.2, 0.2, 0.1, 0.1, 0.1], [0.5, 0.4, 0.1, 0, 0, 0], [0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    ]
    #expect(
      FineTuneMetrics.topKAccuracy(probabilities: probabilities, labels: [5, 1, 4], k: 5)
        == 2.0 / 3.0)
    #expect(FineTuneMetrics.topKAccuracy(probabilities: [[0.5, 0.5]], labels: [0], k: 5) == nil)
  }

  @Test("metrics CSV leaves unvalidated epochs empty and is written atomically")
  func csv() throws {
    let epochs = [
      HeadEpochMetrics(epoch: 1, trainLoss: 1.5, trainAccuracy: 0.25),
      HeadEpochMetrics(
        epoch: 2, trainLoss: 1, trainAccuracy: 0.5, validationLoss: 0.75, validationAccuracy: 0.5),
    ]
    let expected = """
      epoch,train_loss,train_accuracy,validation_loss,validation_accuracy
      1,1.5,0.25,,
      2,1.0,0.5,0.75,0.5

      """
    #expect(FineTuneMetrics.csv(epochs) == expected)
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("metrics.csv")
    try FineTuneMetrics.writeCSV(epochs, to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == expected)
    try FineTuneMetrics.writeCurves(epochs, to: folder.appendingPathComponent("curves"))
    #expect(
      FileManager.default.fileExists(atPath: folder.appendingPathComponent("curves.png").path))
  }
}
