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
