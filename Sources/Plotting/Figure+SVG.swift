import Foundation

extension Figure {
  /// The colour of every mark, palette colours assigned in order to marks that have none.
  func resolvedColors() -> [Color] {
    var next = 0
    func take(_ color: Color?) -> Color {
      if let color { return color }
      defer { next += 1 }
      return Color.palette(next)
    }
    return axes.marks.map { mark in
      switch mark {
      case .line(let s): return take(s.color)
      case .scatter(let s): return take(s.color)
      case .path(let s): return take(s.color)
      case .polygon(let p): return p.fill
      case .segment(let s): return s.color
      case .point(let p): return p.color
      case .text(let t): return t.color
      case .image: return .white
      case .reference(let r): return r.color
      case .band(let b): return take(b.color)
      }
    }
  }

  /// The figure as a standalone SVG document (width, height and viewBox set; sans-serif text).
  public func svg() -> String {
    var out = [SVG.documentStart(width: width, height: height)]
    out.append(
      "<rect width=\"\(SVG.number(width))\" height=\"\(SVG.number(height))\" fill=\"#ffffff\"/>")
    out += svgElements(clipID: "plot-area")
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }

  /// The figure's elements in its own coordinates, without the `<svg>` wrapper and background,
  /// clipping its marks with a clip path named `clipID` (unique within the document).
  func svgElements(clipID: String) -> [String] {
    let layout = layout()
    let area = layout.plotArea
    let colors = resolvedColors()
    let n = SVG.number
    var out: [String] = []
    out.append(
      "<defs><clipPath id=\"\(clipID)\"><rect x=\"\(n(area.x))\" y=\"\(n(area.y))\" width=\"\(n(area.width))\" "
        + "height=\"\(n(area.height))\"/></clipPath></defs>")
    if !title.isEmpty {
      out.append(
        SVG.text(
          title, x: area.x + area.width / 2, y: 16 + fonts.title, size: fonts.title,
          anchor: .middle, bold: true))
    }
    // Grid.
    if axes.grid {
      var grid = "<g stroke=\"\(Color.lightGray.hexString)\" stroke-width=\"1\">"
      for tick in layout.xTicks { if let px = layout.x(tick.value) { grid += vertical(px, area) } }
      for tick in layout.yTicks {
        if let py = layout.y(tick.value) { grid += horizontal(py, area) }
      }
      out.append(grid + "</g>")
    }
    // Clipped marks.
    out.append("<g clip-path=\"url(#\(clipID))\">")
    for (mark, color) in zip(axes.marks, colors) {
      switch mark {
      case .line(let s): out.append(render(s, color: color, layout))
      case .scatter(let s): out.append(render(s, color: color, layout))
      case .path(let s): out.append(render(s, color: color, layout))
      case .polygon(let p): out.append(render(p, layout))
      case .segment(let s): out.append(render(s, layout))
      case .image(let i): out.append(render(i, layout))
      case .reference(let r): out.append(render(r, layout))
      case .band(let b): out.append(render(b, color: color, layout))
      case .point, .text: break
      }
    }
    out.append("</g>")
    // Frame, ticks, tick labels.
    out.append(
      "<rect x=\"\(n(area.x))\" y=\"\(n(area.y))\" width=\"\(n(area.width))\" height=\"\(n(area.height))\" "
        + "fill=\"none\" stroke=\"\(Color.darkGray.hexString)\" stroke-width=\"1\"/>")
    var ticks = "<g stroke=\"\(Color.darkGray.hexString)\" stroke-width=\"1\">"
    var labels = ""
    for tick in layout.xTicks {
      guard let px = layout.x(tick.value), px >= area.x - 0.5, px <= area.maxX + 0.5 else {
        continue
      }
      ticks +=
        "<line x1=\"\(n(px))\" y1=\"\(n(area.maxY))\" x2=\"\(n(px))\" y2=\"\(n(area.maxY + 5))\"/>"
      labels += SVG.text(
        tick.label, x: px, y: area.maxY + 8 + fonts.tick, size: fonts.tick, anchor: .middle)
    }
    for tick in layout.yTicks {
      guard let py = layout.y(tick.value), py >= area.y - 0.5, py <= area.maxY + 0.5 else {
        continue
      }
      ticks += "<line x1=\"\(n(area.x - 5))\" y1=\"\(n(py))\" x2=\"\(n(area.x))\" y2=\"\(n(py))\"/>"
      labels += SVG.text(
        tick.label, x: area.x - 8, y: py + fonts.tick * 0.35, size: fonts.tick, anchor: .end)
    }
    out.append(ticks + "</g>")
    out.append(labels)
    if !axes.xLabel.isEmpty {
      out.append(
        SVG.text(
          axes.xLabel, x: area.x + area.width / 2, y: area.maxY + 8 + fonts.tick + 10 + fonts.label,
          size: fonts.label, anchor: .middle))
    }
    if !axes.yLabel.isEmpty {
      let widest = layout.yTicks.map { Figure.textWidth($0.label, fontSize: fonts.tick) }.max() ?? 0
      let x = Swift.max(fonts.label, area.x - 8 - widest - 10)
      out.append(
        SVG.text(
          axes.yLabel, x: x, y: area.y + area.height / 2, size: fonts.label, anchor: .middle,
          rotate: true))
    }
    // Unclipped overlays: labelled points and text inside the plot area.
    for (mark, color) in zip(axes.marks, colors) {
      switch mark {
      case .path(let p): out.append(pathLabels(p, color: color, layout))
      case .point(let p): out.append(render(p, layout))
      case .text(let t): out.append(render(t, layout))
      case .reference(let r): out.append(referenceText(r, layout))
      default: break
      }
    }
    out.append(legend(layout))
    return out
  }

  private func vertical(_ px: Double, _ area: Rect) -> String {
    "<line x1=\"\(SVG.number(px))\" y1=\"\(SVG.number(area.y))\" x2=\"\(SVG.number(px))\" y2=\"\(SVG.number(area.maxY))\"/>"
  }

  private func horizontal(_ py: Double, _ area: Rect) -> String {
    "<line x1=\"\(SVG.number(area.x))\" y1=\"\(SVG.number(py))\" x2=\"\(SVG.number(area.maxX))\" y2=\"\(SVG.number(py))\"/>"
  }

  /// Pixel positions of data points, split into runs wherever a point cannot be shown.
  private func runs(_ points: [Point], _ layout: FigureLayout) -> [[(Double, Double)]] {
    var result: [[(Double, Double)]] = [[]]
    for p in points {
      if let px = layout.x(p.x), let py = layout.y(p.y) {
        result[result.count - 1].append((px, py))
      } else if !(result.last?.isEmpty ?? true) {
        result.append([])
      }
    }
    return result.filter { !$0.isEmpty }
  }

  func polyline(_ run: [(Double, Double)], stroke: Color, width: Double, dash: DashStyle)
    -> String
  {
    Figure.polyline(run, stroke: stroke, width: width, dash: dash)
  }

  static func polyline(_ run: [(Double, Double)], stroke: Color, width: Double, dash: DashStyle)
    -> String
  {
    let points = run.map { "\(SVG.number($0.0)),\(SVG.number($0.1))" }.joined(separator: " ")
    return "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(stroke.hexString)\" "
      + "stroke-width=\"\(SVG.number(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
      + SVG.dash(dash, width: width) + "/>"
  }

  private func render(_ s: LineSeries, color: Color, _ layout: FigureLayout) -> String {
    let runs = runs(zip(s.x, s.y).map { Point($0, $1) }, layout)
    var out = runs.filter { $0.count > 1 }.map {
      polyline($0, stroke: color, width: s.width, dash: s.dash)
    }
    if let marker = s.marker {
      out += runs.joined().map {
        SVG.marker(marker, x: $0.0, y: $0.1, size: 2.6 * s.width + 2, color: color)
      }
    }
    return out.joined(separator: "\n")
  }

  private func render(_ s: ScatterSeries, color: Color, _ layout: FigureLayout) -> String {
    var out: [String] = []
    for (index, (x, y)) in zip(s.x, s.y).enumerated() {
      guard let px = layout.x(x), let py = layout.y(y) else { continue }
      let c = s.colors.flatMap { index < $0.count ? $0[index] : nil } ?? color
      out.append(
        SVG.marker(
          s.marker, x: px, y: py, size: s.size, color: c, opacity: s.opacity,
          stroke: " stroke=\"#ffffff\" stroke-width=\"0.6\""))
    }
    return out.joined(separator: "\n")
  }

  private func render(_ s: PathSeries, color: Color, _ layout: FigureLayout) -> String {
    let runs = runs(s.points, layout)
    var out = runs.filter { $0.count > 1 }.map {
      polyline($0, stroke: color, width: s.width, dash: .solid)
    }
    if s.markerSize > 0 {
      out += runs.joined().map {
        SVG.marker(.circle, x: $0.0, y: $0.1, size: s.markerSize, color: color)
      }
    }
    let all = Array(runs.joined())
    if let first = all.first {
      out.append(
        "<circle cx=\"\(SVG.number(first.0))\" cy=\"\(SVG.number(first.1))\" r=\"6\" fill=\"#ffffff\" "
          + "stroke=\"\(color.hexString)\" stroke-width=\"2.2\"/>")
    }
    if let last = all.last, all.count > 1 {
      out.append(
        SVG.marker(
          .square, x: last.0, y: last.1, size: 12, color: color,
          stroke: " stroke=\"#ffffff\" stroke-width=\"1\""))
    }
    return out.joined(separator: "\n")
  }

  /// The start and end labels of a path, outside the clip so they are never cut, turned
  /// inwards near the plot area's right and top edges.
  private func pathLabels(_ s: PathSeries, color: Color, _ layout: FigureLayout) -> String {
    let all = Array(runs(s.points, layout).joined())
    let area = layout.plotArea
    var out: [String] = []
    for (point, text) in [(all.first, s.startLabel), (all.count > 1 ? all.last : nil, s.endLabel)] {
      guard let point, let text, inside(point.0, point.1, area) else { continue }
      let width = Figure.textWidth(text, fontSize: fonts.legend)
      let flip = point.0 + 9 + width > area.maxX
      let y =
        point.1 - 10 < area.y + fonts.legend ? point.1 + 10 + fonts.legend * 0.8 : point.1 - 10
      out.append(
        haloText(
          text, x: flip ? point.0 - 9 : point.0 + 9, y: y, color: color,
          anchor: flip ? .end : .start))
    }
    return out.joined(separator: "\n")
  }

  private func haloText(
    _ text: String, x: Double, y: Double, color: Color, size: Double? = nil,
    anchor: TextAnchor = .start, bold: Bool = true
  ) -> String {
    let element = SVG.text(
      text, x: x, y: y, size: size ?? fonts.legend, anchor: anchor, color: color, bold: bold)
    return element.replacingOccurrences(
      of: "<text ",
      with:
        "<text stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\" "
    )
  }

  private func render(_ p: FilledPolygon, _ layout: FigureLayout) -> String {
    let pixels = p.points.compactMap { q -> (Double, Double)? in
      guard let px = layout.x(q.x), let py = layout.y(q.y) else { return nil }
      return (px, py)
    }
    guard pixels.count >= 3 else { return "" }
    var attributes = " fill=\"\(p.fill.hexString)\" fill-opacity=\"\(SVG.number(p.opacity))\""
    if let stroke = p.stroke { attributes += " stroke=\"\(stroke.hexString)\" stroke-width=\"1\"" }
    return SVG.polygon(pixels, attributes: attributes)
  }

  private func render(_ r: ReferenceLine, _ layout: FigureLayout) -> String {
    let area = layout.plotArea
    switch r.orientation {
    case .vertical:
      guard let px = layout.x(r.value) else { return "" }
      return polyline(
        [(px, area.y), (px, area.maxY)], stroke: r.color, width: r.width, dash: r.dash)
    case .horizontal:
      guard let py = layout.y(r.value) else { return "" }
      return polyline(
        [(area.x, py), (area.maxX, py)], stroke: r.color, width: r.width, dash: r.dash)
    }
  }

  /// A reference line's text: beside a vertical line at the top of the plot area (on its left
  /// when it would run past the right edge), above a horizontal line at its right end.
  private func referenceText(_ r: ReferenceLine, _ layout: FigureLayout) -> String {
    guard let text = r.text else { return "" }
    let area = layout.plotArea
    switch r.orientation {
    case .vertical:
      guard let px = layout.x(r.value), px >= area.x - 0.5, px <= area.maxX + 0.5 else {
        return ""
      }
      let flip = px + 5 + Figure.textWidth(text, fontSize: fonts.tick) > area.maxX
      return haloText(
        text, x: flip ? px - 5 : px + 5, y: area.y + 4 + fonts.tick, color: r.color,
        size: fonts.tick, anchor: flip ? .end : .start, bold: false)
    case .horizontal:
      guard let py = layout.y(r.value), py >= area.y - 0.5, py <= area.maxY + 0.5 else {
        return ""
      }
      return haloText(
        text, x: area.maxX - 5, y: py - 5, color: r.color, size: fonts.tick, anchor: .end,
        bold: false)
    }
  }

  /// A band as one filled polygon per run of finite values (upper edge forwards, lower back).
  private func render(_ b: BandSeries, color: Color, _ layout: FigureLayout) -> String {
    var pieces: [[(upper: (Double, Double), lower: (Double, Double))]] = [[]]
    for index in 0..<Swift.min(b.x.count, b.lower.count, b.upper.count) {
      if let px = layout.x(b.x[index]), let low = layout.y(b.lower[index]),
        let high = layout.y(b.upper[index])
      {
        pieces[pieces.count - 1].append(((px, high), (px, low)))
      } else if !(pieces.last?.isEmpty ?? true) {
        pieces.append([])
      }
    }
    let attributes =
      " fill=\"\(color.hexString)\" fill-opacity=\"\(SVG.number(b.opacity))\" stroke=\"none\""
    return pieces.filter { $0.count > 1 }.map { piece in
      SVG.polygon(piece.map(\.upper) + piece.reversed().map(\.lower), attributes: attributes)
    }.joined(separator: "\n")
  }

  private func render(_ s: LineSegment, _ layout: FigureLayout) -> String {
    guard let x1 = layout.x(s.from.x), let y1 = layout.y(s.from.y), let x2 = layout.x(s.to.x),
      let y2 = layout.y(s.to.y)
    else { return "" }
    return polyline([(x1, y1), (x2, y2)], stroke: s.color, width: s.width, dash: s.dash)
  }

  private func render(_ image: RasterImage, _ layout: FigureLayout) -> String {
    guard image.columns > 0, image.rows > 0 else { return "" }
    let dx = (image.x.upperBound - image.x.lowerBound) / Double(image.columns)
    let dy = (image.y.upperBound - image.y.lowerBound) / Double(image.rows)
    var out =
      "<g shape-rendering=\"crispEdges\""
      + (image.opacity < 1 ? " opacity=\"\(SVG.number(image.opacity))\"" : "") + ">"
    for row in 0..<image.rows {
      guard let top = layout.y(image.y.lowerBound + Double(row + 1) * dy),
        let bottom = layout.y(image.y.lowerBound + Double(row) * dy)
      else { continue }
      var column = 0
      while column < image.columns {
        let index = row * image.columns + column
        guard index < image.colors.count else { break }
        let color = image.colors[index]
        var end = column + 1
        while end < image.columns, row * image.columns + end < image.colors.count,
          image.colors[row * image.columns + end] == color
        {
          end += 1
        }
        if let left = layout.x(image.x.lowerBound + Double(column) * dx),
          let right = layout.x(image.x.lowerBound + Double(end) * dx)
        {
          out +=
            "<rect x=\"\(SVG.number(Swift.min(left, right)))\" y=\"\(SVG.number(Swift.min(top, bottom)))\" "
            + "width=\"\(SVG.number(Swift.abs(right - left)))\" height=\"\(SVG.number(Swift.abs(bottom - top)))\" "
            + "fill=\"\(color.hexString)\"/>"
        }
        column = end
      }
    }
    return out + "</g>"
  }

  private func inside(_ px: Double, _ py: Double, _ area: Rect) -> Bool {
    px >= area.x - 0.5 && px <= area.maxX + 0.5 && py >= area.y - 0.5 && py <= area.maxY + 0.5
  }

  private func render(_ p: LabeledPoint, _ layout: FigureLayout) -> String {
    guard let px = layout.x(p.point.x), let py = layout.y(p.point.y),
      inside(px, py, layout.plotArea)
    else {
      return ""
    }
    var out = SVG.marker(
      p.marker, x: px, y: py, size: p.size, color: p.color,
      stroke: " stroke=\"#ffffff\" stroke-width=\"1.5\"")
    if let text = p.text {
      let anchor: TextAnchor = p.offset.dx < 0 ? .end : (p.offset.dx == 0 ? .middle : .start)
      out +=
        "\n"
        + haloText(
          text, x: px + p.offset.dx, y: py + p.offset.dy,
          color: p.color.mixed(with: .black, fraction: 0.25), anchor: anchor)
    }
    return out
  }

  private func render(_ t: TextAnnotation, _ layout: FigureLayout) -> String {
    guard let px = layout.x(t.position.x), let py = layout.y(t.position.y),
      inside(px, py, layout.plotArea)
    else {
      return ""
    }
    return haloText(
      t.text, x: px, y: py + t.fontSize * 0.35, color: t.color, size: t.fontSize, anchor: t.anchor,
      bold: t.bold)
  }
}
