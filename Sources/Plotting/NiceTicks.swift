import Foundation

/// "Nice" axis ticks: steps of 1, 2 or 5 times a power of ten (Heckbert, *Graphics Gems*, 1990).
public enum NiceTicks {
  /// The nice step for covering `span` with about `targetCount` intervals: the raw step
  /// `span / targetCount` is rounded to 1, 2, 5 or 10 times a power of ten (fractions below 1.5
  /// round to 1, below 3 to 2, below 7 to 5, else 10). Returns 0 for a non-positive or non-finite span.
  public static func step(span: Double, targetCount: Int) -> Double {
    guard span.isFinite, span > 0, targetCount > 0 else { return 0 }
    let raw = span / Double(targetCount)
    let magnitude = pow(10, floor(log10(raw)))
    let fraction = raw / magnitude
    let nice: Double
    if fraction < 1.5 {
      nice = 1
    } else if fraction < 3 {
      nice = 2
    } else if fraction < 7 {
      nice = 5
    } else {
      nice = 10
    }
    return nice * magnitude
  }

  /// The multiples of `step` inside `lower...upper` (with a tolerance of 1e-9 steps at both ends),
  /// snapped so that e.g. 0.1 + 0.2 prints as 0.3 and zero is exactly zero.
  public static func multiples(of step: Double, in range: ClosedRange<Double>) -> [Double] {
    guard step > 0, step.isFinite, range.lowerBound.isFinite, range.upperBound.isFinite else {
      return []
    }
    let first = (range.lowerBound / step - 1e-9).rounded(.up)
    let last = (range.upperBound / step + 1e-9).rounded(.down)
    guard last >= first, last - first < 10_000 else { return [] }
    return stride(from: first, through: last, by: 1).map { index in
      let value = index * step
      return index == 0 ? 0 : Double(String(format: "%.12g", value)) ?? value
    }
  }

  /// Ticks for a linear axis showing `range`, about `targetCount` intervals.
  public static func linear(_ range: ClosedRange<Double>, targetCount: Int = 5) -> [Double] {
    multiples(
      of: step(span: range.upperBound - range.lowerBound, targetCount: targetCount), in: range)
  }

  /// The range widened outwards to the nearest multiples of the nice step, e.g. `0.3...9.2` → `0...10`.
  public static func expanded(_ range: ClosedRange<Double>, targetCount: Int = 5) -> ClosedRange<
    Double
  > {
    let s = step(span: range.upperBound - range.lowerBound, targetCount: targetCount)
    guard s > 0 else { return range }
    return
      ((range.lowerBound / s - 1e-9).rounded(.down) * s)...((range.upperBound / s + 1e-9).rounded(
        .up) * s)
  }

  /// Ticks for a log axis showing positive `range`: the powers of ten inside it; when fewer than two
  /// fit, also 2× and 5× each power of ten.
  public static func logarithmic(_ range: ClosedRange<Double>) -> [Double] {
    guard range.lowerBound > 0, range.upperBound.isFinite else { return [] }
    let low = Int(floor(log10(range.lowerBound)))
    let high = Int(ceil(log10(range.upperBound)))
    guard high - low < 400 else { return [] }
    let inside = { (v: Double) in
      v >= range.lowerBound * (1 - 1e-9) && v <= range.upperBound * (1 + 1e-9)
    }
    let decades = (low...high).map { pow(10, Double($0)) }.filter(inside)
    if decades.count >= 2 { return thinned(decades, maximum: 8) }
    return (low...high).flatMap { e in [1.0, 2, 5].map { $0 * pow(10, Double(e)) } }.filter(inside)
  }

  private static func thinned(_ values: [Double], maximum: Int) -> [Double] {
    guard values.count > maximum else { return values }
    let stride = (values.count + maximum - 1) / maximum
    return values.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
  }

  /// A tick label for `value` on an axis whose ticks are `step` apart: as many decimals as the step
  /// needs, a true minus sign (U+2212), and `1e-5`-style notation for very large or small magnitudes.
  public static func label(_ value: Double, step: Double) -> String {
    if value == 0 { return "0" }
    let magnitude = Swift.abs(value)
    var text: String
    if magnitude >= 1e6 || magnitude < 1e-4 {
      text = String(format: "%.3g", value).replacingOccurrences(of: "e+0", with: "e")
        .replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+", with: "e")
    } else {
      let decimals = step > 0 ? decimalsNeeded(step) : 2
      text = String(format: "%.\(Swift.min(decimals, 10))f", value)
    }
    if text.hasPrefix("-") { text = "\u{2212}" + text.dropFirst() }
    return text
  }

  /// The fewest decimals (0...10) that write `step` exactly: 1 → 0, 0.5 → 1, 0.25 → 2.
  static func decimalsNeeded(_ step: Double) -> Int {
    for decimals in 0...10 {
      let scaled = step * pow(10, Double(decimals))
      if Swift.abs(scaled - scaled.rounded()) < 1e-6 * Swift.max(1, scaled) { return decimals }
    }
    return 10
  }

  /// A label for a power-of-ten tick on a log axis: `10⁻³`, `1`, `10`, `10²`; other values as numbers.
  public static func logLabel(_ value: Double) -> String {
    let exponent = log10(value)
    let rounded = exponent.rounded()
    guard Swift.abs(exponent - rounded) < 1e-9 else {
      return label(value, step: pow(10, floor(exponent)))
    }
    let e = Int(rounded)
    if e == 0 { return "1" }
    if e == 1 { return "10" }
    let superscripts: [Character: Character] = [
      "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸",
      "9": "⁹",
      "-": "⁻",
    ]
    return "10" + String(String(e).map { superscripts[$0] ?? $0 })
  }
}
