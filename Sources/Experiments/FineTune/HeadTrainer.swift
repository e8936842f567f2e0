import Foundation
import NN
import TensorCore

/// Trains a `HeadSpecification` head on cached backbone features (Part 4 with a frozen
/// backbone): shuffled mini-batch SGD on cross-entropy, validation every k epochs, and the best
/// head kept (by `FineTuneRun` in `best.safetensors`, the model's own state dict).
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
  ///   - progress: called after every epoch.
  /// - Returns: the metrics and the kept head's state dict (load it into `makeHead`'s head).
  /// - Throws: `HeadTrainingError` for invalid settings or labels, or when the loss becomes
  ///   NaN/inf.
  public func train(
    train: FeatureCache, validation: FeatureCache?, classCount: Int,
    progress: @escaping (HeadEpochMetrics) -> Void = { _ in }
  ) throws -> HeadTrainingResult {
    let head = makeHead(inputFeatures: train.key.featureCount, classCount: classCount)
    let optimizer = makeOptimizer(for: head)
    var state = TrainingProgress()
    var hooks = TrainingHooks()
    hooks.epochFinished = progress
    var kept: [String: Tensor] = [:]
    hooks.saveBest = { head, _ in kept = head.stateDict() }
    _ = try self.train(
      head, optimizer: optimizer, copies: [train], validation: validation,
      classCount: classCount, state: &state, hooks: hooks)
    return HeadTrainingResult(
      epochs: state.history, bestEpoch: state.best?.epoch ?? configuration.epochs,
      bestValidation: validation == nil
        ? nil : state.best.flatMap { best in best.accuracy.map { (best.loss, $0) } },
      bestState: kept)
  }

  /// The configured optimizer for `head`: PyTorch's `optim.SGD(head.parameters(), lr, momentum,
  /// weight_decay)`, or `optim.AdamW(head.parameters(), lr, weight_decay)`.
  public func makeOptimizer(for head: Sequential) -> any Optimizer {
    Self.makeOptimizer([ParameterGroup(head.parameters)], configuration: configuration)
  }

  /// The configured optimizer over `groups` (groups may set their own rate and decay).
  static func makeOptimizer(
    _ groups: [ParameterGroup], configuration: HeadTrainingConfiguration
  ) -> any Optimizer {
    switch configuration.optimizer {
    case .sgd:
      SGD(
        groups, learningRate: configuration.learningRate, momentum: configuration.momentum,
        weightDecay: configuration.weightDecay)
    case .adamw:
      Adam(
        groups, learningRate: configuration.learningRate, weightDecay: configuration.weightDecay,
        decoupledWeightDecay: true)
    }
  }

  /// Continues training `head` from `state` up to `configuration.epochs`: the resumable core.
  ///
  /// Every random choice is a function of the seed and the step: epoch `e` visits the rows in
  /// an order drawn from `(seed, e)` and trains on augmented copy `(e − 1) mod copies.count`;
  /// batch `b`'s dropout masks come from `(seed, e, b)`. So a run stopped after any batch
  /// (`hooks.shouldStop`) and continued from the saved `state`, weights and momentum takes
  /// exactly the steps the uninterrupted run takes.
  ///
  /// - Returns: `.interrupted` when `hooks.shouldStop()` turned true (after `hooks.saveState`
  ///   has recorded where), `.finished` after the last epoch.
  /// - Throws: `HeadTrainingError` for invalid settings or labels or a NaN/inf loss; what the
  ///   hooks throw.
  public func train(
    _ head: Sequential, optimizer: any Optimizer, copies: [FeatureCache],
    validation: FeatureCache?,
    classCount: Int, state: inout TrainingProgress, hooks: TrainingHooks
  ) throws -> TrainingOutcome {
    let settings = configuration
    guard let first = copies.first else {
      throw HeadTrainingError(description: "no training features were given")
    }
    for copy in copies { try validate(train: copy, validation: validation, classCount: classCount) }
    guard copies.allSatisfy({ $0.labels == first.labels }) else {
      throw HeadTrainingError(
        description: "the augmented copies of the training features have different labels")
    }
    let rows = first.labels.count
    let batchCount = (rows + settings.batchSize - 1) / settings.batchSize
    let classWeights = settings.classWeights?.weights(labels: first.labels, classCount: classCount)
    while state.epoch <= settings.epochs,
      !Self.stopsEarly(state.history, patience: settings.patience)
    {
      let epoch = state.epoch
      let train = copies[(epoch - 1) % copies.count]
      let order = Self.shuffledOrder(rows: rows, seed: settings.seed, epoch: epoch)
      head.train()
      func batchIndices(_ batch: Int) -> [Int] {
        let start = batch * settings.batchSize
        return Array(order[start..<min(start + settings.batchSize, rows)])
      }
      var prefetch =
        state.batch < batchCount
        ? BatchPrefetch(features: train.features, indices: batchIndices(state.batch)) : nil
      while state.batch < batchCount, let ready = prefetch {
        let batch = state.batch
        let indices = batchIndices(batch)
        let inputs = ready.wait()
        prefetch =
          batch + 1 < batchCount
          ? BatchPrefetch(features: train.features, indices: batchIndices(batch + 1)) : nil
        let labels = indices.map { train.labels[$0] }
        Self.reseedDropouts(in: head, seed: settings.seed, epoch: epoch, batch: batch)
        optimizer.zeroGradients()
        // The rate of this batch: a function of its step alone, so a resumed run agrees.
        optimizer.schedule(
          settings.schedule, step: (epoch - 1) * batchCount + batch,
          totalSteps: settings.epochs * batchCount, warmup: settings.effectiveWarmup,
          baseRates: [settings.learningRate])
        let (value, predictions) = Self.lossAndGradients(
          labels: labels, labelSmoothing: settings.labelSmoothing, classWeights: classWeights
        ) { head(inputs) }
        guard value.isFinite else {
          throw HeadTrainingError.diverged(
            epoch: epoch, batch: batch + 1, checkpoint: state.best == nil ? nil : hooks.checkpoint,
            bestEpoch: state.best?.epoch)
        }
        optimizer.step()
        state.lossSum += Double(value) * Double(indices.count)
        state.correct += zip(predictions, labels).filter { $0 == $1 }.count
        state.seen += indices.count
        state.batch += 1
        hooks.batchFinished(state.batch, batchCount)
        if state.batch < batchCount, hooks.shouldStop() {
          try hooks.saveState(state)
          return .interrupted
        }
      }
      let validate = validation.map { validation in
        {
          Self.evaluate(
            head, features: validation.features, labels: validation.labels,
            batchSize: settings.batchSize)
        }
      }
      try Self.closeEpoch(
        head, state: &state, lastEpoch: settings.epochs, validateEvery: settings.validateEvery,
        validate: validate, hooks: hooks)
      if state.epoch <= settings.epochs, hooks.shouldStop() { return .interrupted }
    }
    return .finished
  }

  /// Whether early stopping ends training after `history`: the validation loss has not improved
  /// (fallen below its best) for `patience` validations in a row. A function of the history
  /// alone, so a resumed run stops where the uninterrupted one did.
  public static func stopsEarly(_ history: [HeadEpochMetrics], patience: Int?) -> Bool {
    guard let patience, patience >= 1 else { return false }
    let losses = history.compactMap(\.validationLoss)
    guard let best = losses.indices.min(by: { losses[$0] < losses[$1] }) else { return false }
    return losses.count - 1 - best >= patience
  }

  /// The cross-entropy of `logits()` against `labels`, back-propagated when finite, and the
  /// predicted classes. The tape is released before this returns: while it lives it shares
  /// the weights' storage, so the optimizer's in-place update would first copy every weight
  /// (100 MB a step for ResNet-50).
  static func lossAndGradients(
    labels: [Int], labelSmoothing: Float = 0, classWeights: [Float]? = nil,
    logits compute: () -> Tensor
  ) -> (loss: Float, predictions: [Int]) {
    let logits = compute()
    let loss = Loss.crossEntropy(
      logits: logits, labels: labels, labelSmoothing: labelSmoothing, classWeights: classWeights)
    let value = loss.item
    if value.isFinite { loss.backward() }
    return (value, logits.detached.argmax(alongAxis: 1))
  }

  /// Ends epoch `state.epoch` of a training loop: its metrics; validation when it is due
  /// (every `validateEvery` epochs and at `lastEpoch`), keeping the best model (`saveBest`), or
  /// the last epoch's when there is no validation set (`validate` nil); then the history, the
  /// saved state and the report. Shared by the head-only and the unfrozen loops.
  ///
  /// - Throws: `HeadTrainingError.diverged` for a NaN/inf validation loss; the hooks' errors.
  static func closeEpoch(
    _ head: Sequential, state: inout TrainingProgress, lastEpoch: Int, validateEvery: Int,
    validate: (() throws -> HeadEvaluation)?,
    hooks: TrainingHooks
  ) throws {
    let epoch = state.epoch
    var metrics = HeadEpochMetrics(
      epoch: epoch, trainLoss: state.lossSum / Double(max(state.seen, 1)),
      trainAccuracy: Double(state.correct) / Double(max(state.seen, 1)))
    let isLast = epoch == lastEpoch
    if let validate, epoch % validateEvery == 0 || isLast {
      let result = try validate()
      guard result.loss.isFinite else {
        throw HeadTrainingError.diverged(
          epoch: epoch, batch: 0, checkpoint: state.best == nil ? nil : hooks.checkpoint,
          bestEpoch: state.best?.epoch)
      }
      metrics.validationLoss = result.loss
      metrics.validationAccuracy = result.accuracy
      if state.best.map({ !$0.isBetter(than: result) }) ?? true {
        state.best = BestEpoch(epoch: epoch, loss: result.loss, accuracy: result.accuracy)
        try hooks.saveBest(head, metrics)
      }
    } else if validate == nil, isLast {
      state.best = BestEpoch(epoch: epoch, loss: metrics.trainLoss, accuracy: nil)
      try hooks.saveBest(head, metrics)
    }
    state.history.append(metrics)
    state.startEpoch(epoch + 1)
    try hooks.saveState(state)
    hooks.epochFinished(metrics)
  }

  /// Restarts every dropout layer of `head` from `(seed, epoch, batch, layer)`: the masks of a
  /// step do not depend on the steps before it, so a resumed run draws the same ones.
  public static func reseedDropouts(in head: Sequential, seed: UInt64, epoch: Int, batch: Int) {
    let dropouts = head.children.compactMap { $0.1 as? Dropout }
    for (position, dropout) in dropouts.enumerated() {
      dropout.reseed(
        SeededGenerator.mix(seed, UInt64(epoch), UInt64(batch), UInt64(position), 0x4452_4F50))
    }
  }

  /// The row order of `epoch`: a permutation drawn from `(seed, epoch)` alone.
  public static func shuffledOrder(rows: Int, seed: UInt64, epoch: Int) -> [Int] {
    var generator = SeededGenerator(seed: SeededGenerator.mix(seed, UInt64(epoch), 0x5348_5546))
    return generator.permutation(rows)
  }

  /// Evaluation-mode mean cross-entropy, accuracy and predictions of `head` on `features`
  /// (dropout off, no tape; the head's mode is restored afterwards), and each row's softmax when
  /// `keepProbabilities`. The one evaluation loop: validation every epoch, the test split and
  /// `classify evaluate`. Non-finite logits are never hidden: `firstNonFiniteRow` names the
  /// first row that had one.
  public static func evaluate(
    _ head: any Layer, features: Tensor, labels: [Int], batchSize: Int = 256,
    keepProbabilities: Bool = false
  ) -> HeadEvaluation {
    let wasTraining = head.isTraining
    head.eval()
    defer { head.train(wasTraining) }
    var result = HeadEvaluation()
    let rows = labels.count
    guard rows > 0 else { return result }
    var lossSum = 0.0
    result.predictions.reserveCapacity(rows)
    Autograd.withoutGradient {
      for start in stride(from: 0, to: rows, by: max(batchSize, 1)) {
        let range = start..<min(start + max(batchSize, 1), rows)
        let logits = head(features.slice(alongAxis: 0, range))
        let width = logits.shape.last ?? 1
        if result.firstNonFiniteRow == nil,
          let bad = logits.scalars.firstIndex(where: { !$0.isFinite })
        {
          result.firstNonFiniteRow = range.lowerBound + bad / max(width, 1)
        }
        lossSum +=
          Double(Loss.crossEntropy(logits: logits, labels: Array(labels[range])).item)
          * Double(range.count)
        result.predictions += logits.argmax(alongAxis: 1)
        if keepProbabilities {
          let softmax = logits.softmax(alongAxis: 1).scalars
          for row in 0..<range.count {
            result.probabilities.append(Array(softmax[(row * width)..<((row + 1) * width)]))
          }
        }
      }
    }
    result.loss = lossSum / Double(rows)
    result.accuracy = FineTuneMetrics.accuracy(predictions: result.predictions, labels: labels)
    return result
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
    guard (settings.patience ?? 1) >= 1 else {
      throw fail("--patience must be at least 1, got \(settings.patience ?? 0)")
    }
    guard (settings.warmup ?? 0) >= 0, (settings.warmup ?? 0) < 1 else {
      throw fail("--warmup must be a fraction in [0, 1), got \(settings.warmup ?? 0)")
    }
    guard settings.labelSmoothing >= 0, settings.labelSmoothing < 1 else {
      throw fail("--label-smoothing must be in [0, 1), got \(settings.labelSmoothing)")
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
}
