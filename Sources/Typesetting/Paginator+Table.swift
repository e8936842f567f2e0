extension Paginator {
  /// Horizontal padding inside a table cell.
  static let cellPaddingX = 5.5
  /// Vertical padding inside a table cell.
  static let cellPaddingY = 2.5

  /// A table measured for one frame: column widths and row heights.
  struct TableGeometry {
    var widths: [Double]
    var header: [TextRun]
    var rows: [[TextRun]]
    var headerHeight: Double
    var rowHeights: [Double]
    var caption: TextRun?
    var captionHeight: Double
    var totalWidth: Double { widths.reduce(0, +) }
  }

  /// Measures `table` in `frame`: columns at their natural width when the table fits, else
  /// headers wrap first, and then the widest columns share what is left equally.
  func tableGeometry(_ table: TableBlock, in frame: Frame) throws -> TableGeometry {
    let count = max(1, table.columnCount)
    func alignment(_ column: Int) -> TextAlignment {
      column < table.alignments.count ? table.alignments[column] : .left
    }
    func padded(_ cells: [RichText]) -> [RichText] {
      cells + Array(repeating: RichText(markup: ""), count: max(0, count - cells.count))
    }
    let header =
      table.header.isEmpty
      ? []
      : padded(table.header).enumerated().map { column, cell in
        TextRun(markup: cell.markup, font: typeface.tableHeader, alignment: alignment(column))
      }
    let rows = table.rows.map { row in
      padded(row).enumerated().map { column, cell in
        TextRun(markup: cell.markup, font: typeface.table, alignment: alignment(column))
      }
    }
    let padding = 2 * Self.cellPaddingX
    // As browsers do, with one step more: each column has a natural width (its longest cell
    // unwrapped), a width where only the header wraps, and a minimum (its longest word). The
    // widest level that fits is used, the room above it shared in proportion to what each
    // column wants more, so body cells wrap only when wrapping headers is not enough.
    var natural = [Double](repeating: padding, count: count)
    var headerWrapped = natural
    var minimum = natural
    for (index, row) in ([header] + rows).enumerated() {
      for (column, cell) in row.enumerated() where column < count {
        let width = try canvas.naturalWidth(cell) + padding
        let word = try longestWord(cell) + padding
        natural[column] = max(natural[column], width)
        headerWrapped[column] = max(headerWrapped[column], index == 0 ? word : width)
        minimum[column] = max(minimum[column], word)
      }
    }
    let widths = Self.columnWidths(
      levels: [natural, headerWrapped, minimum], within: frame.width)
    let headerHeight = try rowHeight(header, widths: widths)
    let rowHeights = try rows.map { try rowHeight($0, widths: widths) }
    let caption = table.caption.map {
      TextRun(markup: $0.markup, font: typeface.caption, alignment: .center)
    }
    let captionHeight = try caption.map { try canvas.height($0, width: frame.width) } ?? 0
    return TableGeometry(
      widths: widths, header: header, rows: rows, headerHeight: headerHeight,
      rowHeights: rowHeights, caption: caption, captionHeight: captionHeight)
  }

  /// Column widths from `levels` (each level narrower than the one before): the first level
  /// whose total fits, widened towards the level before it in proportion; when none fits, the
  /// narrowest shared out by `shareEqually`.
  static func columnWidths(levels: [[Double]], within available: Double) -> [Double] {
    for (index, level) in levels.enumerated() {
      let total = level.reduce(0, +)
      guard total <= available else { continue }
      guard index > 0 else { return level }
      let wider = levels[index - 1]
      let wants = zip(wider, level).map { max(0, $0 - $1) }
      let wanted = wants.reduce(0, +)
      let share = wanted > 0 ? min(1, (available - total) / wanted) : 0
      return zip(level, wants).map { $0 + $1 * share }
    }
    return shareEqually(levels.last ?? [], within: available)
  }

  /// Widths summing to `available`: columns narrower than an equal share keep their width, the
  /// others share the rest equally (water filling).
  static func shareEqually(_ natural: [Double], within available: Double) -> [Double] {
    var widths = natural
    var open = Set(natural.indices)
    while !open.isEmpty {
      let fixed = natural.indices.filter { !open.contains($0) }.map { widths[$0] }.reduce(0, +)
      let share = (available - fixed) / Double(open.count)
      let small = open.filter { natural[$0] <= share }
      if small.isEmpty {
        for column in open { widths[column] = share }
        break
      }
      open.subtract(small)
    }
    return widths
  }

  /// The width of the widest word of `cell` (set alone, without its tags).
  private func longestWord(_ cell: TextRun) throws -> Double {
    let words = PangoMarkup.plainText(of: cell.markup).split(whereSeparator: \.isWhitespace)
    var widest = 0.0
    for word in Set(words) {
      let run = TextRun(markup: PangoMarkup.escape(String(word)), font: cell.font)
      widest = max(widest, try canvas.naturalWidth(run))
    }
    return widest
  }

  private func rowHeight(_ cells: [TextRun], widths: [Double]) throws -> Double {
    guard !cells.isEmpty else { return 0 }
    var height = 0.0
    for (cell, width) in zip(cells, widths) {
      height = max(height, try canvas.height(cell, width: width - 2 * Self.cellPaddingX))
    }
    return height + 2 * Self.cellPaddingY
  }

  /// The caption, the header and the first two rows: what must fit for a table to start on
  /// this page, and what a heading must keep with it.
  func tableLeadHeight(_ table: TableBlock, in frame: Frame) throws -> Double {
    let geometry = try tableGeometry(table, in: frame)
    return geometry.captionHeight + (geometry.caption == nil ? 0 : Self.captionGap)
      + geometry.headerHeight + geometry.rowHeights.prefix(2).reduce(0, +)
  }

  /// Places a table centred in `frame`. Rows are never split: a row that does not fit starts a
  /// new page, where the header row is drawn again.
  mutating func table(_ table: TableBlock, in frame: Frame) throws {
    let geometry = try tableGeometry(table, in: frame)
    let x = frame.x + max(0, (frame.width - geometry.totalWidth) / 2)
    space(paragraphGap)
    ensure(try tableLeadHeight(table, in: frame))
    if let caption = geometry.caption {
      add(.text(caption, x: frame.x, y: y, width: frame.width, lines: Paginator.allLines))
      advance(geometry.captionHeight + Self.captionGap)
    }
    let heavy = 0.9
    let light = 0.4
    func rule(_ width: Double) {
      add(.rule(x0: x, y0: y, x1: x + geometry.totalWidth, y1: y, width: width, color: .gray(0.2)))
    }
    func drawRow(_ cells: [TextRun], height: Double, shade: RGB?) {
      if let shade {
        add(.fill(x: x, y: y, width: geometry.totalWidth, height: height, color: shade))
      }
      var left = x
      for (cell, width) in zip(cells, geometry.widths) {
        add(
          .text(
            cell, x: left + Self.cellPaddingX, y: y + Self.cellPaddingY,
            width: width - 2 * Self.cellPaddingX, lines: Paginator.allLines))
        left += width
      }
      advance(height)
    }
    func drawHeader() {
      rule(heavy)
      guard !geometry.header.isEmpty else { return }
      drawRow(geometry.header, height: geometry.headerHeight, shade: .gray(0.93))
      rule(light)
    }
    drawHeader()
    var rowsOnPage = 0
    for (index, cells) in geometry.rows.enumerated() {
      let height = geometry.rowHeights[index]
      // The last row never stands alone on a page: the row before it goes along.
      let lastTwo =
        index == geometry.rows.count - 2 ? height + geometry.rowHeights[index + 1] : height
      if y + height > bottom + 0.01 || (rowsOnPage >= 2 && y + lastTwo > bottom + 0.01) {
        rowsOnPage = 0
        rule(heavy)
        newPage()
        drawHeader()
      }
      drawRow(cells, height: height, shade: index % 2 == 1 ? .gray(0.97) : nil)
      rowsOnPage += 1
    }
    rule(heavy)
    space(paragraphGap * 1.6)
  }
}
