import Foundation

/// Escapes `& < > " '` for XML and HTML text and attribute values (SVG figures, report pages).
public func escapeMarkup(_ text: String) -> String { SVG.escape(text) }

/// Small helpers for writing SVG text.
enum SVG {
  /// Escapes `& < > " '` for use in XML text and attribute values.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for c in text {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default: out.append(c)
      }
    }
    return out
  }

  /// The opening `<svg>` tag of a standalone document of the given size (sans-serif text).
  static func documentStart(width: Double, height: Double) -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(width))\" height=\"\(number(height))\" "
      + "viewBox=\"0 0 \(number(width)) \(number(height))\" font-family=\"sans-serif\">"
  }

  /// A coordinate with at most two decimals and no trailing zeros ("12.5", "3", "-0.25").
  static func number(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() && Swift.abs(rounded) < 1e15 { return String(Int(rounded)) }
    var text = String(format: "%.2f", rounded)
    while text.hasSuffix("0") { text.removeLast() }
    return text
  }

  /// The `stroke-dasharray` attribute for a dash style and line width (empty for solid).
  static func dash(_ style: DashStyle, width: Double) -> String {
    let values: [Double]
    switch style {
    case .solid: return ""
    case .dashed: values = [Swift.max(4, 3.5 * width), Swift.max(3, 2 * width)]
    case .dotted: values = [Swift.max(1, width * 0.1), Swift.max(3, 2 * width)]
    case .pattern(let p): values = p
    }
    // Dots need round caps; every stroke that takes a dash already has them.
    return " stroke-dasharray=\"\(values.map(number).joined(separator: " "))\""
  }

  /// An SVG element for a marker of `shape` centred at `(x, y)` with diameter `size`.
  static func marker(
    _ shape: MarkerShape, x: Double, y: Double, size: Double, color: Color, opacity: Double = 1,
    stroke: String = ""
  ) -> String {
    let r = size / 2
    let c = color.hexString
    let fill =
      " fill=\"\(c)\"" + (opacity < 1 ? " fill-opacity=\"\(number(opacity))\"" : "") + stroke
    switch shape {
    case .circle:
      return "<circle cx=\"\(number(x))\" cy=\"\(number(y))\" r=\"\(number(r))\"\(fill)/>"
    case .square:
      let s = r * 0.9
      return "<rect x=\"\(number(x - s))\" y=\"\(number(y - s))\" width=\"\(number(2 * s))\" "
        + "height=\"\(number(2 * s))\"\(fill)/>"
    case .diamond:
      return polygon(
        [(x, y - r * 1.2), (x + r, y), (x, y + r * 1.2), (x - r, y)], attributes: fill)
    case .triangle:
      return polygon(
        [(x, y - r * 1.15), (x + r, y + r * 0.75), (x - r, y + r * 0.75)], attributes: fill)
    case .cross, .plus:
      let d = r * 0.85
      let lines =
        shape == .cross
        ? [(x - d, y - d, x + d, y + d), (x - d, y + d, x + d, y - d)]
        : [(x - r, y, x + r, y), (x, y - r, x, y + r)]
      let width = number(Swift.max(1.2, size / 5))
      return lines.map {
        "<line x1=\"\(number($0.0))\" y1=\"\(number($0.1))\" x2=\"\(number($0.2))\" y2=\"\(number($0.3))\" "
          + "stroke=\"\(c)\" stroke-width=\"\(width)\" stroke-linecap=\"round\"/>"
      }.joined()
    }
  }

  /// A `<polygon>` through pixel points.
  static func polygon(_ points: [(Double, Double)], attributes: String) -> String {
    "<polygon points=\"\(points.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " "))\"\(attributes)/>"
  }

  /// A `<text>` element.
  static func text(
    _ text: String, x: Double, y: Double, size: Double, anchor: TextAnchor = .start,
    color: Color = .darkGray,
    bold: Bool = false, rotate: Bool = false, baseline: String? = nil
  ) -> String {
    var attributes = "x=\"\(number(x))\" y=\"\(number(y))\" font-size=\"\(number(size))\""
    if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
    if color != .darkGray { attributes += " fill=\"\(color.hexString)\"" }
    if bold { attributes += " font-weight=\"bold\"" }
    if let baseline { attributes += " dominant-baseline=\"\(baseline)\"" }
    if rotate { attributes += " transform=\"rotate(-90 \(number(x)) \(number(y)))\"" }
    return "<text \(attributes)>\(escape(text))</text>"
  }
}
