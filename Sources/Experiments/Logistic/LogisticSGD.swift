import Foundation
import TensorCore

/// The order in which stochastic gradient descent visits the rows in each epoch.
public enum LogisticSampleOrder: Sendable, Equatable {
  /// A fresh Fisher–Yates shuffle every epoch, drawn from `SeededGenerator(seed:)`.
  case shuffled(seed: UInt64)
  /// Given permutations of `0..<rowCount`; epoch `e` uses `permutations[e % permutations.count]`.
  case fixed([[Int]])

  /// Reads an order file: one permutation of the 0-based row indices per line (whitespace or
  /// comma separated; blank lines and `#` lines skipped). Throws `LogisticDataError` naming the
  /// file and line when a line is not a permutation of `0..<rowCount`.
  public static func read(contentsOf url: URL, rowCount: Int) throws -> LogisticSampleOrder {
    let text: String
    do { text = try UserFiles.text(at: url) } catch {
      throw LogisticDataError.unreadable(path: url.path, reason: error.reason)
    }
    return try parse(text, source: url.path, rowCount: rowCount)
  }

  /// Parses the text of an order file; `source` names it in error messages.
  public static func parse(_ text: String, source: String, rowCount: Int) throws
    -> LogisticSampleOrder
  {
    var permutations: [[Int]] = []
    var lineNumber = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
      var seen = [Bool](repeating: false, count: rowCount)
      var permutation: [Int] = []
      for field in fields {
        guard let index = Int(field) else {
          throw LogisticDataError.notAPermutation(
            path: source, line: lineNumber, rows: rowCount, detail: "\"\(field)\" is not an integer"
          )
        }
        guard (0..<rowCount).contains(index) else {
          throw LogisticDataError.notAPermutation(
            path: source, line: lineNumber, rows: rowCount, detail: "index \(index) is out of range"
          )
        }
        guard !seen[index] else {
          throw LogisticDataError.notAPermutation(
            path: source, line: lineNumber, rows: rowCount, detail: "index \(index) appears twice")
        }
        seen[index] = true
        permutation.append(index)
      }
      guard permutation.count == rowCount else {
        throw LogisticDataError.notAPermutation(
          path: source, line: lineNumber, rows: rowCount,
          detail: "\(permutation.count) indices, expected \(rowCount)")
      }
      permutations.append(permutation)
    }
    guard !permutations.isEmpty else {
      throw LogisticDataError.notAPermutation(
        path: source, line: lineNumber, rows: rowCount, detail: "no permutation")
    }
    return .fixed(permutations)
  }

  /// A short description for tables and captions.
  public var summary: String {
    switch self {
    case .shuffled(let seed): return "reshuffled every epoch (seed \(seed))"
    case .fixed(let permutations):
      return "fixed order from file (\(permutations.count) permutation(s))"
    }
  }
}

/// Stochastic gradient descent for the same model: one update `w ← w − η (y_n − t_n) x_n` per
/// sample, in the order given by `order`, with the provided code's epoch-level bookkeeping (the
/// full-data NLL is recorded at the start of each epoch and the run stops when it changes by less
/// than `tolerance` between epochs).
public struct StochasticGradientDescent: Sendable {
  /// Step size η.
  public var learningRate: Double
  /// Epoch limit.
  public var maxEpochs: Int
  /// Stopping tolerance on the epoch-to-epoch NLL change.
  public var tolerance: Double
  /// Starting weights.
  public var start: LogisticWeights
  /// Visiting order of the samples.
  public var order: LogisticSampleOrder
  /// Record the full-data NLL after every `recordEvery` updates (0: only per epoch).
  public var recordEvery: Int

  /// Creates the optimiser; `LogisticOptionError` when a setting is unusable.
  public init(
    learningRate: Double = 0.5, maxEpochs: Int = 500, tolerance: Double = 1e-5,
    start: LogisticWeights = .assignmentStart, order: LogisticSampleOrder = .shuffled(seed: 0),
    recordEvery: Int = 0
  ) throws {
    try LogisticOptionError.validate(
      learningRate: learningRate, maxEpochs: maxEpochs, tolerance: tolerance)
    self.learningRate = learningRate
    self.maxEpochs = maxEpochs
    self.tolerance = tolerance
    self.start = start
    self.order = order
    self.recordEvery = max(0, recordEvery)
  }

  /// Runs to the stopping rule; `timed` records cumulative seconds per epoch.
  ///
  /// A `.fixed` order whose permutations do not have `data.count` entries is replaced by the
  /// identity order (the CLI validates order files against the data first).
  public func run(on data: LogisticData, timed: Bool = false) -> LogisticTrajectory {
    let n = data.count
    var trajectory = LogisticTrajectory(
      method: .stochasticGradientDescent, learningRate: learningRate, rowCount: n)
    trajectory.recordEvery = recordEvery
    trajectory.negativeLogLikelihood.reserveCapacity(maxEpochs)
    trajectory.weights.reserveCapacity(maxEpochs + 1)
    if timed { trajectory.seconds.reserveCapacity(maxEpochs) }
    var permutation = Array(0..<n)
    var generator = SeededGenerator(seed: 0)
    if case .shuffled(let seed) = order { generator = SeededGenerator(seed: seed) }
    let clock = ContinuousClock()
    let started = clock.now
    let packed = LogisticRegression.packRows(data)
    var w = start
    trajectory.weights.append(w)
    if recordEvery > 0 {
      trajectory.iterationNegativeLogLikelihood.reserveCapacity(maxEpochs * n / recordEvery + 1)
      trajectory.iterationNegativeLogLikelihood.append(
        LogisticRegression.fullPass(w, on: data, packed: packed).negativeLogLikelihood)
    }
    var updates = 0
    for epoch in 0..<maxEpochs {
      let nll = LogisticRegression.fullPass(w, on: data, packed: packed).negativeLogLikelihood
      trajectory.negativeLogLikelihood.append(nll)
      switch order {
      case .shuffled:
        // The project's one Fisher–Yates shuffle, continuing last epoch's order.
        generator.shuffle(&permutation)
      case .fixed(let permutations):
        let chosen = permutations[epoch % permutations.count]
        permutation = chosen.count == n ? chosen : Array(0..<n)
      }
      for row in permutation {
        let x1 = data.x1[row]
        let x2 = data.x2[row]
        let x3 = data.x3[row]
        let r = LogisticRegression.sigmoid(w.w1 * x1 + w.w2 * x2 + w.w3 * x3) - data.targets[row]
        w.w1 -= learningRate * r * x1
        w.w2 -= learningRate * r * x2
        w.w3 -= learningRate * r * x3
        updates += 1
        if recordEvery > 0, updates % recordEvery == 0 {
          trajectory.iterationNegativeLogLikelihood.append(
            LogisticRegression.fullPass(w, on: data, packed: packed).negativeLogLikelihood)
        }
      }
      trajectory.weights.append(w)
      if timed { trajectory.seconds.append(logisticSeconds(clock.now - started)) }
      if !w.isFinite {
        trajectory.stopReason = .diverged
        return trajectory
      }
      if epoch > 0, Swift.abs(nll - trajectory.negativeLogLikelihood[epoch - 1]) < tolerance {
        trajectory.stopReason = .tolerance
        return trajectory
      }
    }
    trajectory.stopReason = .maxEpochs
    return trajectory
  }
}
