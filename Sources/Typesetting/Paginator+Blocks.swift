import Foundation

extension Paginator {
  /// Space after a paragraph, in points.
  var paragraphGap: Double { typeface.bodySize * 0.6 }

  /// Lays out `blocks` in `frame`.
  mutating func layout(_ blocks: [Block], in frame: Frame) throws {
    for index in blocks.indices {
      switch blocks[index] {
      case .heading(let level, let text):
        try heading(level: level, text, in: frame, keepingWith: Array(blocks[(index + 1)...]))
      case .paragraph(let text):
        try place(paragraphRun(text), in: frame)
        space(paragraphGap)
      case .box(let style, let content):
        space(paragraphGap)
        ensure(Self.boxPadding + (try leadHeight(of: content, in: frame.inset(left: 12, right: 8))))
        let inner = openBox(style == .answer ? .answer : .note, in: frame)
        try layout(content, in: inner)
        closeBox()
        space(paragraphGap * 1.5)
      case .preformatted(let text):
        let run = TextRun(markup: text.markup, font: typeface.code)
        space(paragraphGap)
        ensure(Self.boxPadding + (try firstLines(run, width: frame.width - 16)))
        let inner = openBox(.code, in: frame)
        try place(run, in: inner)
        closeBox()
        space(paragraphGap * 1.5)
      case .list(let ordered, let items):
        try list(ordered: ordered, items, in: frame)
      case .table(let table):
        try self.table(table, in: frame)
      case .figure(let figure):
        try self.figure(figure, in: frame)
      case .pageBreak:
        if !isPageFresh { newPage() }
      }
    }
  }

  /// Places a heading, first moving to a new page when it and the start of what follows
  /// (`next`) do not fit together.
  mutating func heading(level: Int, _ text: RichText, in frame: Frame, keepingWith next: [Block])
    throws
  {
    let run = TextRun(markup: text.markup, font: typeface.heading(level))
    let height = try canvas.height(run, width: frame.width)
    space(Self.spaceBefore(level: level, body: typeface.bodySize))
    let after = Self.spaceAfter(level: level, body: typeface.bodySize)
    ensure(height + after + (try leadHeight(of: next, in: frame)))
    recordHeading(level: level, title: text.plainText)
    try place(run, in: frame)
    if level <= 1 {
      add(
        .rule(
          x0: frame.x, y0: y + 2, x1: frame.x + frame.width, y1: y + 2, width: 0.6,
          color: .gray(0.75)))
      advance(2)
    }
    setSpace(after)
  }

  static func spaceBefore(level: Int, body: Double) -> Double {
    level <= 1 ? body * 1.2 : level == 2 ? body * 1.4 : body * 1.1
  }

  static func spaceAfter(level: Int, body: Double) -> Double {
    level <= 1 ? body * 0.9 : body * 0.45
  }

  /// The height that must fit below a heading so that it is not left alone: the heading chain
  /// and the first lines, row or figure of the first block in `blocks`.
  func leadHeight(of blocks: [Block], in frame: Frame) throws -> Double {
    guard let block = blocks.first else { return 0 }
    switch block {
    case .heading(let level, let text):
      let run = TextRun(markup: text.markup, font: typeface.heading(level))
      return try canvas.height(run, width: frame.width)
        + Self.spaceAfter(level: level, body: typeface.bodySize)
        + Self.spaceBefore(level: level, body: typeface.bodySize)
        + leadHeight(of: Array(blocks.dropFirst()), in: frame)
    case .paragraph(let text):
      return try firstLines(paragraphRun(text), width: frame.width)
    case .box(_, let content):
      return Self.boxPadding * 2
        + (try leadHeight(of: content, in: frame.inset(left: 12, right: 8)))
    case .preformatted(let text):
      return Self.boxPadding * 2
        + (try firstLines(
          TextRun(markup: text.markup, font: typeface.code), width: frame.width - 16))
    case .list(_, let items):
      return try leadHeight(of: items.first ?? [], in: frame.inset(left: listIndent))
    case .table(let table):
      return try tableLeadHeight(table, in: frame)
    case .figure(let figure):
      return try figureLeadHeight(figure, in: frame)
    case .pageBreak:
      return 0
    }
  }

  /// A paragraph in the body font. One with forced line breaks is a display of lines (e.g.
  /// equations): its wrapped continuations get a hanging indent so each line reads as one.
  func paragraphRun(_ text: RichText) -> TextRun {
    let display = text.markup.contains("\n")
    return TextRun(
      markup: text.markup, font: typeface.body, indent: display ? -typeface.bodySize * 1.5 : 0)
  }

  /// The height of the first two lines of `run` (all of it when shorter).
  func firstLines(_ run: TextRun, width: Double) throws -> Double {
    let bottoms = try canvas.lineBottoms(run, width: width)
    return bottoms.isEmpty ? 0 : bottoms[min(2, bottoms.count) - 1]
  }

  /// The indent of list items' text.
  var listIndent: Double { typeface.bodySize * 1.8 }

  /// Places a list: the marker (bullet or number) beside each item's first line.
  mutating func list(ordered: Bool, _ items: [[Block]], in frame: Frame) throws {
    let inner = frame.inset(left: listIndent)
    space(paragraphGap * 0.5)
    for (index, item) in items.enumerated() {
      ensure(try leadHeight(of: item, in: inner))
      let marker = ordered ? "\(index + 1)." : "•"
      add(
        .text(
          TextRun(markup: marker, font: typeface.body, alignment: .right), x: frame.x, y: y,
          width: listIndent - typeface.bodySize * 0.5, lines: 0..<1))
      try layout(item, in: inner)
      setSpace(paragraphGap * 0.4)
    }
    setSpace(paragraphGap)
  }
}
