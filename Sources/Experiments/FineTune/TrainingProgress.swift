import Foundation

/// One epoch's numbers. Losses are mean cross-entropy; accuracies are fractions in [0, 1].
public struct HeadEpochMetrics: Sendable, Equatable, Codable {
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

/// The best epoch so far: the kept model's validation numbers.
public struct BestEpoch: Codable, Equatable, Sendable {
  /// 1-based epoch.
  public var epoch: Int
  /// Validation loss (training loss without validation).
  public var loss: Double
  /// Validation accuracy (nil without validation: never a NaN, which no JSON can hold).
  public var accuracy: Double?

  /// Whether this beats `result`: higher accuracy, ties to the lower loss.
  func isBetter(than result: HeadEvaluation) -> Bool {
    guard let accuracy else { return false }
    return accuracy > result.accuracy || (accuracy == result.accuracy && loss <= result.loss)
  }
}

/// Where a training run stands: with the weights and the optimizer's momentum, everything needed
/// to continue exactly (saved in the run folder's `state.safetensors`).
public struct TrainingProgress: Codable, Equatable, Sendable {
  /// The epoch in progress (1-based; after the last one, one past it).
  public var epoch: Int = 1
  /// Batches of `epoch` already taken.
  public var batch: Int = 0
  /// Σ loss × batch size over those batches.
  public var lossSum: Double = 0
  /// Correct training predictions over those batches.
  public var correct: Int = 0
  /// Rows seen in those batches.
  public var seen: Int = 0
  /// Finished epochs' metrics.
  public var history: [HeadEpochMetrics] = []
  /// The kept model's epoch and validation numbers.
  public var best: BestEpoch?

  /// A run before its first step.
  public init() {}

  /// Moves to the start of `epoch`.
  public mutating func startEpoch(_ epoch: Int) {
    self.epoch = epoch
    batch = 0
    lossSum = 0
    correct = 0
    seen = 0
  }
}
