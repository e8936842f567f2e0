import Foundation
import NN

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
  /// ε of label smoothing in the training loss (PyTorch's `CrossEntropyLoss(label_smoothing=ε)`;
  /// 0: none). Validation and test losses stay plain cross-entropy, so runs compare.
  public var labelSmoothing: Float = 0
  /// The optimizer: PyTorch's SGD (momentum, `weightDecay` as an L2 penalty on the gradient) or
  /// AdamW (β = (0.9, 0.999), ε = 1e-8, `weightDecay` decoupled: `w ← w·(1 − η·λ)`).
  public var optimizer: OptimizerKind = .sgd
  /// How the head's learning rate moves, batch by batch, over the head epochs (PyTorch's
  /// schedulers stepped per batch; see `LearningRateSchedule`).
  public var schedule: LearningRateSchedule = .constant
  /// The schedule's warm-up fraction of the steps (nil: 0 for cosine, PyTorch's 0.3 for
  /// one-cycle).
  public var warmup: Double?

  /// Class weights of the training loss: nil for none, or `balanced` (scikit-learn's: class c
  /// weighs `N / (C · n_c)`, so a rare class counts as much as a common one; PyTorch's
  /// `CrossEntropyLoss(weight=…)`).
  public var classWeights: ClassWeighting?

  /// Early stopping: the head epochs end once the validation loss has not improved for this
  /// many validations in a row (nil: never; fastai's `EarlyStoppingCallback(patience=N)`).
  public var patience: Int?

  /// The warm-up fraction the schedule uses.
  public var effectiveWarmup: Double { warmup ?? (schedule == .oneCycle ? 0.3 : 0) }

  /// The assignment's settings.
  public init() {}

  private enum CodingKeys: String, CodingKey {
    case epochs, batchSize, learningRate, momentum, weightDecay, validateEvery, seed
    case labelSmoothing, optimizer, schedule, warmup, patience, classWeights
  }

  /// Reads the settings; keys added after the first release may be absent (their default).
  public init(from decoder: any Decoder) throws {
    let values = try decoder.container(keyedBy: CodingKeys.self)
    epochs = try values.decode(Int.self, forKey: .epochs)
    batchSize = try values.decode(Int.self, forKey: .batchSize)
    learningRate = try values.decode(Float.self, forKey: .learningRate)
    momentum = try values.decode(Float.self, forKey: .momentum)
    weightDecay = try values.decode(Float.self, forKey: .weightDecay)
    validateEvery = try values.decode(Int.self, forKey: .validateEvery)
    seed = try values.decode(UInt64.self, forKey: .seed)
    labelSmoothing = try values.decodeIfPresent(Float.self, forKey: .labelSmoothing) ?? 0
    optimizer = try values.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? .sgd
    schedule =
      try values.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? .constant
    warmup = try values.decodeIfPresent(Double.self, forKey: .warmup)
    patience = try values.decodeIfPresent(Int.self, forKey: .patience)
    classWeights = try values.decodeIfPresent(ClassWeighting.self, forKey: .classWeights)
  }

  /// Writes the settings; an option at its default that earlier releases did not have is left
  /// out, so their runs resume with an unchanged configuration.
  public func encode(to encoder: any Encoder) throws {
    var values = encoder.container(keyedBy: CodingKeys.self)
    try values.encode(epochs, forKey: .epochs)
    try values.encode(batchSize, forKey: .batchSize)
    try values.encode(learningRate, forKey: .learningRate)
    try values.encode(momentum, forKey: .momentum)
    try values.encode(weightDecay, forKey: .weightDecay)
    try values.encode(validateEvery, forKey: .validateEvery)
    try values.encode(seed, forKey: .seed)
    if labelSmoothing != 0 { try values.encode(labelSmoothing, forKey: .labelSmoothing) }
    if optimizer != .sgd { try values.encode(optimizer, forKey: .optimizer) }
    if schedule != .constant { try values.encode(schedule, forKey: .schedule) }
    try values.encodeIfPresent(warmup, forKey: .warmup)
    try values.encodeIfPresent(patience, forKey: .patience)
    try values.encodeIfPresent(classWeights, forKey: .classWeights)
  }
}

/// The optimizers `finetune` offers.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
  /// `torch.optim.SGD(lr, momentum, weight_decay)`: the assignment's.
  case sgd
  /// `torch.optim.AdamW(lr, weight_decay)`: decoupled weight decay.
  case adamw

  /// How the outputs name it, with what `--weight-decay` means for it.
  public var description: String {
    switch self {
    case .sgd: "SGD (momentum; --weight-decay is an L2 penalty added to the gradient)"
    case .adamw: "AdamW (β = 0.9, 0.999; --weight-decay is decoupled: w ← w·(1 − η·λ))"
    }
  }
}

/// How the training loss weighs the classes.
public enum ClassWeighting: String, Sendable, Codable, CaseIterable {
  /// scikit-learn's `class_weight="balanced"`: class c weighs `N / (C · n_c)` (0 when absent).
  case balanced

  /// The weight of each of `classCount` classes for `labels`.
  public func weights(labels: [Int], classCount: Int) -> [Float] {
    var counts = [Int](repeating: 0, count: classCount)
    for label in labels where (0..<classCount).contains(label) { counts[label] += 1 }
    return counts.map { $0 == 0 ? 0 : Float(labels.count) / Float(classCount * $0) }
  }
}
