import Foundation

/// How data values along one axis map to positions.
public enum AxisScale: Sendable, Hashable {
  /// Position proportional to the value.
  case linear
  /// Position proportional to `log10(value)`; values ≤ 0 are not drawn.
  case log10

  /// The value in the scale's working space (`log10` for `.log10`), or nil if it cannot be shown.
  public func transform(_ value: Double) -> Double? {
    guard value.isFinite else { return nil }
    switch self {
    case .linear: return value
    case .log10: return value > 0 ? Foundation.log10(value) : nil
    }
  }
}

/// Maps data values on one axis to pixel coordinates: `domain.lowerBound` goes to `pixels.start`
/// and `domain.upperBound` to `pixels.end` (for a y axis `start` is the bottom, the larger pixel value).
public struct ScaleMapping: Sendable, Hashable {
  /// The data interval shown.
  public var domain: ClosedRange<Double>
  /// The pixel position of `domain.lowerBound`.
  public var start: Double
  /// The pixel position of `domain.upperBound`.
  public var end: Double
  /// Linear or logarithmic.
  public var scale: AxisScale

  /// Creates a mapping; for `.log10` the domain must be positive.
  public init(domain: ClosedRange<Double>, start: Double, end: Double, scale: AxisScale = .linear) {
    self.domain = domain
    self.start = start
    self.end = end
    self.scale = scale
  }

  /// The pixel position of `value`, or nil when the scale cannot show it (NaN, ±∞, ≤ 0 on a log axis).
  /// Values outside the domain extrapolate linearly (clipping happens in the SVG).
  public func callAsFunction(_ value: Double) -> Double? {
    guard let v = scale.transform(value), let lo = scale.transform(domain.lowerBound),
      let hi = scale.transform(domain.upperBound)
    else { return nil }
    let span = hi - lo
    if span == 0 { return (start + end) / 2 }
    return start + (v - lo) / span * (end - start)
  }

  /// Pixels per data unit (linear scales) or per decade (log scales).
  public var pixelsPerUnit: Double {
    guard let lo = scale.transform(domain.lowerBound), let hi = scale.transform(domain.upperBound),
      hi != lo
    else { return 0 }
    return Swift.abs(end - start) / (hi - lo)
  }
}
