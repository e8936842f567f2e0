import Foundation
import NN
import TensorCore

/// How a training loop ended.
public enum TrainingOutcome: Sendable, Equatable {
  /// Every epoch ran.
  case finished
  /// A stop was requested; the state was saved.
  case interrupted
}

/// The training loop's connections to the outside: stopping, saving and reporting.
public struct TrainingHooks {
  /// Checked after every batch: true stops the loop at that batch boundary.
  public var shouldStop: () -> Bool = { false }
  /// Writes the model that just became the best (with the epoch's metrics).
  public var saveBest: (Sequential, HeadEpochMetrics) throws -> Void = { _, _ in }
  /// Where `saveBest` writes, for the divergence message.
  public var checkpoint: URL?
  /// Records the state after each epoch and before an interrupted return.
  public var saveState: (TrainingProgress) throws -> Void = { _ in }
  /// Called after each epoch.
  public var epochFinished: (HeadEpochMetrics) -> Void = { _ in }
  /// Called after each batch with (batches done, batches in the epoch).
  public var batchFinished: (Int, Int) -> Void = { _, _ in }

  /// Hooks that never stop, save or report.
  public init() {}
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
  /// The kept head's state dict.
  public var bestState: [String: Tensor]
}

/// What `HeadTrainer.evaluate` measured.
public struct HeadEvaluation: Sendable {
  /// Mean cross-entropy.
  public var loss = 0.0
  /// Fraction correct.
  public var accuracy = 0.0
  /// The arg-max class of each row.
  public var predictions: [Int] = []
  /// Each row's softmax, when asked for.
  public var probabilities: [[Float]] = []
  /// The first row whose logits hold a NaN or an infinity, if any.
  public var firstNonFiniteRow: Int?
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
