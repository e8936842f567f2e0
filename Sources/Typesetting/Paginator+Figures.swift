import Foundation

extension Paginator {
  /// Points per CSS pixel: an SVG's intrinsic size (and a PNG's pixels) are 1/96 inch.
  static let pointsPerPixel = 0.75
  /// A figure may shrink to this fraction of its size to stay on the current page.
  static let figureShrinkLimit = 0.7
  /// Space between a figure and its caption.
  static let captionGap = 4.0

  /// The file a figure is drawn from: `name.svg` beside a `name.png` when it exists (vector),
  /// else the file itself; nil when neither exists.
  func imageFile(for figure: FigureBlock) -> String? {
    var source = figure.source
    if let query = source.firstIndex(where: { $0 == "?" || $0 == "#" }) {
      source = String(source[..<query])
    }
    if source.contains("://") { return nil }
    let url =
      source.hasPrefix("/")
      ? URL(fileURLWithPath: source)
      : resources.appendingPathComponent(source.removingPercentEncoding ?? source)
    let fileManager = FileManager.default
    if url.pathExtension.lowercased() == "png" {
      let svg = url.deletingPathExtension().appendingPathExtension("svg")
      if fileManager.fileExists(atPath: svg.path) { return svg.path }
    }
    return fileManager.fileExists(atPath: url.path) ? url.path : nil
  }

  /// Size of the image and caption of a figure at full scale in `frame`.
  private struct FigureGeometry {
    var path: String?
    var width: Double
    var height: Double
    var caption: TextRun?
    var captionHeight: Double
    var total: Double { height + (caption == nil ? 0 : Paginator.captionGap + captionHeight) }
  }

  private func geometry(of figure: FigureBlock, in frame: Frame) throws -> FigureGeometry {
    let caption = figure.caption.map {
      TextRun(markup: $0.markup, font: typeface.caption, alignment: .center)
    }
    let captionHeight = try caption.map { try canvas.height($0, width: frame.width) } ?? 0
    guard let path = imageFile(for: figure) else {
      if missingImages == .fail {
        let expected = resources.appendingPathComponent(figure.source).path
        throw TypesettingError(
          path: expected,
          reason: "the figure \(figure.source) referred to by the report does not exist",
          fix:
            "Write the figures into \(resources.path) before rendering the PDF, or render with "
            + "missingImages: .note to draw a note in their place.")
      }
      return FigureGeometry(
        path: nil, width: frame.width, height: typeface.bodySize * 5, caption: caption,
        captionHeight: captionHeight)
    }
    let size = try PDFCanvas.imageSize(path: path)
    var width = min(frame.width, size.width * Self.pointsPerPixel)
    var height = width * size.height / size.width
    let pageRoom = bottom - margins.top - captionHeight - Self.captionGap - 2 * Self.boxPadding
    if height > pageRoom {
      width *= pageRoom / height
      height = pageRoom
    }
    return FigureGeometry(
      path: path, width: width, height: height, caption: caption, captionHeight: captionHeight)
  }

  /// What must fit below a heading for it to stay with this figure: the figure at its smallest.
  func figureLeadHeight(_ figure: FigureBlock, in frame: Frame) throws -> Double {
    let geometry = try geometry(of: figure, in: frame)
    return geometry.total - geometry.height * (1 - Self.figureShrinkLimit)
  }

  /// Places a figure centred in `frame`, scaled to the frame's width and the page; it shrinks
  /// (to 70 % at most) to stay on this page, or else moves to the next. Never overflows.
  mutating func figure(_ figure: FigureBlock, in frame: Frame) throws {
    var geometry = try geometry(of: figure, in: frame)
    space(paragraphGap)
    let captionPart = geometry.total - geometry.height
    if geometry.total > remaining {
      let room = remaining - captionPart
      if !isPageFresh, room < geometry.height * Self.figureShrinkLimit {
        newPage()
      }
    }
    ensure(0)
    let room = bottom - y - captionPart
    if geometry.height > room, room > 0 {
      geometry.width *= room / geometry.height
      geometry.height = room
    }
    let x = frame.x + (frame.width - geometry.width) / 2
    if let path = geometry.path {
      add(.image(path: path, x: x, y: y, width: geometry.width, height: geometry.height))
    } else {
      missingNote(figure, x: frame.x, width: frame.width, height: geometry.height)
    }
    advance(geometry.height)
    if let caption = geometry.caption {
      advance(Self.captionGap)
      add(.text(caption, x: frame.x, y: y, width: frame.width, lines: Paginator.allLines))
      advance(geometry.captionHeight)
    }
    space(paragraphGap * 1.6)
  }

  private mutating func missingNote(_ figure: FigureBlock, x: Double, width: Double, height: Double)
  {
    let red = RGB(red: 0.75, green: 0.1, blue: 0.1)
    for (x0, y0, x1, y1) in [
      (x, y, x + width, y), (x, y + height, x + width, y + height), (x, y, x, y + height),
      (x + width, y, x + width, y + height),
    ] {
      add(.rule(x0: x0, y0: y0, x1: x1, y1: y1, width: 0.8, color: red))
    }
    let detail = figure.alternative.isEmpty ? "" : " (\(figure.alternative))"
    let message = TextRun(
      markup: "<span foreground=\"#b01a1a\">figure missing: "
        + PangoMarkup.escape(figure.source + detail) + "</span>",
      font: typeface.body, alignment: .center)
    add(.text(message, x: x, y: y + height / 2 - typeface.bodySize, width: width, lines: 0..<2))
  }
}
