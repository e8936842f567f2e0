import Foundation
import Plotting

/// Why the provided run oscillates, measured on the run itself: the epochs where the NLL rose, the
/// zig-zag of the separator in (m, b) space, and the curvature of the NLL at the final weights.
public struct LogisticOscillation: Sendable {
  /// Epochs `i ≥ 1` with `NLL[i] > NLL[i − 1]`.
  public var risingEpochs: [Int]
  /// The largest single increase of the NLL.
  public var largestRise: Double
  /// Number of times the slope m changed direction along the path.
  public var slopeReversals: Int
  /// Number of times the intercept b changed direction along the path.
  public var interceptReversals: Int
  /// Fraction of consecutive (m, b) steps that point backwards (negative cosine): the zig-zag.
  public var zigZagFraction: Double
  /// The longest single (m, b) step and the epoch that made it.
  public var largestJump: (epoch: Int, length: Double)
  /// Eigenvalues of the NLL's Hessian `(1/N) Σ y(1−y) x xᵀ` at the final weights, descending.
  public var curvatures: [Double]
  /// The learning rate of the run.
  public var learningRate: Double

  /// Analyses a gradient-descent trajectory on `data`.
  public init(_ trajectory: LogisticTrajectory, data: LogisticData) {
    let nll = trajectory.negativeLogLikelihood
    risingEpochs = nll.indices.dropFirst().filter { nll[$0] > nll[$0 - 1] }
    largestRise = risingEpochs.map { nll[$0] - nll[$0 - 1] }.max() ?? 0
    let points = trajectory.weights.map { ($0.slope, $0.intercept) }.filter {
      $0.0.isFinite && $0.1.isFinite
    }
    var steps: [(Double, Double)] = []
    for index in points.indices.dropFirst() {
      steps.append((points[index].0 - points[index - 1].0, points[index].1 - points[index - 1].1))
    }
    func reversals(_ values: [Double]) -> Int {
      zip(values, values.dropFirst()).filter { $0 * $1 < 0 }.count
    }
    slopeReversals = reversals(steps.map(\.0))
    interceptReversals = reversals(steps.map(\.1))
    let backwards = zip(steps, steps.dropFirst()).filter { $0.0 * $1.0 + $0.1 * $1.1 < 0 }.count
    zigZagFraction = steps.count > 1 ? Double(backwards) / Double(steps.count - 1) : 0
    let lengths = steps.map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }
    if let longest = lengths.indices.max(by: { lengths[$0] < lengths[$1] }) {
      largestJump = (longest + trajectory.weights.count - points.count, lengths[longest])
    } else {
      largestJump = (0, 0)
    }
    curvatures = Self.hessianEigenvalues(trajectory.finalWeights, data: data)
    learningRate = trajectory.learningRate
  }

  /// η·λ_max: gradient descent on a quadratic bowl overshoots along the steepest direction
  /// (multiplier `1 − ηλ < 0`) once this exceeds 1, and diverges beyond 2.
  public var stepTimesCurvature: Double { learningRate * (curvatures.first ?? 0) }
  /// λ_max / λ_min: how elongated the valley is.
  public var conditionNumber: Double { (curvatures.first ?? 0) / (curvatures.last ?? 1) }

  /// The answer to "why are these plots oscillating?", with this run's numbers.
  public func explanation(epochs: Int) -> String {
    let rises =
      risingEpochs.isEmpty
      ? "The NLL never rose"
      : "The NLL rose in \(risingEpochs.count) of \(epochs) epochs (first at epochs "
        + risingEpochs.prefix(6).map(String.init).joined(separator: ", ")
        + "; largest rise \(logisticFormat(largestRise, 2, exponent: true)))"
    let multiplier = 1 - stepTimesCurvature
    let regime: String
    if stepTimesCurvature > 1 {
      regime =
        "so each step multiplies the error along that direction by 1 − ηλ = \(logisticFormat(multiplier, 2)): "
        + "it flips sign every epoch — the iterate jumps from one wall of the valley to the other"
        + (stepTimesCurvature > 1.8
          ? " and, with |1 − ηλ| ≈ 1, hardly shrinks (gradient descent settles at the 'edge of stability', where the "
            + "curvature along its path is about 2/η)"
          : "")
    } else {
      regime =
        "so at the end the step no longer overshoots; the oscillation comes from the earlier, steeper part of the path"
    }
    return rises
      + ". The separator zig-zags in (m, b): the slope reversed direction \(slopeReversals) times and the "
      + "intercept \(interceptReversals) times, and \(logisticFormat(100 * zigZagFraction, 0))% of consecutive steps point "
      + "backwards (largest jump \(logisticFormat(largestJump.length, 3)) at epoch \(largestJump.epoch)). "
      + "Reason: the NLL surface is a long, narrow valley — at the final w the Hessian's eigenvalues are "
      + curvatures.map { logisticFormat($0, 3, exponent: true) }.joined(separator: ", ")
      + " (condition number \(logisticFormat(conditionNumber, 0))). With η = \(logisticFormat(learningRate, 3)), η·λ_max = "
      + "\(logisticFormat(stepTimesCurvature, 2)), \(regime), while progress along the flat valley floor (small λ) is slow. "
      + "Fixed-step gradient descent therefore bounces across the valley as it creeps along it, and the NLL "
      + "and the (m, b) path oscillate."
  }

  /// Eigenvalues (descending) of the 3×3 Hessian of the mean NLL at `w`.
  static func hessianEigenvalues(_ w: LogisticWeights, data: LogisticData) -> [Double] {
    var h = [Double](repeating: 0, count: 9)
    for row in 0..<data.count {
      let x = [data.x1[row], data.x2[row], data.x3[row]]
      let y = LogisticRegression.sigmoid(w.w1 * x[0] + w.w2 * x[1] + w.w3 * x[2])
      let weight = y * (1 - y) / Double(data.count)
      for i in 0..<3 { for j in 0..<3 { h[3 * i + j] += weight * x[i] * x[j] } }
    }
    return symmetricEigenvalues3(h).sorted(by: >)
  }

  /// Eigenvalues of a symmetric 3×3 matrix (row-major) by the trigonometric closed form.
  static func symmetricEigenvalues3(_ a: [Double]) -> [Double] {
    let p1 = a[1] * a[1] + a[2] * a[2] + a[5] * a[5]
    let trace = a[0] + a[4] + a[8]
    if p1 == 0 { return [a[0], a[4], a[8]] }
    let q = trace / 3
    let p2 = (a[0] - q) * (a[0] - q) + (a[4] - q) * (a[4] - q) + (a[8] - q) * (a[8] - q) + 2 * p1
    let p = (p2 / 6).squareRoot()
    let b = a.enumerated().map { ($0.element - ([0, 4, 8].contains($0.offset) ? q : 0)) / p }
    let determinant =
      b[0] * (b[4] * b[8] - b[5] * b[7]) - b[1] * (b[3] * b[8] - b[5] * b[6]) + b[2]
      * (b[3] * b[7] - b[4] * b[6])
    let r = min(1, max(-1, determinant / 2))
    let phi = Foundation.acos(r) / 3
    let largest = q + 2 * p * Foundation.cos(phi)
    let smallest = q + 2 * p * Foundation.cos(phi + 2 * Double.pi / 3)
    return [largest, 3 * q - largest - smallest, smallest]
  }
}

/// The learning-rate comparison (Part 3.2) and the GD-versus-SGD comparison (Part 3.3).
public struct LogisticComparison: Sendable {
  /// The NLL both optimisers must reach: 1% above the main run's final NLL.
  public var target: Double
  /// Gradient-descent runs, one per rate.
  public var gradientDescent: [LogisticTrajectory]
  /// SGD runs, one per rate (may be empty).
  public var stochastic: [LogisticTrajectory]

  /// Compares the runs of `result`.
  public init(_ result: LogisticResult) {
    target = result.main.finalNegativeLogLikelihood * 1.01
    gradientDescent = result.rateRuns
    stochastic = result.stochasticRuns
  }

  /// Epochs, gradient evaluations and seconds to reach `target`, or nil.
  public func cost(_ run: LogisticTrajectory) -> (epochs: Int, evaluations: Int, seconds: Double?)?
  {
    guard let index = run.firstEpoch(reaching: target) else { return nil }
    let seconds = index == 0 ? 0 : (run.seconds.count >= index ? run.seconds[index - 1] : nil)
    return (index, index * run.rowCount, seconds)
  }

  /// Table of epochs run and final NLL per rate (GD, and SGD when run).
  public func rateTable() -> Table {
    var table = Table(
      columns: [
        .init("method"), .init("η", alignment: .right), .init("epochs run", alignment: .right),
        .init("stopped by"), .init("final NLL", alignment: .right),
        .init("lowest NLL", alignment: .right),
        .init("NLL rises", alignment: .right),
        .init("epochs to NLL ≤ \(logisticFormat(target, 4))", alignment: .right),
        .init("gradient evals", alignment: .right), .init("seconds", alignment: .right),
      ],
      caption: "Gradient descent (GD) and stochastic gradient descent (SGD) per learning rate η")
    for run in gradientDescent + stochastic {
      let nll = run.negativeLogLikelihood
      let rises = nll.indices.dropFirst().filter { nll[$0] > nll[$0 - 1] }.count
      let reached = cost(run)
      table.append([
        run.method.rawValue, logisticFormat(run.learningRate, 3), "\(run.epochs)",
        run.stopReason.rawValue,
        logisticFormat(run.finalNegativeLogLikelihood, 4), logisticFormat(nll.min() ?? .nan, 4),
        "\(rises)",
        reached.map { "\($0.epochs)" } ?? "not reached", reached.map { "\($0.evaluations)" } ?? "—",
        reached?.seconds.map { logisticFormat($0 * 1000, 2) + " ms" } ?? "—",
      ])
    }
    return table
  }

  /// "Compare these results. What are the relative advantages of the different rates?"
  public func rateAnswer() -> String {
    guard
      let best = gradientDescent.min(by: {
        $0.finalNegativeLogLikelihood < $1.finalNegativeLogLikelihood
      }),
      let slowest = gradientDescent.max(by: {
        $0.finalNegativeLogLikelihood < $1.finalNegativeLogLikelihood
      })
    else { return "No learning rates were compared." }
    var sentences: [String] = []
    sentences.append(
      "After at most \(gradientDescent.map(\.epochs).max() ?? 0) epochs the largest-progress rate is η = "
        + "\(logisticFormat(best.learningRate, 3)) (NLL \(logisticFormat(best.finalNegativeLogLikelihood, 4))) and the least is η = "
        + "\(logisticFormat(slowest.learningRate, 3)) (NLL \(logisticFormat(slowest.finalNegativeLogLikelihood, 4)))."
    )
    // The last epoch at which another rate was still below the eventual winner.
    var overtaken: (rate: Double, epoch: Int)?
    for other in gradientDescent where other.learningRate != best.learningRate {
      let shared = min(other.epochs, best.epochs)
      if let last = (0..<shared).last(where: {
        other.negativeLogLikelihood[$0] < best.negativeLogLikelihood[$0]
      }), last + 1 > (overtaken?.epoch ?? 0) {
        overtaken = (other.learningRate, last + 1)
      }
    }
    if let overtaken {
      sentences.append(
        "But η = \(logisticFormat(best.learningRate, 3)) only stays ahead of η = \(logisticFormat(overtaken.rate, 3)) "
          + "from epoch \(overtaken.epoch) on: before that its oscillation costs more than its longer steps gain."
      )
    }
    let oscillating = gradientDescent.filter { run in
      let nll = run.negativeLogLikelihood
      return nll.indices.dropFirst().contains { nll[$0] > nll[$0 - 1] }
    }
    let monotone = gradientDescent.filter { run in
      !oscillating.contains { $0.learningRate == run.learningRate }
    }
    if !oscillating.isEmpty {
      sentences.append(
        "Large steps (η = "
          + oscillating.map { logisticFormat($0.learningRate, 3) }.joined(separator: ", ")
          + ") move fastest along the valley but overshoot across it: their NLL curves rise in some epochs."
      )
    }
    if !monotone.isEmpty {
      sentences.append(
        "Small steps (η = "
          + monotone.map { logisticFormat($0.learningRate, 3) }.joined(separator: ", ")
          + ") decrease the NLL monotonically — safe and smooth — but slowly: "
          + monotone.map {
            "η = \(logisticFormat($0.learningRate, 3)) ends at \(logisticFormat($0.finalNegativeLogLikelihood, 4))"
          }
          .joined(separator: ", ") + ".")
    }
    let lowest = gradientDescent.map { $0.negativeLogLikelihood.min() ?? .infinity }.min() ?? .nan
    let early = gradientDescent.filter {
      $0.stopReason == .tolerance && $0.finalNegativeLogLikelihood > lowest + 0.01
    }
    for run in early {
      sentences.append(
        "η = \(logisticFormat(run.learningRate, 3)) stopped by the tolerance rule after \(run.epochs) epochs at NLL "
          + "\(logisticFormat(run.finalNegativeLogLikelihood, 4)), well above the best \(logisticFormat(lowest, 4)): a small NLL change "
          + "between two epochs does not mean convergence (it happens at the turning points of an oscillation, "
          + "or when steps are simply tiny).")
    }
    let limited = gradientDescent.filter { $0.stopReason == .maxEpochs }
    if !limited.isEmpty {
      sentences.append(
        "η = " + limited.map { logisticFormat($0.learningRate, 3) }.joined(separator: ", ")
          + " hit the epoch limit without meeting the tolerance.")
    }
    sentences.append(
      "In short: a larger η buys speed at the price of oscillation (and instability wherever η·λ_max exceeds 2); "
        + "a smaller η buys stability and a trustworthy stopping rule at the price of many more epochs."
    )
    return sentences.joined(separator: " ")
  }

  /// "Is stochastic gradient descent faster than gradient descent?"
  public func stochasticAnswer() -> String {
    guard !stochastic.isEmpty else { return "SGD was not run." }
    func best(_ runs: [LogisticTrajectory]) -> (
      LogisticTrajectory, (epochs: Int, evaluations: Int, seconds: Double?)
    )? {
      runs.compactMap { run in cost(run).map { (run, $0) } }.min { $0.1.epochs < $1.1.epochs }
    }
    var sentences = [
      "Target: NLL ≤ \(logisticFormat(target, 4)) (1% above where gradient descent at η = 0.5 stops). One epoch costs "
        + "\(stochastic[0].rowCount) per-sample gradient evaluations for both methods, but GD makes 1 weight update "
        + "per epoch and SGD makes \(stochastic[0].rowCount)."
    ]
    let gd = best(gradientDescent)
    let sgd = best(stochastic)
    func describe(
      _ name: String,
      _ entry: (LogisticTrajectory, (epochs: Int, evaluations: Int, seconds: Double?))?
    ) -> String {
      guard let (run, cost) = entry else {
        return "\(name) never reaches it within the epoch limit"
      }
      return
        "\(name) reaches it fastest at η = \(logisticFormat(run.learningRate, 3)) after \(cost.epochs) epochs "
        + "(\(cost.evaluations) gradient evaluations"
        + (cost.seconds.map { ", \(logisticFormat($0 * 1000, 2)) ms" } ?? "") + ")"
    }
    sentences.append(describe("SGD", sgd) + "; " + describe("GD", gd) + ".")
    if let (_, s) = sgd, let (_, g) = gd {
      let ratio = Double(g.epochs) / Double(max(1, s.epochs))
      sentences.append(
        ratio > 1
          ? "So in epochs and gradient evaluations SGD is about \(logisticFormat(ratio, 1))× faster"
          : "So in epochs SGD is not faster here")
      if let ss = s.seconds, let gs = g.seconds {
        let epochRatio = perEpoch(stochastic) / max(perEpoch(gradientDescent), 1e-12)
        let why =
          epochRatio > 1.05
          ? ", because its \(stochastic[0].rowCount) updates are sequential while GD's single pass vectorises"
          : ""
        sentences[sentences.count - 1] +=
          ", and in wall-clock time \(ss < gs ? "also faster" : "slower") (\(logisticFormat(ss * 1000, 2)) ms vs "
          + "\(logisticFormat(gs * 1000, 2)) ms; an SGD epoch costs \(logisticFormat(epochRatio, 1))× a GD epoch\(why))."
      } else {
        sentences[sentences.count - 1] += "."
      }
    } else if sgd != nil {
      sentences.append("So SGD is faster: GD does not get there at all within the limit.")
    }
    for run in stochastic
    where run.stopReason == .tolerance && run.finalNegativeLogLikelihood > target {
      sentences.append(
        "The tolerance rule stopped SGD at η = \(logisticFormat(run.learningRate, 3)) after \(run.epochs) epochs at NLL "
          + "\(logisticFormat(run.finalNegativeLogLikelihood, 4)), above the target: with per-sample updates a small "
          + "change between two epoch-start NLLs is a coincidence of the noise, not convergence.")
    }
    let noisy = stochastic.filter { run in
      let nll = run.negativeLogLikelihood
      return nll.indices.dropFirst().filter { nll[$0] > nll[$0 - 1] }.count > run.epochs / 10
    }
    if !noisy.isEmpty {
      sentences.append(
        "But SGD's NLL is noisy, the more so the larger the step (η = "
          + noisy.map { logisticFormat($0.learningRate, 3) }.joined(separator: ", ")
          + " rise in more than a tenth of their epochs): each update follows one sample's gradient, so the iterate "
          + "keeps jittering around the minimum instead of settling, and the tolerance rule fires late or never; "
          + "a decaying step size would be needed to converge exactly.")
    }
    return sentences.joined(separator: " ")
  }

  /// Median seconds per epoch over runs that were timed.
  func perEpoch(_ runs: [LogisticTrajectory]) -> Double {
    let values = runs.compactMap { run in run.totalSeconds.map { $0 / Double(max(1, run.epochs)) } }
      .sorted()
    return values.isEmpty ? 0 : values[values.count / 2]
  }
}

/// `value` with `digits` decimals (or in scientific notation).
func logisticFormat(_ value: Double, _ digits: Int, exponent: Bool = false) -> String {
  String(format: exponent ? "%.\(digits)e" : "%.\(digits)f", value)
}
