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

  /// The largest η·λ_max along the path (the Hessian at every epoch's weights) and the epoch
  /// whose weights have it.
  public var largestStepTimesCurvature: (epoch: Int, value: Double)
  /// Rows the final separator puts on the wrong side (0: the data are linearly separable and
  /// separated).
  public var misclassified: Int
  /// Rows of the data.
  public var rowCount: Int

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
    var largest = (epoch: 0, value: 0.0)
    for (epoch, w) in trajectory.weights.enumerated() {
      let value = trajectory.learningRate * (Self.hessianEigenvalues(w, data: data).first ?? 0)
      if value > largest.value { largest = (epoch, value) }
    }
    largestStepTimesCurvature = largest
    let w = trajectory.finalWeights
    misclassified =
      (0..<data.count).filter { row in
        let a = w.w1 * data.x1[row] + w.w2 * data.x2[row] + w.w3 * data.x3[row]
        return (a > 0 ? 1.0 : 0.0) != data.targets[row]
      }.count
    rowCount = data.count
  }

  /// η·λ_max: gradient descent on a quadratic bowl overshoots along the steepest direction
  /// (multiplier `1 − ηλ < 0`) once this exceeds 1, and diverges beyond 2.
  public var stepTimesCurvature: Double { learningRate * (curvatures.first ?? 0) }
  /// λ_max / λ_min: how elongated the valley is.
  public var conditionNumber: Double { (curvatures.first ?? 0) / (curvatures.last ?? 1) }
  /// Whether the NLL rose in some epoch.
  public var nllOscillates: Bool { !risingEpochs.isEmpty }
  /// Whether the separator's path zig-zags: at least a quarter of its consecutive steps point
  /// backwards.
  public var pathZigZags: Bool { zigZagFraction >= 0.25 }

  /// The answer to "why are these plots oscillating?", with this run's numbers, as plain text.
  public func explanation(epochs: Int) -> String {
    LogisticProse.plainText(explanationHTML(epochs: epochs))
  }

  /// The answer as an HTML fragment (sub- and superscripts for the mathematics). Every
  /// sentence follows from what was measured: it says the NLL or the path oscillated only when
  /// it did, and names the measured cause.
  public func explanationHTML(epochs: Int) -> String {
    let f = LogisticProse.number
    let lambdaMax = "λ<sub>max</sub>"
    var sentences: [String] = []
    if risingEpochs.isEmpty {
      sentences.append("The NLL never rose: it fell in every one of the \(epochs) epochs.")
    } else {
      sentences.append(
        "The NLL rose in \(risingEpochs.count) of \(epochs) epochs (first at epochs "
          + risingEpochs.prefix(6).map(String.init).joined(separator: ", ")
          + "; largest rise \(LogisticProse.scientific(largestRise, 2))).")
    }
    let jump = "largest jump \(f(largestJump.length, 3)) at epoch \(largestJump.epoch)"
    if pathZigZags {
      sentences.append(
        "The separator zig-zags in (m, b): the slope reversed direction \(LogisticProse.times(slopeReversals)) "
          + "and the intercept \(LogisticProse.times(interceptReversals)), and \(f(100 * zigZagFraction, 0))% of consecutive steps "
          + "point backwards (\(jump)).")
    } else if slopeReversals + interceptReversals > 0 {
      sentences.append(
        "The separator's path in (m, b) does not zig-zag: only \(f(100 * zigZagFraction, 0))% of consecutive "
          + "steps point backwards (the slope reversed direction \(LogisticProse.times(slopeReversals)), the "
          + "intercept \(LogisticProse.times(interceptReversals)); \(jump)).")
    } else {
      sentences.append(
        "The separator moved steadily in (m, b): neither the slope nor the intercept ever reversed "
          + "direction (\(jump)).")
    }
    let eigenvalues = curvatures.map { LogisticProse.scientific($0, 3) }.joined(separator: ", ")
    let shape =
      conditionNumber > 10
      ? "a long, narrow valley: steep across, nearly flat along its floor"
      : "a fairly round bowl"
    sentences.append(
      "At the final w the Hessian of the mean NLL has eigenvalues \(eigenvalues) (condition number "
        + "\(f(conditionNumber, 0))), so near there the NLL surface is \(shape).")
    if misclassified == 0 {
      sentences.append(
        "The final separator classifies all \(rowCount) rows correctly: the data are linearly separable, so "
          + "the NLL has no minimum at finite w — it keeps falling towards 0 as |w| grows, and the curvature "
          + "shrinks with it.")
    }
    let s = stepTimesCurvature
    let regime: String
    if s > 2 {
      regime =
        "With η = \(LogisticProse.rate(learningRate)), η·\(lambdaMax) = \(f(s, 2)) > 2: each step multiplies the "
        + "error along the steepest direction by 1 − η\(lambdaMax) = \(f(1 - s, 2)), so there it flips sign and "
        + "grows; the run bounces between the valley's walls"
        + (s < 2.2
          ? " with |1 − η\(lambdaMax)| ≈ 1, hardly shrinking or growing (the 'edge of stability', where the "
            + "curvature along the path is about 2/η)."
          : ".")
    } else if s > 1 {
      regime =
        "With η = \(LogisticProse.rate(learningRate)), η·\(lambdaMax) = \(f(s, 2)) lies between 1 and 2: each "
        + "step multiplies the error along the steepest direction by 1 − η\(lambdaMax) = \(f(1 - s, 2)), so it "
        + "flips sign every epoch — the iterate jumps from one wall of the valley to the other"
        + (s > 1.8
          ? " and, with |1 − η\(lambdaMax)| ≈ 1, hardly shrinks (the 'edge of stability', where the curvature "
            + "along the path is about 2/η)."
          : " while the jumps shrink.")
    } else {
      regime =
        "With η = \(LogisticProse.rate(learningRate)), η·\(lambdaMax) = \(LogisticProse.significant(s)) ≤ 1 at the final w: there no "
        + "step overshoots along any direction."
    }
    sentences.append(regime)
    let oscillates = nllOscillates || pathZigZags
    let what =
      nllOscillates && pathZigZags
      ? "the NLL and the (m, b) path oscillate"
      : nllOscillates
        ? "the NLL oscillates (the path less so)"
        : "the (m, b) path zig-zags while the NLL still fell"
    let earlier = largestStepTimesCurvature
    if oscillates && s > 1 {
      sentences.append(
        "Fixed-step gradient descent therefore bounces across the valley"
          + (conditionNumber > 10 ? " as it creeps along its flat floor" : "")
          + ": that is why \(what).")
    } else if oscillates {
      sentences.append(
        earlier.value > 1
          ? "Earlier in the run the steps did overshoot: η·\(lambdaMax) reached \(f(earlier.value, 2)) at the "
            + "weights of epoch \(earlier.epoch), and that is where \(what)."
          : "η·\(lambdaMax) stayed ≤ 1 along the whole path (at most \(LogisticProse.significant(earlier.value))), so no step "
            + "overshot the steepest direction at the weights visited; the turns come from the gradient's "
            + "direction changing as w moves: \(what).")
    } else {
      sentences.append(
        "So on these data the plots do not oscillate"
          + (earlier.value > 1
            ? ", although η·\(lambdaMax) reached \(f(earlier.value, 2)) at the weights of epoch \(earlier.epoch): "
              + "the overshoot there was too brief to show."
            : ": η·\(lambdaMax) stayed ≤ 1 along the whole path (at most \(LogisticProse.significant(earlier.value))), so no "
              + "step overshot (that takes η·\(lambdaMax) > 1)."))
    }
    return sentences.joined(separator: " ")
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
  /// η of the main run, whose final NLL sets the target.
  public var mainRate: Double
  /// Gradient-descent runs, one per rate.
  public var gradientDescent: [LogisticTrajectory]
  /// SGD runs, one per rate (may be empty).
  public var stochastic: [LogisticTrajectory]

  /// Compares the runs of `result`.
  public init(_ result: LogisticResult) {
    target = result.main.finalNegativeLogLikelihood * 1.01
    mainRate = result.main.learningRate
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

  /// Epochs `i ≥ 1` of `run` whose NLL is above epoch `i − 1`'s.
  static func rises(_ run: LogisticTrajectory) -> Int {
    let nll = run.negativeLogLikelihood
    return nll.indices.dropFirst().filter { nll[$0] > nll[$0 - 1] }.count
  }

  /// Table of epochs run and final NLL per rate (GD, and SGD when run); each header names
  /// what its column holds and in which unit.
  public func rateTable() -> Table {
    let goal = "NLL ≤ \(LogisticProse.number(target, 4))"
    var table = Table(
      columns: [
        .init("method"), .init("η", alignment: .right), .init("epochs run", alignment: .right),
        .init("stopped by"), .init("final NLL", alignment: .right),
        .init("lowest NLL", alignment: .right),
        .init("epochs with NLL rising", alignment: .right),
        .init("epochs to target", alignment: .right),
        .init("gradient evaluations to target", alignment: .right),
        .init("time to target (ms)", alignment: .right),
      ],
      caption:
        "Gradient descent (GD) and stochastic gradient descent (SGD) per learning rate η; target: \(goal)"
    )
    for run in gradientDescent + stochastic {
      let reached = cost(run)
      table.append([
        run.method.rawValue, LogisticProse.rate(run.learningRate), "\(run.epochs)",
        run.stopReason == .tolerance
          ? "tolerance" : run.stopReason == .maxEpochs ? "epoch limit" : "diverged",
        LogisticProse.number(run.finalNegativeLogLikelihood, 4),
        LogisticProse.number(run.negativeLogLikelihood.min() ?? .nan, 4),
        "\(Self.rises(run))",
        reached.map { "\($0.epochs)" } ?? "not reached", reached.map { "\($0.evaluations)" } ?? "—",
        reached?.seconds.map { LogisticProse.number($0 * 1000, 2) } ?? "—",
      ])
    }
    return table
  }

  /// "Compare these results. What are the relative advantages of the different rates?" as text.
  public func rateAnswer() -> String { LogisticProse.plainText(rateAnswerHTML()) }

  /// The rate answer as an HTML fragment; every claim is checked against the runs.
  public func rateAnswerHTML() -> String {
    let r = LogisticProse.rate
    let f = LogisticProse.number
    guard
      let best = gradientDescent.min(by: {
        $0.finalNegativeLogLikelihood < $1.finalNegativeLogLikelihood
      }),
      let slowest = gradientDescent.max(by: {
        $0.finalNegativeLogLikelihood < $1.finalNegativeLogLikelihood
      })
    else { return "No learning rates were compared." }
    let oscillating = gradientDescent.filter { Self.rises($0) > 0 }
    let monotone = gradientDescent.filter { Self.rises($0) == 0 }
    let bestOscillates = Self.rises(best) > 0
    var sentences: [String] = []
    sentences.append(
      "After at most \(gradientDescent.map(\.epochs).max() ?? 0) epochs the largest-progress rate is η = "
        + "\(r(best.learningRate)) (NLL \(f(best.finalNegativeLogLikelihood, 4))) and the least is η = "
        + "\(r(slowest.learningRate)) (NLL \(f(slowest.finalNegativeLogLikelihood, 4))).")
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
        "But η = \(r(best.learningRate)) only stays ahead of η = \(r(overtaken.rate)) from epoch "
          + "\(overtaken.epoch) on"
          + (bestOscillates
            ? ": before that its oscillation costs more than its longer steps gain."
            : "."))
    }
    let largestMonotone = monotone.map(\.learningRate).max() ?? -.infinity
    let smallestOscillating = oscillating.map(\.learningRate).min() ?? .infinity
    let split = smallestOscillating > largestMonotone
    if !oscillating.isEmpty {
      let list = oscillating.map { r($0.learningRate) }.joined(separator: ", ")
      sentences.append(
        (split && !monotone.isEmpty ? "The larger steps (η = \(list))" : "The runs at η = \(list)")
          + " overshoot across the valley: their NLL rises in some epochs ("
          + oscillating.map { "\(Self.rises($0)) at η = \(r($0.learningRate))" }.joined(
            separator: ", ")
          + ").")
    }
    if !monotone.isEmpty {
      let list = monotone.map { r($0.learningRate) }.joined(separator: ", ")
      let behind = monotone.filter {
        $0.finalNegativeLogLikelihood > best.finalNegativeLogLikelihood + 1e-4
      }
      let ends = behind.map {
        "η = \(r($0.learningRate)) at \(f($0.finalNegativeLogLikelihood, 4))"
      }
      .joined(separator: ", ")
      if split && !oscillating.isEmpty {
        sentences.append(
          "The smaller steps (η = \(list)) decrease the NLL monotonically, every epoch"
            + (behind.isEmpty ? "." : ", but end higher: \(ends)."))
      } else {
        sentences.append(
          "At η = \(list) the NLL fell monotonically, every epoch"
            + (behind.isEmpty ? "." : "; ending higher than the best: \(ends)."))
      }
    }
    let lowest = gradientDescent.map { $0.negativeLogLikelihood.min() ?? .infinity }.min() ?? .nan
    let early = gradientDescent.filter {
      $0.stopReason == .tolerance && $0.finalNegativeLogLikelihood > lowest + 0.01
    }
    for run in early {
      sentences.append(
        "η = \(r(run.learningRate)) stopped by the tolerance rule after \(run.epochs) epochs at NLL "
          + "\(f(run.finalNegativeLogLikelihood, 4)), well above the best \(f(lowest, 4)): a small NLL change "
          + "between two epochs does not mean convergence"
          + (Self.rises(run) > 0
            ? " (here it happened at a turning point of the oscillation)."
            : " (here the steps had simply become tiny)."))
    }
    let limited = gradientDescent.filter { $0.stopReason == .maxEpochs }
    if !limited.isEmpty {
      sentences.append(
        "η = " + limited.map { r($0.learningRate) }.joined(separator: ", ")
          + " hit the epoch limit without meeting the tolerance.")
    }
    let diverged = gradientDescent.filter { $0.stopReason == .diverged }
    if !diverged.isEmpty {
      sentences.append(
        "η = " + diverged.map { r($0.learningRate) }.joined(separator: ", ")
          + " diverged: the weights stopped being finite.")
    }
    let largest = gradientDescent.max { $0.learningRate < $1.learningRate }
    if let largest, largest.learningRate == best.learningRate, !oscillating.isEmpty, split {
      sentences.append(
        "In short: here a larger η bought speed at the price of oscillation; a smaller η bought a "
          + "monotone, trustworthy descent at the price of many more epochs.")
    } else if oscillating.isEmpty, let largest, largest.learningRate == best.learningRate {
      sentences.append(
        "In short: no rate oscillated on these data, so the largest η was simply the fastest.")
    } else if let largest, largest.learningRate != best.learningRate {
      sentences.append(
        "In short: the largest rate, η = \(r(largest.learningRate)), is not the best here: past a point, "
          + "longer steps overshoot more than they advance.")
    }
    return sentences.joined(separator: " ")
  }

  /// "Is stochastic gradient descent faster than gradient descent?" as text.
  public func stochasticAnswer() -> String { LogisticProse.plainText(stochasticAnswerHTML()) }

  /// The SGD answer as an HTML fragment; every claim is checked against the runs.
  public func stochasticAnswerHTML() -> String {
    let r = LogisticProse.rate
    let f = LogisticProse.number
    guard !stochastic.isEmpty else { return "SGD was not run." }
    func best(_ runs: [LogisticTrajectory]) -> (
      LogisticTrajectory, (epochs: Int, evaluations: Int, seconds: Double?)
    )? {
      runs.compactMap { run in cost(run).map { (run, $0) } }.min { $0.1.epochs < $1.1.epochs }
    }
    let rows = stochastic[0].rowCount
    var sentences = [
      "Target: NLL ≤ \(f(target, 4)) (1% above where gradient descent at η = \(r(mainRate)) stops). One "
        + "epoch costs \(rows) per-sample gradient evaluations for both methods, but GD makes 1 weight "
        + "update per epoch and SGD makes \(rows)."
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
        "\(name) reaches it fastest at η = \(r(run.learningRate)) after \(cost.epochs) epochs "
        + "(\(cost.evaluations) gradient evaluations"
        + (cost.seconds.map { ", \(f($0 * 1000, 2)) ms" } ?? "") + ")"
    }
    sentences.append(describe("SGD", sgd) + "; " + describe("GD", gd) + ".")
    if let (_, s) = sgd, let (_, g) = gd {
      let ratio = Double(g.epochs) / Double(max(1, s.epochs))
      var sentence =
        ratio > 1
        ? "So in epochs and gradient evaluations SGD is about \(f(ratio, 1))× faster"
        : "So in epochs SGD is not faster here"
      if let ss = s.seconds, let gs = g.seconds {
        let epochRatio = perEpoch(stochastic) / max(perEpoch(gradientDescent), 1e-12)
        let why =
          epochRatio > 1.05
          ? ", because its \(rows) updates are sequential while GD's single pass vectorises"
          : ""
        let clock =
          ss < gs
          ? (ratio > 1 ? "also faster" : "faster nonetheless")
          : (ratio > 1 ? "slower" : "also slower")
        sentence +=
          ", and in wall-clock time \(clock) (\(f(ss * 1000, 2)) ms vs \(f(gs * 1000, 2)) ms; an SGD epoch "
          + "costs \(f(epochRatio, 1))× a GD epoch\(why))."
      } else {
        sentence += "."
      }
      sentences.append(sentence)
    } else if sgd != nil {
      sentences.append("So SGD is faster: GD does not get there at all within the limit.")
    } else if gd != nil {
      sentences.append("So SGD is not faster here: only GD gets there within the limit.")
    } else {
      sentences.append("Neither method reaches the target within the limit at any of these rates.")
    }
    for run in stochastic
    where run.stopReason == .tolerance && run.finalNegativeLogLikelihood > target {
      sentences.append(
        "The tolerance rule stopped SGD at η = \(r(run.learningRate)) after \(run.epochs) epochs at NLL "
          + "\(f(run.finalNegativeLogLikelihood, 4)), above the target: with per-sample updates a small "
          + "change between two epoch-start NLLs is a coincidence of the noise, not convergence.")
    }
    let noisy = stochastic.filter { Self.rises($0) > $0.epochs / 10 }
    if !noisy.isEmpty {
      // "The larger the step, the noisier" only when the mean epoch-to-epoch change grows with η.
      let byRate = stochastic.sorted { $0.learningRate < $1.learningRate }.map(Self.meanChange)
      let growing = byRate.count > 1 && zip(byRate, byRate.dropFirst()).allSatisfy { $0 <= $1 }
      sentences.append(
        "SGD's NLL is noisy"
          + (growing ? ", the more so the larger the step" : "")
          + " (η = " + noisy.map { r($0.learningRate) }.joined(separator: ", ")
          + " rise in more than a tenth of their epochs; mean change between epochs "
          + stochastic.map {
            "\(LogisticProse.scientific(Self.meanChange($0), 1)) at η = \(r($0.learningRate))"
          }
          .joined(separator: ", ")
          + "): each update follows one sample's gradient, so the iterate keeps jittering around the "
          + "minimum instead of settling; a decaying step size would be needed to converge exactly."
      )
    } else {
      sentences.append(
        "SGD's epoch-level NLL is fairly smooth here: no rate rises in more than a tenth of its epochs."
      )
    }
    return sentences.joined(separator: " ")
  }

  /// Mean |NLL[i] − NLL[i − 1]| over a run's epochs.
  static func meanChange(_ run: LogisticTrajectory) -> Double {
    let nll = run.negativeLogLikelihood
    guard nll.count > 1 else { return 0 }
    return zip(nll, nll.dropFirst()).map { Swift.abs($1 - $0) }.reduce(0, +) / Double(nll.count - 1)
  }

  /// Median seconds per epoch over runs that were timed.
  func perEpoch(_ runs: [LogisticTrajectory]) -> Double {
    let values = runs.compactMap { run in run.totalSeconds.map { $0 / Double(max(1, run.epochs)) } }
      .sorted()
    return values.isEmpty ? 0 : values[values.count / 2]
  }
}

/// Numbers and mathematics for Part 3's text: fixed decimals, scientific notation, learning rates
/// as entered, and the HTML → plain text rendering of the answers.
enum LogisticProse {
  /// `value` with `digits` decimals and a true minus sign.
  static func number(_ value: Double, _ digits: Int) -> String {
    minus(String(format: "%.\(digits)f", value))
  }

  /// `value` as `m × 10<sup>e</sup>` HTML with `digits` decimals in the mantissa (the plain text
  /// rendering reads `m × 10^e`).
  static func scientific(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite, value != 0 else { return number(value, digits) }
    let parts = String(format: "%.\(digits)e", value).split(separator: "e")
    guard parts.count == 2, let exponent = Int(parts[1]) else { return number(value, digits) }
    if exponent == 0 { return minus(String(parts[0])) }
    return minus(String(parts[0])) + " × 10<sup>\(minus(String(exponent)))</sup>"
  }

  /// "once", "3 times".
  static func times(_ count: Int) -> String { count == 1 ? "once" : "\(count) times" }

  /// Two decimals, or two significant digits in scientific notation below 0.01.
  static func significant(_ value: Double) -> String {
    value != 0 && Swift.abs(value) < 0.01 ? scientific(value, 1) : number(value, 2)
  }

  /// A learning rate as entered: the shortest decimal that reads back as the same Double
  /// (`0.001`, `0.5`, never `0.0009999999` or `0.500`).
  static func rate(_ value: Double) -> String { shortest(value) }

  /// The shortest round-trip decimal of `value`, in positional notation down to 10⁻⁶.
  static func shortest(_ value: Double) -> String {
    guard value.isFinite else { return "\(value)" }
    let text = "\(value)"
    if !text.contains("e") {
      return minus(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
    }
    // Swift writes 1e-05; positional for |value| ≥ 10⁻⁶ reads better in a table.
    if Swift.abs(value) >= 1e-6 && Swift.abs(value) < 1e16 {
      for digits in 1...20 {
        let candidate = String(format: "%.\(digits)f", value)
        if Double(candidate) == value { return minus(candidate) }
      }
    }
    return minus(text)
  }

  private static func minus(_ text: String) -> String {
    text.replacingOccurrences(of: "-", with: "−")
  }

  /// Escapes `& < >` for HTML text.
  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }

  /// The plain-text reading of an answer's HTML (`MarkupText.plainText(fromHTML:)`).
  static func plainText(_ html: String) -> String { MarkupText.plainText(fromHTML: html) }
}
