import Foundation

/// The weights `w = (w1, w2, w3)` of the separator `w1·x1 + w2·x2 + w3 = 0` (with `x3 = 1`).
public struct LogisticWeights: Sendable, Equatable, CustomStringConvertible {
  /// Weight of `x1`.
  public var w1: Double
  /// Weight of `x2`.
  public var w2: Double
  /// Weight of `x3` (the bias).
  public var w3: Double

  /// Creates weights.
  public init(_ w1: Double, _ w2: Double, _ w3: Double) {
    self.w1 = w1
    self.w2 = w2
    self.w3 = w3
  }

  /// The provided code's starting point, `w = (0.1, 0, 0)`.
  public static let assignmentStart = LogisticWeights(0.1, 0, 0)

  /// Slope of the separator in the (x1, x2) plane, `m = −w1/w2` (infinite when `w2 = 0`).
  public var slope: Double { -w1 / w2 }
  /// Intercept of the separator, `b = −w3/w2` (NaN when `w2 = w3 = 0`).
  public var intercept: Double { -w3 / w2 }
  /// Whether all three weights are finite.
  public var isFinite: Bool { w1.isFinite && w2.isFinite && w3.isFinite }

  /// `[ 1.28406549 -1.22454077 -7.81846365]`: eight decimals, a space before non-negative
  /// numbers, close to how the provided code's `print(w.T)` shows the weights.
  public var description: String {
    "["
      + [w1, w2, w3].map { ($0 < 0 ? "" : " ") + String(format: "%.8f", $0) }.joined(separator: " ")
      + "]"
  }
}

/// The mathematics of two-class logistic regression, `y = σ(wᵀx)`, in Double.
public enum LogisticRegression {
  /// `log(1 + eᵃ)` without overflow or cancellation: `max(a, 0) + log1p(e^{−|a|})`.
  @inlinable
  public static func softplus(_ a: Double) -> Double {
    max(a, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(a)))
  }

  /// `eˣ` for `x ≤ 0` (arguments below −708 are treated as −708, i.e. ≈ 3·10⁻³⁰⁸ instead of a
  /// smaller number — invisible next to the 1 it is added to), inlined and branch-free so that the
  /// per-row loop stays free of library calls.
  ///
  /// Cody–Waite reduction `x = k·ln 2 + r`, `|r| ≤ ln 2 / 2`, then the degree-13 Taylor polynomial
  /// of `eʳ` (Estrin's scheme) (truncation ≤ 4·10⁻¹⁸ relative) and `2ᵏ` built from its bit pattern; within 2 ulp of
  /// the correctly rounded value.
  @inlinable @inline(__always)
  public static func exponentialOfNonPositive(_ x: Double) -> Double {
    // One lane of the vector version: the same operations, so bit-identical results.
    exponentialOfNonPositive(SIMD4(repeating: x))[0]
  }

  /// The logistic sigmoid `σ(a) = 1 / (1 + e^{−a})`, evaluated so that `exp` never overflows.
  @inlinable
  public static func sigmoid(_ a: Double) -> Double {
    let e = exponentialOfNonPositive(-Swift.abs(a))
    return (a >= 0 ? 1 : e) / (1 + e)
  }

  /// One sample's negative log-likelihood, `−[t log σ(a) + (1−t) log(1−σ(a))] = softplus(a) − t·a`.
  ///
  /// Finite for every finite `a`: the provided formula takes `log(1 − σ(a))`, which is `log 0`
  /// once `σ(a)` rounds to 1 (a ≳ 37), and `0 · (−∞) = NaN` follows.
  @inlinable
  public static func sampleNegativeLogLikelihood(activation a: Double, target t: Double) -> Double {
    softplus(a) - t * a
  }

  /// The mean negative log-likelihood of `weights` over `data` (Bishop eq. 4.90 divided by N).
  public static func negativeLogLikelihood(_ weights: LogisticWeights, on data: LogisticData)
    -> Double
  {
    var total = 0.0
    for row in 0..<data.count {
      let a = weights.w1 * data.x1[row] + weights.w2 * data.x2[row] + weights.w3 * data.x3[row]
      total += sampleNegativeLogLikelihood(activation: a, target: data.targets[row])
    }
    return total / Double(data.count)
  }

  /// The gradient of the mean NLL, `(1/N) Σ (y_n − t_n) x_n` (Bishop eq. 4.91 divided by N).
  public static func gradient(_ weights: LogisticWeights, on data: LogisticData) -> LogisticWeights
  {
    let pass = fullPass(weights, on: data)
    return pass.gradient
  }

  /// One pass over the data computing the mean NLL and its gradient together; allocation-free.
  ///
  /// Per row: one inlined `exp` (shared by σ and softplus), one division, four rows per step
  /// in SIMD lanes. The `Σ log1p(e^{−|a|})` part of the NLL is the log of running per-lane
  /// products of `(1 + e^{−|a|}) ∈ [1, 2]`, flushed every 256 rows (≤ 2⁶⁴ per lane, no
  /// overflow), which replaces 200 `log1p` calls by two `log`s; the products' relative rounding
  /// (≤ 256 ulp) becomes an absolute error ≤ 3·10⁻¹⁴ on the sum, i.e. ≲ 10⁻¹⁶ on the mean.
  @inlinable @inline(__always)
  public static func fullPass(_ w: LogisticWeights, on data: LogisticData) -> (
    negativeLogLikelihood: Double, gradient: LogisticWeights
  ) {
    fullPass(w, on: data, packed: packRows(data))
  }

  /// The rows in blocks of four, `[x1 x1 x1 x1], [x2 …], [x3 …], [t …]` per block (the tail
  /// of fewer than four rows is left out), so the SIMD loop does one bounds check per vector.
  @inlinable
  public static func packRows(_ data: LogisticData) -> [SIMD4<Double>] {
    var packed: [SIMD4<Double>] = []
    packed.reserveCapacity(data.count)
    var row = 0
    while row + 4 <= data.count {
      for column in [data.x1, data.x2, data.x3, data.targets] {
        packed.append(SIMD4(column[row], column[row + 1], column[row + 2], column[row + 3]))
      }
      row += 4
    }
    return packed
  }

  /// `fullPass(_:on:)` with the rows already packed by `packRows(_:)`.
  @inlinable @inline(__always)
  public static func fullPass(_ w: LogisticWeights, on data: LogisticData, packed: [SIMD4<Double>])
    -> (
      negativeLogLikelihood: Double, gradient: LogisticWeights
    )
  {
    let n = data.count
    let x1 = data.x1
    let x2 = data.x2
    let x3 = data.x3
    let targets = data.targets
    // Rows packed for another data set are repacked rather than trusted.
    let packed = packed.count == 4 * (n / 4) ? packed : packRows(data)
    // Four rows at a time in SIMD4 lanes (two SSE registers each), then a scalar tail.
    var g1 = SIMD4<Double>()
    var g2 = SIMD4<Double>()
    var g3 = SIMD4<Double>()
    var linear = SIMD4<Double>()
    var product = SIMD4<Double>(repeating: 1)
    var logSum = 0.0
    let zero = SIMD4<Double>()
    let one = SIMD4<Double>(repeating: 1)
    var block = 0
    let blocks = packed.count / 4
    while block < blocks {
      let v1 = packed[4 * block]
      let v2 = packed[4 * block + 1]
      let v3 = packed[4 * block + 2]
      let t = packed[4 * block + 3]
      let a = w.w1 * v1 + w.w2 * v2 + w.w3 * v3
      // −|a| and max(a, 0) by lane selects: the stdlib's pointwiseMin/Max are not inlined here.
      let e = exponentialOfNonPositive((-a).replacing(with: a, where: a .< zero))
      let onePlus = one + e
      let y = e.replacing(with: one, where: a .>= zero) / onePlus
      let r = y - t
      g1 += r * v1
      g2 += r * v2
      g3 += r * v3
      linear += a.replacing(with: zero, where: a .< zero) - t * a
      product *= onePlus
      block += 1
      // Each lane's product stays ≤ 2⁶⁴ between flushes.
      if block & 63 == 0 {
        logSum += Foundation.log(product[0] * product[1]) + Foundation.log(product[2] * product[3])
        product = one
      }
    }
    var row = 4 * blocks
    logSum += Foundation.log(product[0] * product[1]) + Foundation.log(product[2] * product[3])
    var s1 = g1.sum()
    var s2 = g2.sum()
    var s3 = g3.sum()
    var sLinear = linear.sum()
    while row < n {
      let a = w.w1 * x1[row] + w.w2 * x2[row] + w.w3 * x3[row]
      let e = exponentialOfNonPositive(-Swift.abs(a))
      let r = (a >= 0 ? 1 : e) / (1 + e) - targets[row]
      s1 += r * x1[row]
      s2 += r * x2[row]
      s3 += r * x3[row]
      sLinear += max(a, 0) - targets[row] * a
      logSum += Foundation.log1p(e)
      row += 1
    }
    let scale = 1 / Double(n)
    return ((sLinear + logSum) * scale, LogisticWeights(s1 * scale, s2 * scale, s3 * scale))
  }

  /// `exponentialOfNonPositive(_:)` lane by lane (the same polynomial, the same results).
  @inlinable @inline(__always)
  public static func exponentialOfNonPositive(_ x: SIMD4<Double>) -> SIMD4<Double> {
    let floor = SIMD4<Double>(repeating: -708)
    let clamped = x.replacing(with: floor, where: x .< floor)
    let shifter = SIMD4<Double>(repeating: 0x1.8p52)
    let shifted = clamped * 1.4426950408889634 + shifter
    let k = shifted - shifter
    let r = (clamped - k * 0x1.62e42fefa3800p-1) - k * 0x1.ef35793c76730p-45
    // Estrin's scheme: a dependency chain of depth 4 instead of Horner's 13; cₙ = 1/n!.
    let c2: Double = 0.5
    let c3: Double = 1.0 / 6
    let c4: Double = 1.0 / 24
    let c5: Double = 1.0 / 120
    let c6: Double = 1.0 / 720
    let c7: Double = 1.0 / 5_040
    let c8: Double = 1.0 / 40_320
    let c9: Double = 1.0 / 362_880
    let c10: Double = 1.0 / 3_628_800
    let c11: Double = 1.0 / 39_916_800
    let c12: Double = 1.0 / 479_001_600
    let c13: Double = 1.0 / 6_227_020_800
    let r2 = r * r
    let r4 = r2 * r2
    let r8 = r4 * r4
    let q0 = (1 + r) + (c2 + r * c3) * r2
    let q4 = (c4 + r * c5) + (c6 + r * c7) * r2
    let q8 = (c8 + r * c9) + (c10 + r * c11) * r2
    let q12 = c12 + r * c13
    let p = (q0 + q4 * r4) + (q8 + q12 * r4) * r8
    let scale = SIMD4(
      Double(bitPattern: (shifted[0].bitPattern &+ 1023) &<< 52),
      Double(bitPattern: (shifted[1].bitPattern &+ 1023) &<< 52),
      Double(bitPattern: (shifted[2].bitPattern &+ 1023) &<< 52),
      Double(bitPattern: (shifted[3].bitPattern &+ 1023) &<< 52))
    return p * scale
  }
}
