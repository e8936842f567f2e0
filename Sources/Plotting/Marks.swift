/// A point in data coordinates.
public struct Point: Sendable, Hashable, Codable {
  /// Horizontal data coordinate.
  public var x: Double
  /// Vertical data coordinate.
  public var y: Double
  /// Creates a point.
  public init(x: Double, y: Double) {
    self.x = x
    self.y = y
  }
  /// Creates a point from a pair.
  public init(_ x: Double, _ y: Double) { self.init(x: x, y: y) }
}

/// A stroke dash pattern.
public enum DashStyle: Sendable, Hashable {
  /// A continuous line.
  case solid
  /// Dashes about three line widths long.
  case dashed
  /// Round dots.
  case dotted
  /// An explicit SVG `stroke-dasharray` in pixels.
  case pattern([Double])
}

/// The shape of a scatter or path marker.
public enum MarkerShape: String, Sendable, Hashable, CaseIterable {
  /// A filled circle.
  case circle
  /// A filled square.
  case square
  /// A filled diamond.
  case diamond
  /// A filled upward triangle.
  case triangle
  /// An ×.
  case cross
  /// A +.
  case plus
}

/// A polyline through `(x[i], y[i])`; non-finite values (or ≤ 0 on a log axis) break the line.
public struct LineSeries: Sendable {
  /// Horizontal data values.
  public var x: [Double]
  /// Vertical data values, same count as `x` (extra values of the longer array are ignored).
  public var y: [Double]
  /// Legend label; nil leaves the series out of the legend.
  public var label: String?
  /// Stroke colour; nil takes the next palette colour.
  public var color: Color?
  /// Stroke width in pixels.
  public var width: Double
  /// Dash pattern.
  public var dash: DashStyle
  /// Optional marker drawn at every point.
  public var marker: MarkerShape?

  /// Creates a line series.
  public init(
    x: [Double], y: [Double], label: String? = nil, color: Color? = nil, width: Double = 2,
    dash: DashStyle = .solid, marker: MarkerShape? = nil
  ) {
    self.x = x
    self.y = y
    self.label = label
    self.color = color
    self.width = width
    self.dash = dash
    self.marker = marker
  }
}

/// Unconnected markers at `(x[i], y[i])`.
public struct ScatterSeries: Sendable {
  /// Horizontal data values.
  public var x: [Double]
  /// Vertical data values.
  public var y: [Double]
  /// Legend label.
  public var label: String?
  /// Marker shape.
  public var marker: MarkerShape
  /// Marker size (diameter) in pixels.
  public var size: Double
  /// Colour of all points; nil takes the next palette colour.
  public var color: Color?
  /// Per-point colours overriding `color` where present (index-aligned with `x`).
  public var colors: [Color]?
  /// Fill opacity, `0...1`.
  public var opacity: Double

  /// Creates a scatter series.
  public init(
    x: [Double], y: [Double], label: String? = nil, marker: MarkerShape = .circle, size: Double = 6,
    color: Color? = nil, colors: [Color]? = nil, opacity: Double = 0.9
  ) {
    self.x = x
    self.y = y
    self.label = label
    self.marker = marker
    self.size = size
    self.color = color
    self.colors = colors
    self.opacity = opacity
  }
}

/// A trajectory: a polyline with a small marker at every vertex, the start drawn as a larger
/// hollow circle and the end as a larger filled square (e.g. a separator's path in
/// slope–intercept space during training).
public struct PathSeries: Sendable {
  /// The vertices in order.
  public var points: [Point]
  /// Legend label.
  public var label: String?
  /// Colour of line and markers; nil takes the next palette colour.
  public var color: Color?
  /// Line width in pixels.
  public var width: Double
  /// Vertex marker diameter in pixels (0 hides them).
  public var markerSize: Double
  /// Label placed next to the start point (nil for none).
  public var startLabel: String?
  /// Label placed next to the end point (nil for none).
  public var endLabel: String?

  /// Creates a path.
  public init(
    points: [Point], label: String? = nil, color: Color? = nil, width: Double = 1.2,
    markerSize: Double = 3.5, startLabel: String? = "start", endLabel: String? = "end"
  ) {
    self.points = points
    self.label = label
    self.color = color
    self.width = width
    self.markerSize = markerSize
    self.startLabel = startLabel
    self.endLabel = endLabel
  }
}

/// A filled polygon (e.g. a decision region).
public struct FilledPolygon: Sendable {
  /// The vertices in order (closed automatically).
  public var points: [Point]
  /// Fill colour.
  public var fill: Color
  /// Fill opacity, `0...1`.
  public var opacity: Double
  /// Optional outline colour.
  public var stroke: Color?
  /// Legend label.
  public var label: String?

  /// Creates a polygon.
  public init(
    points: [Point], fill: Color, opacity: Double = 0.35, stroke: Color? = nil, label: String? = nil
  ) {
    self.points = points
    self.fill = fill
    self.opacity = opacity
    self.stroke = stroke
    self.label = label
  }
}

/// A straight segment between two data points (e.g. a decision boundary; red by default).
public struct LineSegment: Sendable {
  /// One end.
  public var from: Point
  /// The other end.
  public var to: Point
  /// Stroke colour.
  public var color: Color
  /// Stroke width in pixels.
  public var width: Double
  /// Dash pattern.
  public var dash: DashStyle
  /// Legend label (segments sharing a label share one legend entry).
  public var label: String?

  /// Creates a segment.
  public init(
    from: Point, to: Point, color: Color = .red, width: Double = 2.5, dash: DashStyle = .solid,
    label: String? = nil
  ) {
    self.from = from
    self.to = to
    self.color = color
    self.width = width
    self.dash = dash
    self.label = label
  }
}

/// One drawable element of an `Axes`, drawn in insertion order.
public enum Mark: Sendable {
  /// A line series.
  case line(LineSeries)
  /// A scatter series.
  case scatter(ScatterSeries)
  /// A path with vertex markers.
  case path(PathSeries)
  /// A filled polygon.
  case polygon(FilledPolygon)
  /// A straight segment.
  case segment(LineSegment)
  /// A labelled point.
  case point(LabeledPoint)
  /// A text annotation.
  case text(TextAnnotation)
  /// A raster image.
  case image(RasterImage)
  /// A line across the plot area at one x or y value.
  case reference(ReferenceLine)
  /// A filled band between two curves.
  case band(BandSeries)

  /// The data points this mark covers, for automatic limits (text contributes its anchor).
  var dataPoints: [Point] {
    switch self {
    case .line(let s): return zip(s.x, s.y).map { Point($0, $1) }
    case .scatter(let s): return zip(s.x, s.y).map { Point($0, $1) }
    case .path(let s): return s.points
    case .polygon(let p): return p.points
    case .segment(let s): return [s.from, s.to]
    case .point(let p): return [p.point]
    case .text(let t): return [t.position]
    case .image(let i):
      return [Point(i.x.lowerBound, i.y.lowerBound), Point(i.x.upperBound, i.y.upperBound)]
    case .reference: return []
    case .band(let b):
      return zip(b.x, b.lower).map { Point($0, $1) } + zip(b.x, b.upper).map { Point($0, $1) }
    }
  }

  /// The x values this mark covers, for automatic x limits.
  var xValues: [Double] {
    if case .reference(let r) = self { return r.orientation == .vertical ? [r.value] : [] }
    return dataPoints.map(\.x)
  }

  /// The y values this mark covers, for automatic y limits.
  var yValues: [Double] {
    if case .reference(let r) = self { return r.orientation == .horizontal ? [r.value] : [] }
    return dataPoints.map(\.y)
  }
}
