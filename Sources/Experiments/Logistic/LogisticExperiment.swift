import Foundation

/// Part 3 end to end: gradient descent as the provided code, the learning-rate comparison and
/// stochastic gradient descent, producing a `LogisticResult` (numbers, figures, answers).
public struct LogisticExperiment: Sendable {
  /// The data set (the built-in 200-row set unless a file was given).
  public var data: LogisticData
  /// η of the main run (0.5 in the provided code).
  public var learningRate: Double
  /// Rates compared in Part 3.2 and 3.3; empty to skip the comparison.
  public var rates: [Double]
  /// Whether to run stochastic gradient descent for `rates` (Part 3.3).
  public var stochastic: Bool
  /// SGD visiting order.
  public var order: LogisticSampleOrder
  /// Epoch limit (500).
  public var maxEpochs: Int
  /// Stopping tolerance on the NLL change (1e-5).
  public var tolerance: Double
  /// Slope axis of the separator-path figure (the provided code used [−5, 5]); nil follows the
  /// path, so the figure is never empty on other data.
  public var slopeLimits: ClosedRange<Double>?
  /// Intercept axis of the separator-path figure (the provided code used [−10, 0]); nil follows
  /// the path.
  public var interceptLimits: ClosedRange<Double>?

  /// The rates the assignment asks for: 0.5, 0.3, 0.1, 0.05, 0.01.
  public static let assignmentRates: [Double] = [0.5, 0.3, 0.1, 0.05, 0.01]

  /// Creates an experiment; `LogisticOptionError` for an unusable rate, epoch limit or tolerance.
  /// When `stochastic` is set and `rates` is empty, SGD runs for the assignment's rates.
  public init(
    data: LogisticData = .builtIn(), learningRate: Double = 0.5, rates: [Double] = [],
    stochastic: Bool = false, order: LogisticSampleOrder = .shuffled(seed: 0), maxEpochs: Int = 500,
    tolerance: Double = 1e-5, slopeLimits: ClosedRange<Double>? = nil,
    interceptLimits: ClosedRange<Double>? = nil
  ) throws {
    try LogisticOptionError.validate(
      learningRate: learningRate, maxEpochs: maxEpochs, tolerance: tolerance)
    for rate in rates {
      try LogisticOptionError.validate(
        learningRate: rate, maxEpochs: maxEpochs, tolerance: tolerance)
    }
    if case .fixed(let permutations) = order,
      let bad = permutations.first(where: { $0.count != data.count })
    {
      throw LogisticDataError.notAPermutation(
        path: "order", line: 1, rows: data.count,
        detail: "\(bad.count) indices for \(data.count) rows")
    }
    self.data = data
    self.learningRate = learningRate
    self.rates = stochastic && rates.isEmpty ? Self.assignmentRates : rates
    self.stochastic = stochastic
    self.order = order
    self.maxEpochs = maxEpochs
    self.tolerance = tolerance
    self.slopeLimits = slopeLimits
    self.interceptLimits = interceptLimits
  }

  /// Everything Part 3 asks for, on `data`: η = 0.5, the five rates, and SGD (seed 0).
  public static func assignment(data: LogisticData = .builtIn()) throws -> LogisticExperiment {
    try LogisticExperiment(data: data, rates: assignmentRates, stochastic: true)
  }

  /// Full-data NLL recordings per SGD epoch in the iteration figure (their spread is the band
  /// around each epoch's mean).
  static let recordingsPerEpoch = 20

  /// Runs everything (timed), deterministic apart from the recorded seconds.
  public func run() -> LogisticResult {
    // Settings were validated in init, so these constructions cannot fail; `try?` keeps the
    // code free of force-try.
    func gradientDescent(_ rate: Double) -> LogisticTrajectory {
      (try? GradientDescent(learningRate: rate, maxEpochs: maxEpochs, tolerance: tolerance))?
        .run(on: data, timed: true)
        ?? LogisticTrajectory(method: .gradientDescent, learningRate: rate, rowCount: 0)
    }
    let main = gradientDescent(learningRate)
    let rateRuns = rates.map { $0 == learningRate ? main : gradientDescent($0) }
    var stochasticRuns: [LogisticTrajectory] = []
    if stochastic {
      let recordEvery = max(1, data.count / Self.recordingsPerEpoch)
      for rate in rates {
        guard
          let timed = try? StochasticGradientDescent(
            learningRate: rate, maxEpochs: maxEpochs, tolerance: tolerance, order: order),
          let recorded = try? StochasticGradientDescent(
            learningRate: rate, maxEpochs: maxEpochs, tolerance: tolerance, order: order,
            recordEvery: recordEvery)
        else { continue }
        // Timing without the per-iteration recording, which costs a full pass per record.
        var trajectory = recorded.run(on: data)
        trajectory.seconds = timed.run(on: data, timed: true).seconds
        stochasticRuns.append(trajectory)
      }
    }
    return LogisticResult(
      experiment: self, main: main, rateRuns: rateRuns, stochasticRuns: stochasticRuns)
  }
}

/// The outcome of a `LogisticExperiment`: trajectories plus the derived analyses.
public struct LogisticResult: Sendable {
  /// The settings that produced it.
  public var experiment: LogisticExperiment
  /// Gradient descent at `experiment.learningRate` (the provided code's run).
  public var main: LogisticTrajectory
  /// Gradient descent at each of `experiment.rates` (empty when not compared).
  public var rateRuns: [LogisticTrajectory]
  /// SGD at each of `experiment.rates` (empty unless `experiment.stochastic`).
  public var stochasticRuns: [LogisticTrajectory]

  /// Creates a result from finished runs.
  public init(
    experiment: LogisticExperiment, main: LogisticTrajectory, rateRuns: [LogisticTrajectory],
    stochasticRuns: [LogisticTrajectory]
  ) {
    self.experiment = experiment
    self.main = main
    self.rateRuns = rateRuns
    self.stochasticRuns = stochasticRuns
  }

  /// The provided code's console output for the main run, one line per epoch.
  public var logLines: [String] { (0..<main.epochs).map { main.logLine(epoch: $0) } }
}
