import Foundation

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
