import Foundation

/// Why a run ended.
public enum LogisticStopReason: String, Sendable, Equatable {
  /// `|NLL − previous NLL| < tolerance` (the provided code's rule).
  case tolerance
  /// The epoch limit was reached.
  case maxEpochs
  /// The weights stopped being finite (only with absurd learning rates).
  case diverged
}

/// The optimiser that produced a trajectory.
public enum LogisticMethod: String, Sendable, Equatable {
  /// Full-batch gradient descent, one update per epoch.
  case gradientDescent = "GD"
  /// Stochastic gradient descent, one update per sample.
  case stochasticGradientDescent = "SGD"
}

/// Everything recorded while training: the provided code's `e_all` and the path of `w`.
public struct LogisticTrajectory: Sendable {
  /// GD or SGD.
  public var method: LogisticMethod
  /// The step size η.
  public var learningRate: Double
  /// Number of rows in the data (per-sample gradient terms per epoch).
  public var rowCount: Int
  /// `negativeLogLikelihood[i]`: mean NLL of the weights at the *start* of epoch `i` (the
  /// provided code's `e_all[i]`).
  public var negativeLogLikelihood: [Double] = []
  /// `weights[0]` is the start; `weights[i + 1]` the weights after epoch `i`'s update(s), which
  /// is what the provided code prints on line `epoch i`.
  public var weights: [LogisticWeights] = []
  /// Cumulative wall-clock seconds at the end of each epoch (empty unless the run was timed).
  public var seconds: [Double] = []
  /// SGD only: full-data NLL at the start and after every `recordEvery` updates.
  public var iterationNegativeLogLikelihood: [Double] = []
  /// Updates between two entries of `iterationNegativeLogLikelihood` (0: not recorded).
  public var recordEvery: Int = 0
  /// Why the run ended.
  public var stopReason: LogisticStopReason = .maxEpochs

  /// Creates an empty trajectory.
  public init(method: LogisticMethod, learningRate: Double, rowCount: Int) {
    self.method = method
    self.learningRate = learningRate
    self.rowCount = rowCount
  }

  /// Epochs run (lines printed by the provided code).
  public var epochs: Int { negativeLogLikelihood.count }
  /// The last NLL recorded (the value printed on the last line).
  public var finalNegativeLogLikelihood: Double { negativeLogLikelihood.last ?? .nan }
  /// The weights after the last epoch.
  public var finalWeights: LogisticWeights { weights.last ?? .assignmentStart }
  /// Per-sample gradient terms evaluated: `rowCount` per epoch for both GD and SGD.
  public var gradientEvaluations: Int { epochs * rowCount }
  /// Weight updates: one per epoch for GD, one per sample for SGD.
  public var updates: Int { method == .gradientDescent ? epochs : epochs * rowCount }
  /// Total wall-clock seconds, when timed.
  public var totalSeconds: Double? { seconds.last }

  /// The provided code's line for epoch `i`: `epoch i, negative log-likelihood 0.2524, w=[…]`.
  public func logLine(epoch i: Int) -> String {
    "epoch \(i), negative log-likelihood \(String(format: "%.4f", negativeLogLikelihood[i])), w=\(weights[i + 1])"
  }

  /// The first epoch whose recorded NLL is ≤ `target`, if any.
  public func firstEpoch(reaching target: Double) -> Int? {
    negativeLogLikelihood.firstIndex { $0 <= target }
  }
}
