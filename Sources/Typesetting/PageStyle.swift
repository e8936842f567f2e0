/// A sheet of paper, in PDF points (1/72 inch).
public struct PaperSize: Hashable, Sendable {
  /// Width in points.
  public var width: Double
  /// Height in points.
  public var height: Double

  /// Creates a paper size; both sides must be positive.
  public init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  /// ISO A4, 210 × 297 mm (595 × 842 pt): the default outside North America.
  public static let a4 = PaperSize(width: 595.2756, height: 841.8898)
  /// US Letter, 8.5 × 11 in (612 × 792 pt).
  public static let letter = PaperSize(width: 612, height: 792)
}

/// Margins around the text block, in points.
public struct Margins: Hashable, Sendable {
  /// Space above the text.
  public var top: Double
  /// Space below the text; the page number sits in it.
  public var bottom: Double
  /// Space to the left of the text.
  public var left: Double
  /// Space to the right of the text.
  public var right: Double

  /// Creates margins.
  public init(top: Double, bottom: Double, left: Double, right: Double) {
    self.top = top
    self.bottom = bottom
    self.left = left
    self.right = right
  }

  /// 2 cm at the sides and top, 2.5 cm at the bottom (room for the page number).
  public static let standard = Margins(top: 56.7, bottom: 70.9, left: 56.7, right: 56.7)
}

/// Fonts (Pango font families) and sizes of the rendered document.
public struct Typeface: Hashable, Sendable {
  /// The family of body text, headings, tables and captions.
  public var serif: String
  /// The family of code and preformatted text.
  public var monospace: String
  /// The body size in points; the other sizes follow from it.
  public var bodySize: Double

  /// Creates a typeface.
  public init(
    serif: String = "DejaVu Serif", monospace: String = "DejaVu Sans Mono", bodySize: Double = 10
  ) {
    self.serif = serif
    self.monospace = monospace
    self.bodySize = bodySize
  }

  /// Pango font description of `family` at `scale` × the body size, with `style` words such as
  /// "Bold" or "Italic".
  func font(_ family: String, _ style: String = "", scale: Double = 1) -> String {
    let size = (bodySize * scale * 100).rounded() / 100
    return [family, style, "\(size)"].filter { !$0.isEmpty }.joined(separator: " ")
  }

  /// Body text.
  var body: String { font(serif) }
  /// Table cells.
  var table: String { font(serif, scale: 0.88) }
  /// Table headers.
  var tableHeader: String { font(serif, "Bold", scale: 0.88) }
  /// Figure and table captions.
  var caption: String { font(serif, "Italic", scale: 0.9) }
  /// Preformatted text.
  var code: String { font(monospace, scale: 0.85) }
  /// The page number.
  var footer: String { font(serif, scale: 0.8) }
  /// The document title.
  var title: String { font(serif, "Bold", scale: 2.1) }
  /// The subtitle.
  var subtitle: String { font(serif, scale: 1.2) }

  /// A heading of `level` (1 = a part of the report).
  func heading(_ level: Int) -> String {
    switch level {
    case ...1: return font(serif, "Bold", scale: 1.6)
    case 2: return font(serif, "Bold", scale: 1.3)
    case 3: return font(serif, "Bold", scale: 1.12)
    default: return font(serif, "Bold Italic", scale: 1)
    }
  }
}

/// What to do when a figure's image file does not exist.
public enum MissingImagePolicy: Hashable, Sendable {
  /// Throw a `TypesettingError` naming the file (the default: a report must not lose figures).
  case fail
  /// Draw a framed note "figure missing: NAME" in its place and carry on.
  case note
}
