/// Where the legend goes.
public enum LegendPlacement: Sendable, Hashable {
  /// No legend.
  case hidden
  /// Inside the plot area, top-right corner.
  case topRight
  /// Inside the plot area, top-left corner.
  case topLeft
  /// Inside the plot area, bottom-right corner.
  case bottomRight
  /// Inside the plot area, bottom-left corner.
  case bottomLeft
  /// To the right of the plot area (the figure width is kept; the plot area shrinks).
  case outsideRight
  /// Below the plot area and its x label, entries side by side in as many rows as needed (the
  /// figure height is kept; the plot area shrinks).
  case outsideBottom
}

/// One coordinate system: labels, limits, ticks, grid, legend and the marks drawn in it.
public struct Axes: Sendable {
  /// The x-axis label.
  public var xLabel: String = ""
  /// The y-axis label.
  public var yLabel: String = ""
  /// Fixed x limits; nil derives them from the data (padded, then widened to nice ticks if `niceLimits`).
  public var xLimits: ClosedRange<Double>?
  /// Fixed y limits; nil derives them from the data.
  public var yLimits: ClosedRange<Double>?
  /// The x scale.
  public var xScale: AxisScale = .linear
  /// The y scale (use `.log10` for loss curves spanning decades).
  public var yScale: AxisScale = .linear
  /// Explicit x tick positions; nil chooses nice 1-2-5 ticks.
  public var xTicks: [Double]?
  /// Explicit y tick positions; nil chooses nice 1-2-5 ticks.
  public var yTicks: [Double]?
  /// Whether to draw grid lines at the ticks.
  public var grid: Bool = true
  /// Legend placement.
  public var legend: LegendPlacement = .topRight
  /// Whether one data unit has the same length on both axes (the plot area shrinks to fit).
  public var equalAspect: Bool = false
  /// Relative padding added to data-derived limits on each side (0.05 = 5 % of the span).
  public var padding: Double = 0.05
  /// Whether data-derived limits are widened to the next nice tick (e.g. `0.3...9.2` → `0...10`).
  public var niceLimits: Bool = false
  /// The marks, drawn in order (later on top).
  public private(set) var marks: [Mark] = []

  /// Creates empty axes.
  public init(xLabel: String = "", yLabel: String = "") {
    self.xLabel = xLabel
    self.yLabel = yLabel
  }

  /// Appends any mark.
  public mutating func add(_ mark: Mark) { marks.append(mark) }

  /// Appends a line series.
  public mutating func addLine(
    x: [Double], y: [Double], label: String? = nil, color: Color? = nil, width: Double = 2,
    dash: DashStyle = .solid, marker: MarkerShape? = nil
  ) {
    add(
      .line(
        LineSeries(x: x, y: y, label: label, color: color, width: width, dash: dash, marker: marker)
      ))
  }

  /// Appends a line series with x = 0, 1, 2, … (e.g. a loss per epoch).
  public mutating func addLine(
    y: [Double], label: String? = nil, color: Color? = nil, width: Double = 2,
    dash: DashStyle = .solid
  ) {
    addLine(
      x: y.indices.map(Double.init), y: y, label: label, color: color, width: width, dash: dash)
  }

  /// Appends a scatter series.
  public mutating func addScatter(
    x: [Double], y: [Double], label: String? = nil, marker: MarkerShape = .circle, size: Double = 6,
    color: Color? = nil, colors: [Color]? = nil
  ) {
    add(
      .scatter(
        ScatterSeries(
          x: x, y: y, label: label, marker: marker, size: size, color: color, colors: colors)))
  }

  /// Appends a path with vertex markers and highlighted start and end.
  public mutating func addPath(_ points: [Point], label: String? = nil, color: Color? = nil) {
    add(.path(PathSeries(points: points, label: label, color: color)))
  }

  /// Appends a filled polygon.
  public mutating func addPolygon(
    _ points: [Point], fill: Color, opacity: Double = 0.35, stroke: Color? = nil,
    label: String? = nil
  ) {
    add(
      .polygon(
        FilledPolygon(points: points, fill: fill, opacity: opacity, stroke: stroke, label: label)))
  }

  /// Appends a straight segment (red by default).
  public mutating func addSegment(
    from: Point, to: Point, color: Color = .red, width: Double = 2.5, dash: DashStyle = .solid,
    label: String? = nil
  ) {
    add(
      .segment(
        LineSegment(from: from, to: to, color: color, width: width, dash: dash, label: label)))
  }

  /// Appends a highlighted point with a text label (green by default).
  public mutating func addPoint(
    _ point: Point, text: String? = nil, color: Color = .green, size: Double = 11,
    label: String? = nil
  ) {
    add(.point(LabeledPoint(point: point, text: text, color: color, size: size, label: label)))
  }

  /// Appends a text annotation.
  public mutating func addText(
    _ text: String, at position: Point, anchor: TextAnchor = .middle, fontSize: Double = 13,
    color: Color = .darkGray, bold: Bool = false
  ) {
    add(
      .text(
        TextAnnotation(
          text, at: position, anchor: anchor, fontSize: fontSize, color: color, bold: bold)))
  }

  /// Appends a vertical line across the plot area at `x` (dashed dark grey by default), with
  /// an optional text at its top and an optional legend label.
  public mutating func addVerticalLine(
    at x: Double, text: String? = nil, color: Color = .darkGray, width: Double = 1.5,
    dash: DashStyle = .dashed, label: String? = nil
  ) {
    add(
      .reference(
        ReferenceLine(
          .vertical, at: x, color: color, width: width, dash: dash, text: text, label: label)))
  }

  /// Appends a horizontal line across the plot area at `y`.
  public mutating func addHorizontalLine(
    at y: Double, text: String? = nil, color: Color = .darkGray, width: Double = 1.5,
    dash: DashStyle = .dashed, label: String? = nil
  ) {
    add(
      .reference(
        ReferenceLine(
          .horizontal, at: y, color: color, width: width, dash: dash, text: text, label: label)))
  }

  /// Appends a faint band between `lower` and `upper` over `x`.
  public mutating func addBand(
    x: [Double], lower: [Double], upper: [Double], color: Color? = nil, opacity: Double = 0.2,
    label: String? = nil
  ) {
    add(
      .band(
        BandSeries(x: x, lower: lower, upper: upper, color: color, opacity: opacity, label: label)))
  }

  /// Appends a raster image.
  public mutating func addImage(_ image: RasterImage) { add(.image(image)) }
}
