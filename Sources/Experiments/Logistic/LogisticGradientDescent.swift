import Foundation

/// Full-batch gradient descent exactly as the provided `logistic.py`:
///
/// ```
/// for iter in range(max_iter):
///     y = sigmoid(X @ w); e = mean NLL; e_all.append(e)
///     grad_e = mean((y - t) * X.T, axis=1); w_old = w; w = w - eta * grad_e
///     print(epoch, e, w)
///     if iter > 0 and abs(e - e_all[iter - 1]) < tol: break
/// ```
///
/// so the weights are updated once more after the NLL that triggers the stop is recorded (this
/// ordering gives the published w = (1.28406549, −1.22454077, −7.81846365) after 395 epochs).
public struct GradientDescent: Sendable {
  /// Step size η (0.5 in the provided code).
  public var learningRate: Double
  /// Epoch limit (`max_iter = 500`).
  public var maxEpochs: Int
  /// Stop when the NLL changes by less than this between epochs (`tol = 1e-5`).
  public var tolerance: Double
  /// Starting weights (`(0.1, 0, 0)`).
  public var start: LogisticWeights

  /// Creates the optimiser; `LogisticOptionError` when a setting is unusable.
  public init(
    learningRate: Double = 0.5, maxEpochs: Int = 500, tolerance: Double = 1e-5,
    start: LogisticWeights = .assignmentStart
  ) throws {
    try LogisticOptionError.validate(
      learningRate: learningRate, maxEpochs: maxEpochs, tolerance: tolerance)
    self.learningRate = learningRate
    self.maxEpochs = maxEpochs
    self.tolerance = tolerance
    self.start = start
  }

  /// Runs to the stopping rule; `timed` records cumulative seconds per epoch.
  public func run(on data: LogisticData, timed: Bool = false) -> LogisticTrajectory {
    var trajectory = LogisticTrajectory(
      method: .gradientDescent, learningRate: learningRate, rowCount: data.count)
    trajectory.negativeLogLikelihood.reserveCapacity(maxEpochs)
    trajectory.weights.reserveCapacity(maxEpochs + 1)
    if timed { trajectory.seconds.reserveCapacity(maxEpochs) }
    let clock = ContinuousClock()
    let started = clock.now
    let packed = LogisticRegression.packRows(data)
    var w = start
    trajectory.weights.append(w)
    for epoch in 0..<maxEpochs {
      let pass = LogisticRegression.fullPass(w, on: data, packed: packed)
      trajectory.negativeLogLikelihood.append(pass.negativeLogLikelihood)
      w.w1 -= learningRate * pass.gradient.w1
      w.w2 -= learningRate * pass.gradient.w2
      w.w3 -= learningRate * pass.gradient.w3
      trajectory.weights.append(w)
      if timed { trajectory.seconds.append(logisticSeconds(clock.now - started)) }
      if !w.isFinite {
        trajectory.stopReason = .diverged
        return trajectory
      }
      if epoch > 0,
        Swift.abs(pass.negativeLogLikelihood - trajectory.negativeLogLikelihood[epoch - 1])
          < tolerance
      {
        trajectory.stopReason = .tolerance
        return trajectory
      }
    }
    trajectory.stopReason = .maxEpochs
    return trajectory
  }
}

/// A learning rate, epoch limit or tolerance that cannot be used.
public enum LogisticOptionError: Error, CustomStringConvertible, Equatable {
  /// The learning rate is NaN, infinite, zero or negative.
  case learningRate(Double)
  /// The epoch limit is below 1.
  case maxEpochs(Int)
  /// The tolerance is NaN, infinite or negative.
  case tolerance(Double)
  /// No learning rates were given to compare.
  case noRates

  /// A one-line message with the fix.
  public var description: String {
    switch self {
    case .learningRate(let rate):
      return "learning rate \(rate) is not usable: it must be a finite number > 0 (e.g. 0.5)"
    case .maxEpochs(let epochs):
      return "epoch limit \(epochs) is not usable: it must be at least 1 (e.g. 500)"
    case .tolerance(let tolerance):
      return "tolerance \(tolerance) is not usable: it must be a finite number ≥ 0 (e.g. 1e-5)"
    case .noRates:
      return
        "no learning rates to compare: give a comma-separated list such as 0.5,0.3,0.1,0.05,0.01"
    }
  }

  /// Throws the first problem among the settings.
  public static func validate(learningRate: Double, maxEpochs: Int, tolerance: Double) throws {
    guard learningRate.isFinite, learningRate > 0 else {
      throw LogisticOptionError.learningRate(learningRate)
    }
    guard maxEpochs >= 1 else { throw LogisticOptionError.maxEpochs(maxEpochs) }
    guard tolerance.isFinite, tolerance >= 0 else { throw LogisticOptionError.tolerance(tolerance) }
  }
}

/// A duration in seconds as a Double.
func logisticSeconds(_ duration: Duration) -> Double {
  let parts = duration.components
  return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}
