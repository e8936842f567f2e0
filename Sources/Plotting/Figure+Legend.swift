import Foundation

/// What a legend row shows beside its label.
enum LegendSwatch: Sendable {
  case line(Color, width: Double, dash: DashStyle, marker: MarkerShape?)
  case marker(MarkerShape, Color)
  case fill(Color, opacity: Double)
  case path(Color)
}

/// One legend row.
struct LegendEntry: Sendable {
  var label: String
  var swatch: LegendSwatch
}

extension Figure {
  func legendEntries() -> [LegendEntry] {
    var seen = Set<String>()
    var entries: [LegendEntry] = []
    for (mark, color) in zip(axes.marks, resolvedColors()) {
      let entry: LegendEntry?
      switch mark {
      case .line(let s):
        entry = s.label.map {
          LegendEntry(
            label: $0, swatch: .line(color, width: s.width, dash: s.dash, marker: s.marker))
        }
      case .scatter(let s):
        entry = s.label.map { LegendEntry(label: $0, swatch: .marker(s.marker, color)) }
      case .path(let s): entry = s.label.map { LegendEntry(label: $0, swatch: .path(color)) }
      case .polygon(let p):
        entry = p.label.map { LegendEntry(label: $0, swatch: .fill(color, opacity: p.opacity)) }
      case .segment(let s):
        entry = s.label.map {
          LegendEntry(label: $0, swatch: .line(color, width: s.width, dash: s.dash, marker: nil))
        }
      case .point(let p):
        entry = p.label.map { LegendEntry(label: $0, swatch: .marker(p.marker, color)) }
      case .text, .image: entry = nil
      }
      if let entry, seen.insert(entry.label).inserted { entries.append(entry) }
    }
    return entries
  }

  static func legendSize(_ entries: [LegendEntry], fontSize: Double) -> (
    width: Double, height: Double
  ) {
    let widest = entries.map { textWidth($0.label, fontSize: fontSize) }.max() ?? 0
    return (10 + 26 + 8 + widest + 10, 8 + Double(entries.count) * fontSize * 1.55 + 4)
  }

  func legend(_ layout: FigureLayout) -> String {
    let entries = layout.legendEntries
    guard !entries.isEmpty else { return "" }
    let area = layout.plotArea
    let size = layout.legendSize
    let inset = 10.0
    let x: Double
    let y: Double
    switch axes.legend {
    case .hidden: return ""
    case .topRight: (x, y) = (area.maxX - size.width - inset, area.y + inset)
    case .topLeft: (x, y) = (area.x + inset, area.y + inset)
    case .bottomRight: (x, y) = (area.maxX - size.width - inset, area.maxY - size.height - inset)
    case .bottomLeft: (x, y) = (area.x + inset, area.maxY - size.height - inset)
    case .outsideRight: (x, y) = (area.maxX + 12, area.y)
    }
    let n = SVG.number
    var out =
      "<g class=\"legend\"><rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(size.width))\" height=\"\(n(size.height))\" "
      + "rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\" stroke-width=\"1\"/>"
    let row = fonts.legend * 1.55
    for (index, entry) in entries.enumerated() {
      let cy = y + 6 + row * (Double(index) + 0.5)
      let sx = x + 10
      switch entry.swatch {
      case .line(let color, let width, let dash, let marker):
        out += polyline(
          [(sx, cy), (sx + 26, cy)], stroke: color, width: Swift.min(width, 4), dash: dash)
        if let marker { out += SVG.marker(marker, x: sx + 13, y: cy, size: 7, color: color) }
      case .marker(let shape, let color):
        out += SVG.marker(shape, x: sx + 13, y: cy, size: 9, color: color)
      case .fill(let color, let opacity):
        out +=
          "<rect x=\"\(n(sx + 2))\" y=\"\(n(cy - 6))\" width=\"22\" height=\"12\" fill=\"\(color.hexString)\" "
          + "fill-opacity=\"\(n(Swift.max(opacity, 0.35)))\" stroke=\"\(color.hexString)\" stroke-width=\"0.8\"/>"
      case .path(let color):
        out += polyline([(sx, cy), (sx + 26, cy)], stroke: color, width: 1.2, dash: .solid)
        out += SVG.marker(.circle, x: sx + 4, y: cy, size: 4, color: color)
        out += SVG.marker(.circle, x: sx + 13, y: cy, size: 4, color: color)
        out += SVG.marker(.circle, x: sx + 22, y: cy, size: 4, color: color)
      }
      out += SVG.text(entry.label, x: sx + 34, y: cy + fonts.legend * 0.36, size: fonts.legend)
    }
    return out + "</g>"
  }
}
