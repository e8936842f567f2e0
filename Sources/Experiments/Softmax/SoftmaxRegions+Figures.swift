import Foundation
import Plotting

extension SoftmaxRegionsResult {
  /// The model the result was computed from.
  var model: SoftmaxRegions { SoftmaxRegions(validated: activations) }

  /// The colour of class k (Okabe–Ito, skipping green, which marks the common point).
  public static func classColor(_ k: Int) -> Color {
    let order = [0, 1, 4, 6, 5, 3, 2]
    return Color.palette(order[k % order.count])
  }

  /// "C₁", "C₂", … for class index 0, 1, …
  public static func className(_ k: Int) -> String { "C" + subscripted(k + 1) }

  static func subscripted(_ n: Int) -> String {
    let digits: [Character] = ["₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"]
    return String(String(n).compactMap { $0.wholeNumberValue.map { digits[$0] } })
  }

  /// The square shown in the figures: the start point rounded to integers, ± `halfWidth`.
  public func viewLimits(halfWidth: Double = 3) -> (x: ClosedRange<Double>, y: ClosedRange<Double>)
  {
    let cx = start.x.rounded()
    let cy = start.y.rounded()
    return ((cx - halfWidth)...(cx + halfWidth), (cy - halfWidth)...(cy + halfWidth))
  }

  /// The region of class k inside the rectangle: the rectangle clipped by the half-planes
  /// `a_k − a_m ≥ 0` for every m (Sutherland–Hodgman; the region is convex).
  public func regionPolygon(_ k: Int, x: ClosedRange<Double>, y: ClosedRange<Double>) -> [Point] {
    var polygon = [
      Point(x.lowerBound, y.lowerBound), Point(x.upperBound, y.lowerBound),
      Point(x.upperBound, y.upperBound),
      Point(x.lowerBound, y.upperBound),
    ]
    for m in activations.indices where m != k {
      let g = { (p: Point) in activations[k](p) - activations[m](p) }
      var clipped: [Point] = []
      for index in polygon.indices {
        let p = polygon[index]
        let q = polygon[(index + 1) % polygon.count]
        let gp = g(p)
        let gq = g(q)
        if gp >= 0 { clipped.append(p) }
        if (gp >= 0) != (gq >= 0) {
          let t = gp / (gp - gq)
          clipped.append(Point(p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)))
        }
      }
      polygon = clipped
      if polygon.isEmpty { break }
    }
    return polygon
  }

  private func addBoundaries(to axes: inout Axes, reach: Double, width: Double, label: String) {
    for boundary in boundaries {
      let length = boundary.length ?? reach
      let back = boundary.kind == .line ? reach : 0
      axes.addSegment(
        from: Point(
          boundary.origin.x - back * boundary.direction.x,
          boundary.origin.y - back * boundary.direction.y),
        to: Point(
          boundary.origin.x + length * boundary.direction.x,
          boundary.origin.y + length * boundary.direction.y),
        color: .red, width: width, label: label)
    }
  }

  private func addCommonPoint(to axes: inout Axes) {
    guard let common = commonPoint else { return }
    let text =
      "(\(SoftmaxRegions.format(common.point.x, decimals: 3)), "
      + "\(SoftmaxRegions.format(common.point.y, decimals: 3)))"
    axes.addPoint(common.point, text: text, color: .green, label: "all aₖ equal")
  }

  /// The decision regions in soft colours, the boundaries in red and the common point in green.
  public func regionsFigure(halfWidth: Double = 3) -> Figure {
    let (xs, ys) = viewLimits(halfWidth: halfWidth)
    var figure = Figure(width: 640, height: 520, title: "Softmax decision regions")
    figure.axes.xLabel = "x₁"
    figure.axes.yLabel = "x₂"
    figure.axes.xLimits = xs
    figure.axes.yLimits = ys
    figure.axes.equalAspect = true
    figure.axes.legend = .outsideRight
    for k in activations.indices {
      let polygon = regionPolygon(k, x: xs, y: ys)
      guard polygon.count >= 3 else { continue }
      figure.axes.addPolygon(
        polygon, fill: Self.classColor(k), opacity: 0.22,
        label: "\(Self.className(k)): a\(Self.subscripted(k + 1)) largest")
    }
    addBoundaries(to: &figure.axes, reach: 100 * halfWidth, width: 2.5, label: "decision boundary")
    for region in regions {
      let p = Point(
        start.x + 0.62 * halfWidth * region.direction.x,
        start.y + 0.62 * halfWidth * region.direction.y)
      figure.axes.addText(
        Self.className(region.classIndex), at: p, fontSize: 20,
        color: Self.classColor(region.classIndex).mixed(with: .black, fraction: 0.35), bold: true)
    }
    addCommonPoint(to: &figure.axes)
    return figure
  }

  /// A map of the winning class (hue) and its probability (intensity: white where the top
  /// classes tie, full colour where `max_k p(C_k|x) → 1`), `resolution`² cells.
  public func probabilityMapFigure(resolution: Int = 160, halfWidth: Double = 3) -> Figure {
    let (xs, ys) = viewLimits(halfWidth: halfWidth)
    let n = Swift.max(2, resolution)
    let k = Double(activations.count)
    let model = model
    var colors: [Color] = []
    colors.reserveCapacity(n * n)
    for row in 0..<n {
      for column in 0..<n {
        let p = Point(
          xs.lowerBound + (Double(column) + 0.5) / Double(n) * (xs.upperBound - xs.lowerBound),
          ys.lowerBound + (Double(row) + 0.5) / Double(n) * (ys.upperBound - ys.lowerBound))
        let probabilities = model.probabilities(at: p)
        let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        let intensity = (probabilities[top] - 1 / k) / (1 - 1 / k)
        // 21 levels: merges runs, and the banding reads as contours.
        let level = (intensity * 20).rounded() / 20
        colors.append(Color.white.mixed(with: Self.classColor(top), fraction: 0.1 + 0.8 * level))
      }
    }
    var figure = Figure(width: 640, height: 520, title: "Winning class and max p(Cₖ|x)")
    figure.axes.xLabel = "x₁"
    figure.axes.yLabel = "x₂"
    figure.axes.xLimits = xs
    figure.axes.yLimits = ys
    figure.axes.equalAspect = true
    figure.axes.grid = false
    figure.axes.legend = .outsideRight
    figure.axes.addImage(RasterImage(x: xs, y: ys, columns: n, rows: n, colors: colors))
    for c in activations.indices {
      figure.axes.addScatter(
        x: [], y: [], label: "\(Self.className(c)) wins", marker: .square, color: Self.classColor(c)
      )
    }
    addBoundaries(to: &figure.axes, reach: 100 * halfWidth, width: 1.2, label: "decision boundary")
    addCommonPoint(to: &figure.axes)
    return figure
  }

  /// `p(C_k|x)` against distance: for each boundary ray the tied classes' probability (→ 1/2),
  /// dashed for each region's middle direction the winner's probability (→ 1).
  public func probabilityProfilesFigure(maxDistance: Double = 4, steps: Int = 160) -> Figure {
    let model = model
    let ts = (0...Swift.max(1, steps)).map {
      Double($0) * maxDistance / Double(Swift.max(1, steps))
    }
    var figure = Figure(width: 640, height: 420, title: "Probabilities moving away from the centre")
    figure.axes.xLabel =
      "distance from \(commonPoint == nil ? "the start point" : "the common point")"
    figure.axes.yLabel = "p(Cₖ|x)"
    figure.axes.xLimits = 0...maxDistance
    figure.axes.yLimits = 0...1.05
    figure.axes.yTicks = [0, 0.25, 0.5, 0.75, 1]
    figure.axes.legend = .outsideRight
    for (index, b) in boundaries.enumerated() where b.kind != .segment {
      let ys = ts.map { t in
        model.probabilities(
          at: Point(b.origin.x + t * b.direction.x, b.origin.y + t * b.direction.y))[b.first]
      }
      figure.axes.addLine(
        x: ts, y: ys,
        label: "tied, on \(Self.className(b.first))/\(Self.className(b.second)) boundary",
        color: Color.red.mixed(with: .black, fraction: 0.3 * Double(index % 3)))
    }
    for r in regions {
      let ys = ts.map { t in
        model.probabilities(at: Point(start.x + t * r.direction.x, start.y + t * r.direction.y))[
          r.classIndex]
      }
      figure.axes.addLine(
        x: ts, y: ys, label: "winner, middle of \(Self.className(r.classIndex))",
        color: Self.classColor(r.classIndex),
        dash: .dashed)
    }
    return figure
  }
}
