/// Text with inline formatting, held as Pango markup (bold, italic, monospace, sub- and
/// superscripts): the one inline format the layout engine understands, so nothing is converted
/// twice.
public struct RichText: Hashable, Sendable, CustomStringConvertible {
  /// Pango markup; text is escaped (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`).
  public var markup: String

  /// Wraps markup that is already valid Pango markup.
  public init(markup: String) { self.markup = markup }

  /// Plain text, escaped so it shows literally.
  public init(plain text: String) { self.markup = PangoMarkup.escape(text) }

  /// True when there is no visible text (only whitespace or tags).
  public var isEmpty: Bool { plainText.allSatisfy(\.isWhitespace) }

  /// The text without tags, entities decoded: for outlines, tests and the terminal.
  public var plainText: String { PangoMarkup.plainText(of: markup) }

  /// The markup itself, so that test failures read naturally.
  public var description: String { markup }
}

/// Horizontal placement of text in its box (table columns, captions).
public enum TextAlignment: String, Hashable, Sendable {
  /// Flush left (text).
  case left
  /// Centred.
  case center
  /// Flush right (numbers).
  case right
}

/// How an emphasised container is drawn; `answer` is the report's shaded answer box.
public enum BoxStyle: String, Hashable, Sendable {
  /// A shaded box with a coloured bar on the left (HTML `<div class="answer">`).
  case answer
  /// A light grey box (HTML `<blockquote>` and other highlighted divisions).
  case note
}

/// A table: one header row, body rows and one alignment per column. Rows are never split across
/// pages, and the header is repeated on every page the table continues on.
public struct TableBlock: Hashable, Sendable {
  /// Shown above the table (HTML `<caption>`), if any.
  public var caption: RichText?
  /// The header cells; empty for a table without a header.
  public var header: [RichText]
  /// The body rows; shorter rows are padded with empty cells when laid out.
  public var rows: [[RichText]]
  /// One alignment per column; missing entries mean `.left`.
  public var alignments: [TextAlignment]

  /// Creates a table.
  public init(
    caption: RichText? = nil, header: [RichText], rows: [[RichText]], alignments: [TextAlignment]
  ) {
    self.caption = caption
    self.header = header
    self.rows = rows
    self.alignments = alignments
  }

  /// The number of columns: the widest of the header and the rows.
  public var columnCount: Int { max(header.count, rows.map(\.count).max() ?? 0) }
}

/// An image with its caption. `source` is relative to the resources folder; a `name.png` is
/// drawn from `name.svg` when that file exists beside it, so figures stay vector graphics.
public struct FigureBlock: Hashable, Sendable {
  /// The image's path as written in the HTML (`img src`), relative to the resources folder.
  public var source: String
  /// The caption below the image (HTML `<figcaption>`), if any.
  public var caption: RichText?
  /// The image's description (HTML `alt`), shown when the file is missing.
  public var alternative: String

  /// Creates a figure.
  public init(source: String, caption: RichText? = nil, alternative: String = "") {
    self.source = source
    self.caption = caption
    self.alternative = alternative
  }
}

/// One block of a document, the unit of pagination.
public indirect enum Block: Hashable, Sendable {
  /// A heading, level 1 (a part) to 4; kept on the same page as the block after it.
  case heading(level: Int, RichText)
  /// A paragraph; may break between lines across pages (never leaving a single line behind).
  case paragraph(RichText)
  /// Blocks inside a shaded box, e.g. an answer.
  case box(BoxStyle, [Block])
  /// Preformatted monospace text (HTML `<pre>`); whitespace and line breaks are kept.
  case preformatted(RichText)
  /// A bulleted (`ordered == false`) or numbered list; each item is a list of blocks.
  case list(ordered: Bool, items: [[Block]])
  /// A table.
  case table(TableBlock)
  /// A figure.
  case figure(FigureBlock)
  /// Forces the next block onto a new page.
  case pageBreak
}
