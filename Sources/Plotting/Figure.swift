import Foundation

/// A figure: a fixed-size canvas with an optional title and one `Axes`.
///
/// ```swift
/// var figure = Figure(width: 640, height: 440, title: "Negative log-likelihood")
/// figure.axes.xLabel = "epoch"
/// figure.axes.yScale = .log10
/// figure.axes.addLine(y: losses, label: "η = 0.5")
/// try figure.writePNG(to: folder.appendingPathComponent("nll.png"))
/// ```
public struct Figure: Sendable {
  /// Canvas width in SVG user units (pixels at PNG scale 1).
  public var width: Double
  /// Canvas height in SVG user units.
  public var height: Double
  /// Title drawn above the plot area (empty for none).
  public var title: String
  /// The coordinate system and its marks.
  public var axes: Axes
  /// Font sizes in pixels.
  public var fonts = Fonts()
  /// The least distance from the left edge to the plot area (`FigureGrid` sets it so that
  /// panels stacked in a column share their plot areas' left edge).
  public var minimumLeftMargin: Double = 0

  /// Font sizes in pixels.
  public struct Fonts: Sendable, Hashable {
    /// The title.
    public var title: Double = 17
    /// Axis labels.
    public var label: Double = 15
    /// Tick labels.
    public var tick: Double = 13
    /// Legend entries.
    public var legend: Double = 13
    /// Creates the default sizes.
    public init() {}
  }

  /// Creates a figure; non-finite or tiny sizes are raised to 50.
  public init(width: Double = 640, height: Double = 440, title: String = "", axes: Axes = Axes()) {
    self.width = width.isFinite ? Swift.max(50, width) : 640
    self.height = height.isFinite ? Swift.max(50, height) : 440
    self.title = title
    self.axes = axes
  }
}

/// A rectangle in pixel coordinates (y grows downwards).
public struct Rect: Sendable, Hashable {
  /// Left edge.
  public var x: Double
  /// Top edge.
  public var y: Double
  /// Width.
  public var width: Double
  /// Height.
  public var height: Double
  /// Right edge.
  public var maxX: Double { x + width }
  /// Bottom edge.
  public var maxY: Double { y + height }
}

/// Where everything of a figure goes: the plot area, the data→pixel mappings and the ticks.
public struct FigureLayout: Sendable {
  /// The plot area in pixels.
  public var plotArea: Rect
  /// Maps x data values to horizontal pixels.
  public var x: ScaleMapping
  /// Maps y data values to vertical pixels (larger values higher, i.e. smaller pixel y).
  public var y: ScaleMapping
  /// x tick positions (data values) with their labels.
  public var xTicks: [(value: Double, label: String)]
  /// y tick positions (data values) with their labels.
  public var yTicks: [(value: Double, label: String)]
  /// The legend's entries, in order.
  var legendEntries: [LegendEntry]
  /// The legend box size.
  var legendSize: (width: Double, height: Double)
}

extension Figure {
  /// Estimated width of `text` at `fontSize` in a sans-serif font (about 0.6 em per character).
  static func textWidth(_ text: String, fontSize: Double) -> Double {
    Double(text.count) * fontSize * 0.6
  }

  /// Computes limits, ticks and the plot area.
  public func layout() -> FigureLayout {
    let xDomain = Figure.domain(
      axes.xLimits, values: axes.marks.flatMap(\.xValues), scale: axes.xScale,
      padding: axes.padding, nice: axes.niceLimits)
    let yDomain = Figure.domain(
      axes.yLimits, values: axes.marks.flatMap(\.yValues), scale: axes.yScale,
      padding: axes.padding, nice: axes.niceLimits)

    let entries = legendEntries()
    let legendSize =
      axes.legend == .outsideBottom
      ? Figure.horizontalLegendSize(
        Figure.legendRows(entries, fontSize: fonts.legend, maxWidth: width),
        fontSize: fonts.legend)
      : Figure.legendSize(entries, fontSize: fonts.legend)
    let showLegend = axes.legend != .hidden && !entries.isEmpty

    // First guess of the plot size, to choose tick densities.
    let roughHeight = height - 100 - (title.isEmpty ? 0 : 30)
    // At least four y ticks, so that a short panel still reads off its values.
    let yTicks = ticks(
      axes.yTicks, domain: yDomain, scale: axes.yScale, target: Swift.max(4, Int(roughHeight / 55)))
    let yLabelWidth = yTicks.map { Figure.textWidth($0.label, fontSize: fonts.tick) }.max() ?? 0

    var left = 12 + yLabelWidth + 9
    if !axes.yLabel.isEmpty { left += fonts.label + 10 }
    left = Swift.max(left, minimumLeftMargin)
    let top = title.isEmpty ? 16 : 16 + fonts.title + 14
    var bottom = 9 + fonts.tick + 8
    if !axes.xLabel.isEmpty { bottom += fonts.label + 10 }
    if showLegend && axes.legend == .outsideBottom { bottom += legendSize.height + 12 }
    var right = 22.0
    if showLegend && axes.legend == .outsideRight { right += legendSize.width + 12 }

    var area = Rect(
      x: left, y: top, width: Swift.max(10, width - left - right),
      height: Swift.max(10, height - top - bottom))
    var xTicks = ticks(
      axes.xTicks, domain: xDomain, scale: axes.xScale, target: Int(area.width / 80))
    // Fewer x ticks while their labels would overlap.
    var target = Int(area.width / 80)
    while target > 2 && axes.xTicks == nil && axes.xScale == .linear {
      let widest = xTicks.map { Figure.textWidth($0.label, fontSize: fonts.tick) }.max() ?? 0
      if Double(xTicks.count) * (widest + 14) <= area.width { break }
      target -= 1
      xTicks = ticks(nil, domain: xDomain, scale: axes.xScale, target: target)
    }

    var x = ScaleMapping(domain: xDomain, start: area.x, end: area.maxX, scale: axes.xScale)
    var y = ScaleMapping(domain: yDomain, start: area.maxY, end: area.y, scale: axes.yScale)
    if axes.equalAspect {
      let k = Swift.min(x.pixelsPerUnit, y.pixelsPerUnit)
      if k > 0 {
        let newWidth = k * area.width / x.pixelsPerUnit
        let newHeight = k * area.height / y.pixelsPerUnit
        area = Rect(
          x: area.x + (area.width - newWidth) / 2, y: area.y + (area.height - newHeight) / 2,
          width: newWidth,
          height: newHeight)
        x = ScaleMapping(domain: xDomain, start: area.x, end: area.maxX, scale: axes.xScale)
        y = ScaleMapping(domain: yDomain, start: area.maxY, end: area.y, scale: axes.yScale)
      }
    }
    return FigureLayout(
      plotArea: area, x: x, y: y, xTicks: xTicks, yTicks: yTicks,
      legendEntries: showLegend ? entries : [], legendSize: legendSize)
  }

  /// The shown interval for one axis.
  static func domain(
    _ fixed: ClosedRange<Double>?, values: [Double], scale: AxisScale, padding: Double, nice: Bool
  ) -> ClosedRange<Double> {
    if let fixed, fixed.lowerBound.isFinite, fixed.upperBound.isFinite,
      scale == .linear || fixed.lowerBound > 0
    {
      if fixed.lowerBound < fixed.upperBound { return fixed }
      return scale == .linear
        ? (fixed.lowerBound - 1)...(fixed.upperBound + 1)
        : (fixed.lowerBound / 10)...(fixed.upperBound * 10)
    }
    let shown = values.compactMap { scale.transform($0) }
    guard var low = shown.min(), var high = shown.max() else {
      return scale == .linear ? 0...1 : 1...10
    }
    if low == high {
      low -= scale == .linear ? Swift.max(1, Swift.abs(low) * 0.1) : 1
      high += scale == .linear ? Swift.max(1, Swift.abs(high) * 0.1) : 1
    } else {
      let pad = (high - low) * Swift.max(0, padding)
      low -= pad
      high += pad
    }
    if nice && scale == .linear { return NiceTicks.expanded(low...high) }
    return scale == .linear ? low...high : pow(10, low)...pow(10, high)
  }

  func ticks(_ fixed: [Double]?, domain: ClosedRange<Double>, scale: AxisScale, target: Int)
    -> [(value: Double, label: String)]
  {
    switch scale {
    case .linear:
      let span = domain.upperBound - domain.lowerBound
      let count = Swift.max(2, Swift.min(10, target))
      let step = NiceTicks.step(span: span, targetCount: count)
      let values = fixed ?? NiceTicks.multiples(of: step, in: domain)
      let labelStep = fixed == nil ? step : Figure.smallestGap(values) ?? step
      return values.map { ($0, NiceTicks.label($0, step: labelStep)) }
    case .log10:
      let values = fixed ?? NiceTicks.logarithmic(domain)
      let positive = values.filter { $0 > 0 }
      let decades = positive.allSatisfy { v in Swift.abs(log10(v) - log10(v).rounded()) < 1e-9 }
      // Powers of ten as 10ⁿ; a 1-2-5 sequence within a decade as plain numbers.
      return positive.map { ($0, decades ? NiceTicks.logLabel($0) : NiceTicks.label($0, step: $0)) }
    }
  }

  static func smallestGap(_ values: [Double]) -> Double? {
    let sorted = values.sorted()
    return zip(sorted, sorted.dropFirst()).map { $1 - $0 }.filter { $0 > 0 }.min()
  }
}
