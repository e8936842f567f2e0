import CTypesetting

/// The Swift face of the C document handle (`classify_pdf`): measures and draws Pango markup,
/// rules, boxes and images on a PDF that cairo writes progressively. Holds only an opaque
/// pointer; strings and numbers cross the boundary, messages come back in `[CChar]` buffers.
final class PDFCanvas {
  private var handle: OpaquePointer?
  /// The file being written.
  let path: String

  /// Opens a PDF at `path` with pages of `width` × `height` points.
  init(path: String, width: Double, height: Double) throws {
    self.path = path
    var message = Self.buffer()
    handle = classify_pdf_open(path, width, height, &message, message.count)
    if handle == nil {
      throw TypesettingError(
        path: path, reason: "the PDF cannot be created (\(Self.string(message)))",
        fix: "Check that the folder exists and is writable.")
    }
  }

  deinit {
    if let handle {
      var message = Self.buffer()
      _ = classify_pdf_close(handle, &message, message.count)
    }
  }

  /// Sets the document's title metadata.
  func setTitle(_ title: String) {
    var message = Self.buffer()
    _ = classify_pdf_set_title(handle, title, &message, message.count)
  }

  /// The bottom of each line of `text` wrapped at `width`, from the top of the text.
  func lineBottoms(_ text: TextRun, width: Double) throws -> [Double] {
    var message = Self.buffer()
    var bottoms = [Double](repeating: 0, count: 64)
    var count = classify_pdf_text_lines(
      handle, text.markup, text.font, width, text.alignment.code, text.indent, &bottoms,
      Int32(bottoms.count),
      &message, message.count)
    if count > bottoms.count {
      bottoms = [Double](repeating: 0, count: Int(count))
      count = classify_pdf_text_lines(
        handle, text.markup, text.font, width, text.alignment.code, text.indent, &bottoms,
        Int32(bottoms.count), &message, message.count)
    }
    guard count >= 0 else { throw markupError(text, message) }
    return Array(bottoms.prefix(Int(count)))
  }

  /// The height of `text` wrapped at `width`.
  func height(_ text: TextRun, width: Double) throws -> Double {
    var message = Self.buffer()
    let height = classify_pdf_text_height(
      handle, text.markup, text.font, width, text.alignment.code, text.indent, &message,
      message.count)
    guard height >= 0 else { throw markupError(text, message) }
    return height
  }

  /// The unwrapped width of `text`.
  func naturalWidth(_ text: TextRun) throws -> Double {
    var message = Self.buffer()
    let width = classify_pdf_text_width(handle, text.markup, text.font, &message, message.count)
    guard width >= 0 else { throw markupError(text, message) }
    return width
  }

  /// Draws lines `lines` of `text` wrapped at `width`, the first drawn line's top at (`x`, `y`).
  func draw(_ text: TextRun, x: Double, y: Double, width: Double, lines: Range<Int>) throws {
    var message = Self.buffer()
    let drawn = classify_pdf_draw_text(
      handle, text.markup, text.font, x, y, width, text.alignment.code, text.indent,
      Int32(lines.lowerBound),
      Int32(lines.count), &message, message.count)
    guard drawn >= 0 else { throw markupError(text, message) }
  }

  /// Strokes a line.
  func line(
    from start: (x: Double, y: Double), to end: (x: Double, y: Double), width: Double, color: RGB
  ) {
    classify_pdf_draw_line(
      handle, start.x, start.y, end.x, end.y, width, color.red, color.green, color.blue)
  }

  /// Fills a rectangle.
  func fill(x: Double, y: Double, width: Double, height: Double, color: RGB) {
    classify_pdf_fill_rect(handle, x, y, width, height, color.red, color.green, color.blue)
  }

  /// Draws an SVG (vector) or PNG file scaled into the box, aspect kept.
  func image(path imagePath: String, x: Double, y: Double, width: Double, height: Double) throws {
    var message = Self.buffer()
    let status = classify_pdf_draw_image_file(
      handle, imagePath, x, y, width, height, &message, message.count)
    guard status == 0 else {
      throw TypesettingError(
        path: imagePath, reason: "the image cannot be drawn (\(Self.string(message)))",
        fix: "Write the figure again (a valid SVG or PNG) and render the PDF again.")
    }
  }

  /// Draws SVG text (vector) scaled into the box, aspect kept.
  func svg(_ document: String, x: Double, y: Double, width: Double, height: Double) throws {
    var message = Self.buffer()
    let status = classify_pdf_draw_svg_data(
      handle, document, document.utf8.count, x, y, width, height, &message, message.count)
    guard status == 0 else {
      throw TypesettingError(
        path: path, reason: "an inline SVG cannot be drawn (\(Self.string(message)))",
        fix: "Check that the SVG has a width and a height.")
    }
  }

  /// The intrinsic size of an SVG (CSS pixels) or PNG (pixels) file.
  static func imageSize(path: String) throws -> (width: Double, height: Double) {
    var message = buffer()
    var width = 0.0
    var height = 0.0
    let status = classify_pdf_image_size(path, &width, &height, &message, message.count)
    guard status == 0 else {
      throw TypesettingError(
        path: path, reason: "the image cannot be read (\(string(message)))",
        fix: "Write the figure again (a valid SVG with width and height, or a PNG).")
    }
    return (width, height)
  }

  /// Adds a bookmark to the outline; returns its id for nested entries (0 is the root).
  @discardableResult
  func outline(_ title: String, page: Int, parent: Int32 = 0) -> Int32 {
    classify_pdf_add_outline(handle, parent, title, Int32(page))
  }

  /// Makes a rectangle of the current page a link to the top of `page`.
  func link(x: Double, y: Double, width: Double, height: Double, toPage page: Int) {
    classify_pdf_link_to_page(handle, x, y, width, height, Int32(page))
  }

  /// Finishes the current page.
  func newPage() { classify_pdf_new_page(handle) }

  /// Finishes and flushes the file; the canvas is unusable afterwards.
  func close() throws {
    guard let handle else { return }
    self.handle = nil
    var message = Self.buffer()
    if classify_pdf_close(handle, &message, message.count) != 0 {
      throw TypesettingError(
        path: path, reason: "writing the PDF failed (\(Self.string(message)))",
        fix: "Check that the disk has space and the folder is writable.")
    }
  }

  private func markupError(_ text: TextRun, _ message: [CChar]) -> TypesettingError {
    TypesettingError(
      path: path,
      reason: "invalid Pango markup \"\(text.markup.prefix(120))\" (\(Self.string(message)))",
      fix:
        "This is a bug in the HTML-to-markup conversion; please report it with the section's HTML.")
  }

  private static func buffer() -> [CChar] { [CChar](repeating: 0, count: 512) }

  private static func string(_ message: [CChar]) -> String {
    String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// A colour with components in 0…1.
struct RGB: Hashable, Sendable {
  /// Red, green and blue.
  var red, green, blue: Double

  /// A grey of the given lightness.
  static func gray(_ value: Double) -> RGB { RGB(red: value, green: value, blue: value) }
}

/// A piece of markup with the font and alignment it is set in.
struct TextRun: Hashable, Sendable {
  /// Pango markup.
  var markup: String
  /// A Pango font description, e.g. "DejaVu Serif 10.5".
  var font: String
  /// Horizontal alignment in its box.
  var alignment: TextAlignment = .left
  /// Indent of each paragraph's first line in points; negative: of the other lines (hanging).
  var indent: Double = 0
}

extension TextAlignment {
  /// The C shim's constant.
  var code: Int32 {
    switch self {
    case .left: return Int32(CLASSIFY_ALIGN_LEFT)
    case .center: return Int32(CLASSIFY_ALIGN_CENTER)
    case .right: return Int32(CLASSIFY_ALIGN_RIGHT)
    }
  }
}
