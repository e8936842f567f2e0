import Foundation

/// Turns the HTML fragments of our report (`ReportSection.html`) into `Block`s. Tolerant by
/// design: an unknown tag keeps its text (its content is read as if the tag were absent),
/// entities are decoded, and inline formatting becomes Pango markup — `b`/`strong` bold,
/// `i`/`em` italic, `code` monospace, `sub`/`sup` sub- and superscripts — with text escaped.
/// Elements with `class="math"` set single-letter variables in italic.
public enum HTMLFragmentParser {
  /// The blocks of `html`, in order.
  public static func parse(_ html: String) -> [Block] {
    blocks(HTMLNode.parse(html), math: false)
  }

  /// Elements that make blocks rather than inline text.
  private static let blockElements: Set<String> = [
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "pre", "figure",
    "img", "blockquote", "section", "article", "header", "footer", "nav", "main", "aside",
    "details", "summary", "hr", "dl", "dt", "dd", "caption", "figcaption", "form",
  ]

  /// Pango tags for HTML inline elements; anything else is transparent.
  private static let inlineTags: [String: String] = [
    "b": "b", "strong": "b", "i": "i", "em": "i", "var": "i", "cite": "i", "dfn": "i",
    "code": "tt", "tt": "tt", "kbd": "tt", "samp": "tt", "sub": "sub", "sup": "sup", "u": "u",
    "s": "s", "del": "s", "small": "small", "big": "big",
  ]

  private static func isBlock(_ node: HTMLNode) -> Bool {
    guard let name = node.name else { return false }
    return blockElements.contains(name) || node.children.contains(where: isBlock)
  }

  // MARK: - Blocks

  private static func blocks(_ nodes: [HTMLNode], math: Bool) -> [Block] {
    var result: [Block] = []
    var inline = InlineMarkupBuilder()
    func flush() {
      if inline.hasText { result.append(.paragraph(RichText(markup: inline.markup))) }
      inline = InlineMarkupBuilder()
    }
    for node in nodes {
      if isBlock(node) {
        flush()
        result += block(node, math: math)
      } else if node.name == "br", !inline.hasText {
        continue
      } else {
        append(node, to: &inline, math: math)
      }
    }
    flush()
    return result
  }

  private static func block(_ node: HTMLNode, math inheritedMath: Bool) -> [Block] {
    guard let name = node.name else { return [] }
    let math = inheritedMath || node.hasClass("math")
    switch name {
    case "h1", "h2", "h3", "h4", "h5", "h6":
      let level = Int(String(name.dropFirst())) ?? 3
      let text = inlineMarkup(node.children, math: math)
      return text.isEmpty ? [] : [.heading(level: level, text)]
    case "div" where node.hasClass("answer"):
      return [.box(.answer, blocks(node.children, math: math))]
    case "blockquote":
      return [.box(.note, blocks(node.children, math: math))]
    case "ul", "ol":
      let items = node.children.compactMap { child -> [Block]? in
        if child.name == "li" { return blocks(child.children, math: math) }
        let content = blocks([child], math: math)
        return content.isEmpty ? nil : content
      }
      return items.isEmpty ? [] : [.list(ordered: name == "ol", items: items)]
    case "pre":
      var builder = InlineMarkupBuilder()
      for child in node.children { append(child, to: &builder, math: false, preserve: true) }
      var markup = builder.markup
      if markup.hasPrefix("\n") { markup.removeFirst() }
      while markup.hasSuffix("\n") { markup.removeLast() }
      return markup.isEmpty ? [] : [.preformatted(RichText(markup: markup))]
    case "table":
      return table(node).map { [.table($0)] } ?? []
    case "figure":
      return figure(node, math: math)
    case "img":
      return image(node).map { [.figure($0)] } ?? []
    case "hr":
      return []
    case "dt", "summary":
      let text = inlineMarkup(node.children, math: math)
      return text.isEmpty ? [] : [.paragraph(RichText(markup: "<b>\(text.markup)</b>"))]
    default:
      return blocks(node.children, math: math)
    }
  }

  private static func image(_ node: HTMLNode) -> FigureBlock? {
    guard let source = node.attribute("src"), !source.isEmpty else { return nil }
    return FigureBlock(source: source, alternative: node.attribute("alt") ?? "")
  }

  private static func figure(_ node: HTMLNode, math: Bool) -> [Block] {
    var images: [FigureBlock] = []
    var caption: RichText?
    var others: [HTMLNode] = []
    func collect(_ nodes: [HTMLNode]) {
      for child in nodes {
        switch child.name {
        case "img": if let image = image(child) { images.append(image) }
        case "figcaption":
          let text = inlineMarkup(child.children, math: math)
          if !text.isEmpty { caption = text }
        case "a": collect(child.children)
        default: others.append(child)
        }
      }
    }
    collect(node.children)
    if !images.isEmpty { images[images.count - 1].caption = caption }
    let figures = images.map(Block.figure)
    let rest = blocks(others, math: math)
    if images.isEmpty, let caption { return rest + [.paragraph(caption)] }
    return figures + rest
  }

  // MARK: - Tables

  private static func table(_ node: HTMLNode) -> TableBlock? {
    var caption: RichText?
    var headerRows: [HTMLNode] = []
    var bodyRows: [HTMLNode] = []
    func collect(_ nodes: [HTMLNode], inHeader: Bool) {
      for child in nodes {
        switch child.name {
        case "caption":
          let text = inlineMarkup(child.children, math: false)
          if !text.isEmpty { caption = text }
        case "thead": collect(child.children, inHeader: true)
        case "tbody", "tfoot": collect(child.children, inHeader: false)
        case "tr": if inHeader { headerRows.append(child) } else { bodyRows.append(child) }
        default: break
        }
      }
    }
    collect(node.children, inHeader: false)
    func cells(_ row: HTMLNode) -> [HTMLNode] {
      row.children.filter { $0.name == "td" || $0.name == "th" }
    }
    if headerRows.isEmpty, let first = bodyRows.first, !cells(first).isEmpty,
      cells(first).allSatisfy({ $0.name == "th" })
    {
      headerRows = [bodyRows.removeFirst()]
    }
    let header = headerRows.first.map(cells) ?? []
    let body = (headerRows.dropFirst() + bodyRows).map(cells).filter { !$0.isEmpty }
    guard !header.isEmpty || !body.isEmpty else {
      return nil
    }
    let columnCount = max(header.count, body.map(\.count).max() ?? 0)
    let alignments = (0..<columnCount).map { column -> TextAlignment in
      let candidates = [header] + body.prefix(1)
      for row in candidates where column < row.count {
        if let alignment = alignment(of: row[column]) { return alignment }
      }
      return .left
    }
    return TableBlock(
      caption: caption, header: header.map(cellMarkup), rows: body.map { $0.map(cellMarkup) },
      alignments: alignments)
  }

  private static func alignment(of cell: HTMLNode) -> TextAlignment? {
    if let align = cell.attribute("align"), let value = TextAlignment(rawValue: align.lowercased())
    {
      return value
    }
    guard let style = cell.attribute("style")?.lowercased(),
      let range = style.range(of: "text-align")
    else { return nil }
    let rest = style[range.upperBound...].drop { $0 == ":" || $0 == " " }
    for value in [TextAlignment.left, .right, .center] where rest.hasPrefix(value.rawValue) {
      return value
    }
    return nil
  }

  /// A cell's content as one piece of markup; blocks inside become lines.
  private static func cellMarkup(_ cell: HTMLNode) -> RichText {
    var builder = InlineMarkupBuilder()
    appendFlattened(cell.children, to: &builder, math: cell.hasClass("math"))
    return RichText(markup: builder.markup)
  }

  private static func appendFlattened(
    _ nodes: [HTMLNode], to builder: inout InlineMarkupBuilder, math: Bool
  ) {
    for node in nodes {
      if isBlock(node) {
        if builder.hasText { builder.lineBreak() }
        appendFlattened(node.children, to: &builder, math: math || node.hasClass("math"))
      } else {
        append(node, to: &builder, math: math)
      }
    }
  }

  // MARK: - Inline content

  private static func inlineMarkup(_ nodes: [HTMLNode], math: Bool) -> RichText {
    var builder = InlineMarkupBuilder()
    appendFlattened(nodes, to: &builder, math: math)
    return RichText(markup: builder.markup)
  }

  private static func append(
    _ node: HTMLNode, to builder: inout InlineMarkupBuilder, math: Bool, preserve: Bool = false
  ) {
    switch node {
    case .text(let text):
      builder.text(text, preserve: preserve, math: math)
    case .element(let name, _, let children):
      if name == "br" {
        if preserve { builder.text("\n", preserve: true) } else { builder.lineBreak() }
        return
      }
      let tag = inlineTags[name]
      let math = (math || node.hasClass("math")) && tag != "tt"
      if let tag { builder.open("<\(tag)>") }
      if name == "q" { builder.text("\u{201C}", preserve: preserve) }
      for child in children { append(child, to: &builder, math: math, preserve: preserve) }
      if name == "q" { builder.text("\u{201D}", preserve: preserve) }
      if let tag { builder.close("</\(tag)>") }
    }
  }
}
