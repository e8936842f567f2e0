/// The top of the first page: the title, an optional subtitle, a rule and the table of contents
/// (one entry per section, its page number flush right, the whole line a link to that page).
struct TitleBlock {
  /// The document title.
  var title: String
  /// A line below the title, if any.
  var subtitle: String?
  /// The section titles, in order.
  var entries: [String]
  /// The page of each entry; nil in the first pass, when they are not known yet.
  var pages: [Int]?

  /// Places the block at the paginator's position.
  func layout(in paginator: inout Paginator) throws {
    let typeface = paginator.typeface
    let frame = paginator.textFrame
    try paginator.place(TextRun(markup: PangoMarkup.escape(title), font: typeface.title), in: frame)
    if let subtitle, !subtitle.isEmpty {
      paginator.setSpace(typeface.bodySize * 0.5)
      let markup = "<span foreground=\"#444444\">\(PangoMarkup.escape(subtitle))</span>"
      try paginator.place(TextRun(markup: markup, font: typeface.subtitle), in: frame)
    }
    paginator.setSpace(typeface.bodySize * 0.8)
    paginator.ensure(1)
    paginator.add(
      .rule(
        x0: frame.x, y0: paginator.y, x1: frame.x + frame.width, y1: paginator.y, width: 1.2,
        color: .gray(0.3)))
    paginator.advance(1)
    guard !entries.isEmpty else { return }
    paginator.space(typeface.bodySize * 1.6)
    let heading = TextRun(markup: "Contents", font: typeface.heading(2))
    try paginator.place(heading, in: frame)
    paginator.setSpace(typeface.bodySize * 0.6)
    let numberWidth = typeface.bodySize * 3
    for (index, entry) in entries.enumerated() {
      let text = TextRun(markup: PangoMarkup.escape(entry), font: typeface.body)
      let textWidth = frame.width - numberWidth
      let height = try paginator.canvas.height(text, width: textWidth)
      paginator.ensure(height)
      let top = paginator.y
      paginator.add(.text(text, x: frame.x, y: top, width: textWidth, lines: Paginator.allLines))
      if let pages, index < pages.count {
        let number = TextRun(markup: "\(pages[index])", font: typeface.body, alignment: .right)
        paginator.add(
          .text(
            number, x: frame.x + textWidth, y: top, width: numberWidth,
            lines: Paginator.allLines))
        paginator.add(
          .link(x: frame.x, y: top, width: frame.width, height: height, page: pages[index]))
      }
      paginator.advance(height)
      paginator.setSpace(typeface.bodySize * 0.35)
    }
  }
}
