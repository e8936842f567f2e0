// Annotations: the marks that label or frame a plot rather than plot data series (text,
// labelled points, raster images, reference lines, bands). Drawn like any `Mark`.

/// Where a text sits relative to its anchor point.
public enum TextAnchor: String, Sendable, Hashable {
  /// The text starts at the point.
  case start
  /// The text is centred on the point.
  case middle
  /// The text ends at the point.
  case end
}

/// A highlighted point with an optional text label beside it (e.g. the green intersection point).
public struct LabeledPoint: Sendable {
  /// Position in data coordinates.
  public var point: Point
  /// Text drawn beside the point (nil for none).
  public var text: String?
  /// Marker colour.
  public var color: Color
  /// Marker diameter in pixels.
  public var size: Double
  /// Marker shape.
  public var marker: MarkerShape
  /// Label offset from the point in pixels (x right, y down).
  public var offset: (dx: Double, dy: Double)
  /// Legend label.
  public var label: String?

  /// Creates a labelled point.
  public init(
    point: Point, text: String? = nil, color: Color = .green, size: Double = 11,
    marker: MarkerShape = .circle, offset: (dx: Double, dy: Double) = (9, -9), label: String? = nil
  ) {
    self.point = point
    self.text = text
    self.color = color
    self.size = size
    self.marker = marker
    self.offset = offset
    self.label = label
  }
}

/// Free text at a data position.
public struct TextAnnotation: Sendable {
  /// The text.
  public var text: String
  /// Anchor position in data coordinates.
  public var position: Point
  /// Horizontal alignment relative to the position.
  public var anchor: TextAnchor
  /// Font size in pixels.
  public var fontSize: Double
  /// Text colour.
  public var color: Color
  /// Bold text.
  public var bold: Bool

  /// Creates an annotation.
  public init(
    _ text: String, at position: Point, anchor: TextAnchor = .middle, fontSize: Double = 13,
    color: Color = .darkGray, bold: Bool = false
  ) {
    self.text = text
    self.position = position
    self.anchor = anchor
    self.fontSize = fontSize
    self.color = color
    self.bold = bold
  }
}

/// A grid of colour cells covering a data rectangle (e.g. a probability map).
/// `colors[row * columns + column]`, row 0 at the **bottom** (smallest y), column 0 at the left.
/// Rendered as SVG rects, merging horizontal runs of equal colour.
public struct RasterImage: Sendable {
  /// Horizontal data extent.
  public var x: ClosedRange<Double>
  /// Vertical data extent.
  public var y: ClosedRange<Double>
  /// Number of cells per row.
  public var columns: Int
  /// Number of rows.
  public var rows: Int
  /// Cell colours, `rows * columns` of them, row-major from the bottom row.
  public var colors: [Color]
  /// Opacity of the whole image.
  public var opacity: Double

  /// Creates an image; if `colors.count != rows * columns` the missing cells are not drawn.
  public init(
    x: ClosedRange<Double>, y: ClosedRange<Double>, columns: Int, rows: Int, colors: [Color],
    opacity: Double = 1
  ) {
    self.x = x
    self.y = y
    self.columns = Swift.max(0, columns)
    self.rows = Swift.max(0, rows)
    self.colors = colors
    self.opacity = opacity
  }
}

/// A straight line across the whole plot area at one data value (e.g. "the kept epoch"): a
/// vertical rule at `x = value` or a horizontal one at `y = value`. It widens the automatic
/// limits only along its own axis, so it never stretches the other one.
public struct ReferenceLine: Sendable {
  /// Which axis the value is on.
  public enum Orientation: Sendable, Hashable {
    /// A vertical line at an x value.
    case vertical
    /// A horizontal line at a y value.
    case horizontal
  }

  /// Vertical or horizontal.
  public var orientation: Orientation
  /// The data value (x for a vertical line, y for a horizontal one).
  public var value: Double
  /// Stroke colour.
  public var color: Color
  /// Stroke width in pixels.
  public var width: Double
  /// Dash pattern.
  public var dash: DashStyle
  /// Text written beside the line, inside the plot area at its top (vertical) or right end
  /// (horizontal); nil for none.
  public var text: String?
  /// Legend label; nil leaves the line out of the legend.
  public var label: String?

  /// Creates a reference line.
  public init(
    _ orientation: Orientation, at value: Double, color: Color = .darkGray, width: Double = 1.5,
    dash: DashStyle = .dashed, text: String? = nil, label: String? = nil
  ) {
    self.orientation = orientation
    self.value = value
    self.color = color
    self.width = width
    self.dash = dash
    self.text = text
    self.label = label
  }
}

/// A filled band between `lower[i]` and `upper[i]` over `x[i]` (e.g. the spread of noisy
/// values around their mean); a non-finite value breaks the band into separate pieces.
public struct BandSeries: Sendable {
  /// Horizontal data values.
  public var x: [Double]
  /// The lower edge, index-aligned with `x`.
  public var lower: [Double]
  /// The upper edge, index-aligned with `x`.
  public var upper: [Double]
  /// Fill colour; nil takes the next palette colour.
  public var color: Color?
  /// Fill opacity, `0...1` (faint by default).
  public var opacity: Double
  /// Legend label.
  public var label: String?

  /// Creates a band.
  public init(
    x: [Double], lower: [Double], upper: [Double], color: Color? = nil, opacity: Double = 0.2,
    label: String? = nil
  ) {
    self.x = x
    self.lower = lower
    self.upper = upper
    self.color = color
    self.opacity = opacity
    self.label = label
  }
}
