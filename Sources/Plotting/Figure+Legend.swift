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
      case .reference(let r):
        entry = r.label.map {
          LegendEntry(label: $0, swatch: .line(color, width: r.width, dash: r.dash, marker: nil))
        }
      case .band(let b):
        entry = b.label.map { LegendEntry(label: $0, swatch: .fill(color, opacity: b.opacity)) }
      case .text, .image: entry = nil
      }
      if let entry, seen.insert(entry.label).inserted { entries.append(entry) }
    }
    return entries
  }

  /// Width of one legend entry: swatch, gap and label.
  static func legendEntryWidth(_ entry: LegendEntry, fontSize: Double) -> Double {
    26 + 8 + textWidth(entry.label, fontSize: fontSize)
  }

  /// The size of a vertical legend box (one entry per row).
  static func legendSize(_ entries: [LegendEntry], fontSize: Double) -> (
    width: Double, height: Double
  ) {
    let widest = entries.map { textWidth($0.label, fontSize: fontSize) }.max() ?? 0
    return (10 + 26 + 8 + widest + 10, 8 + Double(entries.count) * fontSize * 1.55 + 4)
  }

  /// Entries laid out side by side, wrapped into rows no wider than `maxWidth`.
  static func legendRows(_ entries: [LegendEntry], fontSize: Double, maxWidth: Double)
    -> [[LegendEntry]]
  {
    var rows: [[LegendEntry]] = []
    var width = 0.0
    for entry in entries {
      let entryWidth = legendEntryWidth(entry, fontSize: fontSize) + 18
      if let last = rows.last, !last.isEmpty, width + entryWidth > maxWidth - 20 {
        rows.append([entry])
        width = entryWidth
      } else if rows.isEmpty {
        rows.append([entry])
        width = entryWidth
      } else {
        rows[rows.count - 1].append(entry)
        width += entryWidth
      }
    }
    return rows
  }

  /// The size of a horizontal legend box holding `rows`.
  static func horizontalLegendSize(_ rows: [[LegendEntry]], fontSize: Double) -> (
    width: Double, height: Double
  ) {
    let widest =
      rows.map { row in
        row.map { legendEntryWidth($0, fontSize: fontSize) + 18 }.reduce(0, +) - 18
      }.max() ?? 0
    return (10 + widest + 10, 8 + Double(rows.count) * fontSize * 1.55 + 4)
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
    case .outsideBottom:
      let rows = Figure.legendRows(entries, fontSize: fonts.legend, maxWidth: width)
      return Figure.legendSVG(
        rows: rows, x: (width - size.width) / 2, y: height - size.height - 8, fonts: fonts)
    }
    return Figure.legendSVG(rows: entries.map { [$0] }, x: x, y: y, fonts: fonts)
  }

  /// A legend box at `(x, y)`: one row of the box per element of `rows`, the entries of a row
  /// side by side.
  static func legendSVG(rows: [[LegendEntry]], x: Double, y: Double, fonts: Fonts) -> String {
    guard !rows.isEmpty else { return "" }
    let size =
      rows.allSatisfy { $0.count == 1 }
      ? legendSize(rows.map { $0[0] }, fontSize: fonts.legend)
      : horizontalLegendSize(rows, fontSize: fonts.legend)
    let n = SVG.number
    var out =
      "<g class=\"legend\"><rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(size.width))\" height=\"\(n(size.height))\" "
      + "rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\" stroke-width=\"1\"/>"
    let rowHeight = fonts.legend * 1.55
    for (index, row) in rows.enumerated() {
      let cy = y + 6 + rowHeight * (Double(index) + 0.5)
      var sx = x + 10
      for entry in row {
        out += swatch(entry.swatch, x: sx, y: cy)
        out += SVG.text(entry.label, x: sx + 34, y: cy + fonts.legend * 0.36, size: fonts.legend)
        sx += legendEntryWidth(entry, fontSize: fonts.legend) + 18
      }
    }
    return out + "</g>"
  }

  /// A 26-pixel-wide legend swatch starting at `x`, centred on `y`.
  static func swatch(_ swatch: LegendSwatch, x sx: Double, y cy: Double) -> String {
    let n = SVG.number
    switch swatch {
    case .line(let color, let width, let dash, let marker):
      var out = polyline(
        [(sx, cy), (sx + 26, cy)], stroke: color, width: Swift.min(width, 4), dash: dash)
      if let marker { out += SVG.marker(marker, x: sx + 13, y: cy, size: 7, color: color) }
      return out
    case .marker(let shape, let color):
      return SVG.marker(shape, x: sx + 13, y: cy, size: 9, color: color)
    case .fill(let color, let opacity):
      return
        "<rect x=\"\(n(sx + 2))\" y=\"\(n(cy - 6))\" width=\"22\" height=\"12\" fill=\"\(color.hexString)\" "
        + "fill-opacity=\"\(n(Swift.max(opacity, 0.35)))\" stroke=\"\(color.hexString)\" stroke-width=\"0.8\"/>"
    case .path(let color):
      return polyline([(sx, cy), (sx + 26, cy)], stroke: color, width: 1.2, dash: .solid)
        + SVG.marker(.circle, x: sx + 4, y: cy, size: 4, color: color)
        + SVG.marker(.circle, x: sx + 13, y: cy, size: 4, color: color)
        + SVG.marker(.circle, x: sx + 22, y: cy, size: 4, color: color)
    }
  }
}
