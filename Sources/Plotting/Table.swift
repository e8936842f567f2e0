/// A table of strings rendered as fixed-width text (terminal), Markdown or HTML.
///
/// Rows shorter than the header are padded with empty cells; cells beyond the header get
/// empty-titled, left-aligned columns, so nothing is ever dropped.
public struct Table: Sendable, Hashable {
  /// Horizontal alignment of a column.
  public enum Alignment: String, Sendable, Hashable {
    /// Left-aligned (text).
    case left
    /// Right-aligned (numbers).
    case right
    /// Centred.
    case center
  }

  /// A column heading and its alignment.
  public struct Column: Sendable, Hashable {
    /// The heading.
    public var title: String
    /// Alignment of heading and cells.
    public var alignment: Alignment
    /// Creates a column.
    public init(_ title: String, alignment: Alignment = .left) {
      self.title = title
      self.alignment = alignment
    }
  }

  /// The columns.
  public var columns: [Column]
  /// The rows of cells.
  public var rows: [[String]]
  /// Optional caption (HTML `<caption>`, a line above the text and Markdown renderings).
  public var caption: String?

  /// Creates a table.
  public init(columns: [Column], rows: [[String]] = [], caption: String? = nil) {
    let width = Swift.max(columns.count, rows.map(\.count).max() ?? 0)
    self.columns = columns + (columns.count..<width).map { _ in Column("") }
    self.rows = rows.map { $0 + Array(repeating: "", count: width - $0.count) }
    self.caption = caption
  }

  /// Appends a row (padded like the initializer's rows; extra cells add columns).
  public mutating func append(_ row: [String]) {
    self = Table(columns: columns, rows: rows + [row], caption: caption)
  }

  private var widths: [Int] {
    columns.indices.map { index in
      ([columns[index].title] + rows.map { $0[index] }).map(\.count).max() ?? 0
    }
  }

  private static func pad(_ text: String, to width: Int, _ alignment: Alignment) -> String {
    let missing = Swift.max(0, width - text.count)
    switch alignment {
    case .left: return text + String(repeating: " ", count: missing)
    case .right: return String(repeating: " ", count: missing) + text
    case .center:
      let left = missing / 2
      return String(repeating: " ", count: left) + text
        + String(repeating: " ", count: missing - left)
    }
  }

  /// Fixed-width text: header, a rule of `-`, the rows; columns separated by two spaces,
  /// trailing spaces trimmed.
  public func text() -> String {
    let widths = widths
    func line(_ cells: [String]) -> String {
      var text = zip(cells, zip(widths, columns)).map { Table.pad($0, to: $1.0, $1.1.alignment) }
        .joined(separator: "  ")
      while text.hasSuffix(" ") { text.removeLast() }
      return text
    }
    var lines = caption.map { [$0] } ?? []
    lines.append(line(columns.map(\.title)))
    lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
    lines += rows.map(line)
    return lines.joined(separator: "\n") + "\n"
  }

  /// A GitHub-flavoured Markdown table with alignment markers; `|` in cells is escaped.
  public func markdown() -> String {
    let escaped = rows.map { $0.map { $0.replacingOccurrences(of: "|", with: "\\|") } }
    let titles = columns.map { $0.title.replacingOccurrences(of: "|", with: "\\|") }
    let widths = columns.indices.map { index in
      Swift.max(3, ([titles[index]] + escaped.map { $0[index] }).map(\.count).max() ?? 0)
    }
    func line(_ cells: [String]) -> String {
      "| "
        + zip(cells, zip(widths, columns)).map { Table.pad($0, to: $1.0, $1.1.alignment) }
        .joined(separator: " | ") + " |"
    }
    let rule = zip(widths, columns).map { width, column -> String in
      switch column.alignment {
      case .left: return ":" + String(repeating: "-", count: width - 1)
      case .right: return String(repeating: "-", count: width - 1) + ":"
      case .center: return ":" + String(repeating: "-", count: width - 2) + ":"
      }
    }
    var lines = caption.map { ["**\($0)**", ""] } ?? []
    lines.append(line(titles))
    lines.append("| " + rule.joined(separator: " | ") + " |")
    lines += escaped.map(line)
    return lines.joined(separator: "\n") + "\n"
  }

  /// An HTML `<table>` (escaped cells; non-left columns get `style="text-align:…"`).
  public func html() -> String { html(captionHTML: nil) { _, _ in nil } }

  /// An HTML `<table>` whose caption and cells may be given as trusted HTML (e.g. `w<sub>11</sub>`
  /// for mathematics): `captionHTML` replaces the escaped caption when not nil, and
  /// `cellHTML(row, column)` replaces the escaped cell when it returns a value.
  public func html(captionHTML: String?, cellHTML: (_ row: Int, _ column: Int) -> String?)
    -> String
  {
    func style(_ alignment: Alignment) -> String {
      alignment == .left ? "" : " style=\"text-align:\(alignment.rawValue)\""
    }
    var lines = ["<table>"]
    if let caption = captionHTML ?? caption.map(SVG.escape) {
      lines.append("<caption>\(caption)</caption>")
    }
    lines.append(
      "<thead><tr>"
        + columns.map { "<th\(style($0.alignment))>\(SVG.escape($0.title))</th>" }.joined()
        + "</tr></thead>")
    lines.append("<tbody>")
    for (rowIndex, row) in rows.enumerated() {
      let cells = zip(row, columns).enumerated().map { columnIndex, pair in
        "<td\(style(pair.1.alignment))>\(cellHTML(rowIndex, columnIndex) ?? SVG.escape(pair.0))</td>"
      }
      lines.append("<tr>" + cells.joined() + "</tr>")
    }
    lines.append("</tbody>")
    lines.append("</table>")
    return lines.joined(separator: "\n") + "\n"
  }
}
