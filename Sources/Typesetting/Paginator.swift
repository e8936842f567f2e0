import Foundation

/// One thing to draw on a page, positioned in points from the page's top-left corner.
enum DrawOperation: Hashable, Sendable {
  /// Lines `lines` of a text, the first drawn line's top at (`x`, `y`), wrapped at `width`.
  case text(TextRun, x: Double, y: Double, width: Double, lines: Range<Int>)
  /// A straight line.
  case rule(x0: Double, y0: Double, x1: Double, y1: Double, width: Double, color: RGB)
  /// A filled rectangle.
  case fill(x: Double, y: Double, width: Double, height: Double, color: RGB)
  /// An SVG or PNG file fitted into a box.
  case image(path: String, x: Double, y: Double, width: Double, height: Double)
  /// A clickable area leading to the top of a page (1-based).
  case link(x: Double, y: Double, width: Double, height: Double, page: Int)
}

/// A horizontal band of the page that blocks are laid out in: the text block, or the inside of
/// a box or a list item.
struct Frame: Hashable, Sendable {
  /// Left edge in points.
  var x: Double
  /// Width in points.
  var width: Double

  /// The frame narrowed by `left` and `right` points.
  func inset(left: Double, right: Double = 0) -> Frame {
    Frame(x: x + left, width: max(1, width - left - right))
  }
}

/// A heading as placed: for the PDF outline and the table of contents.
struct PlacedHeading: Hashable, Sendable {
  /// 1 for a part of the report, 2… below.
  var level: Int
  /// The heading's plain text.
  var title: String
  /// The page it starts on (1-based).
  var page: Int
}

/// Places blocks on pages, top to bottom, measuring text with the canvas but drawing nothing:
/// the result is a list of `DrawOperation`s per page. It keeps headings with the block after
/// them, breaks paragraphs between lines (at least two lines on either side where possible),
/// never splits a table row, and shades boxes on every page they continue on.
struct Paginator {
  /// Shading of a box, drawn behind its content.
  enum Shade: Hashable, Sendable {
    /// The answer box: light blue with a blue bar on the left.
    case answer
    /// A quotation or note: light grey with a grey bar.
    case note
    /// Preformatted text: light grey, no bar.
    case code
  }

  private struct OpenBox {
    var shade: Shade
    var frame: Frame
    var page: Int
    var operationIndex: Int
    var startY: Double
  }

  let canvas: PDFCanvas
  let paper: PaperSize
  let margins: Margins
  let typeface: Typeface
  let resources: URL
  let missingImages: MissingImagePolicy

  /// The operations of each page laid out so far.
  private(set) var pages: [[DrawOperation]] = [[]]
  /// Every heading placed, in order.
  private(set) var headings: [PlacedHeading] = []
  /// The current vertical position.
  private(set) var y: Double
  /// True until something is placed on the current page.
  private(set) var isPageFresh = true
  private var pendingSpace = 0.0
  private var openBoxes: [OpenBox] = []

  /// A line range meaning "every line of the text".
  static let allLines = 0..<Int(Int32.max)

  /// Padding inside a box, above and below its content.
  static let boxPadding = 6.0

  /// Creates a paginator positioned at the top of the first page.
  init(
    canvas: PDFCanvas, paper: PaperSize, margins: Margins, typeface: Typeface, resources: URL,
    missingImages: MissingImagePolicy
  ) {
    self.canvas = canvas
    self.paper = paper
    self.margins = margins
    self.typeface = typeface
    self.resources = resources
    self.missingImages = missingImages
    self.y = margins.top
  }

  /// The whole text block.
  var textFrame: Frame {
    Frame(x: margins.left, width: paper.width - margins.left - margins.right)
  }

  /// The lowest position content may reach.
  var bottom: Double { paper.height - margins.bottom }

  /// The 1-based number of the current page.
  var pageNumber: Int { pages.count }

  /// Space left below the current position (after any pending space).
  var remaining: Double { bottom - y - (isPageFresh ? 0 : pendingSpace) }

  /// Asks for at least `points` of space before the next content (collapsing with any space
  /// already asked for, as CSS margins do); dropped at the top of a page.
  mutating func space(_ points: Double) { pendingSpace = max(pendingSpace, points) }

  /// Replaces any pending space by `points` (tighter spacing, e.g. between list items).
  mutating func setSpace(_ points: Double) { pendingSpace = points }

  /// Makes room for `height` points: starts a new page when it does not fit (unless this page
  /// is still empty), then applies the pending space.
  mutating func ensure(_ height: Double) {
    if !isPageFresh, y + pendingSpace + height > bottom + 0.01 {
      newPage()
    }
    if !isPageFresh { y += pendingSpace }
    pendingSpace = 0
  }

  /// Appends an operation to the current page.
  mutating func add(_ operation: DrawOperation) {
    pages[pages.count - 1].append(operation)
  }

  /// Moves the position down by `height` after placing content there.
  mutating func advance(_ height: Double) {
    y += height
    isPageFresh = false
  }

  /// Records a heading for the outline.
  mutating func recordHeading(level: Int, title: String) {
    headings.append(PlacedHeading(level: level, title: title, page: pageNumber))
  }

  /// Finishes the current page (closing the shading of open boxes there) and starts the next,
  /// reopening the boxes at its top.
  mutating func newPage() {
    for index in openBoxes.indices.reversed() {
      closeSegment(of: openBoxes[index], at: min(bottom, y + Self.boxPadding / 2))
    }
    pages.append([])
    y = margins.top
    for index in openBoxes.indices {
      openBoxes[index].page = pages.count - 1
      openBoxes[index].operationIndex = 0
      openBoxes[index].startY = y
      y += Self.boxPadding
    }
    isPageFresh = true
    pendingSpace = 0
  }

  /// Starts a shaded box in `frame` (the caller has made room) and returns the frame inside it.
  mutating func openBox(_ shade: Shade, in frame: Frame) -> Frame {
    ensure(0)
    let page = pages.count - 1
    openBoxes.append(
      OpenBox(
        shade: shade, frame: frame, page: page, operationIndex: pages[page].count, startY: y))
    y += Self.boxPadding
    return frame.inset(left: shade == .code ? 8 : 12, right: 8)
  }

  /// Ends the innermost box: its shading is drawn behind everything placed in it.
  mutating func closeBox() {
    guard let box = openBoxes.popLast() else { return }
    pendingSpace = 0
    y += Self.boxPadding
    closeSegment(of: box, at: y)
    isPageFresh = false
  }

  private mutating func closeSegment(of box: OpenBox, at endY: Double) {
    let height = endY - box.startY
    guard height > 0 else { return }
    var shading: [DrawOperation]
    switch box.shade {
    case .answer:
      shading = [
        .fill(
          x: box.frame.x, y: box.startY, width: box.frame.width, height: height,
          color: RGB(red: 0.945, green: 0.961, blue: 0.996)),
        .fill(
          x: box.frame.x, y: box.startY, width: 3, height: height,
          color: RGB(red: 0.29, green: 0.48, blue: 0.82)),
      ]
    case .note:
      shading = [
        .fill(
          x: box.frame.x, y: box.startY, width: box.frame.width, height: height, color: .gray(0.95)),
        .fill(x: box.frame.x, y: box.startY, width: 3, height: height, color: .gray(0.7)),
      ]
    case .code:
      shading = [
        .fill(
          x: box.frame.x, y: box.startY, width: box.frame.width, height: height, color: .gray(0.965)
        )
      ]
    }
    let index = min(box.operationIndex, pages[box.page].count)
    pages[box.page].insert(contentsOf: shading, at: index)
  }

  /// Places `text` in `frame`, breaking between lines at page ends: at least two lines (or all,
  /// if fewer) stay together at the start and at the end of the text when there is a choice.
  mutating func place(_ text: TextRun, in frame: Frame) throws {
    let bottoms = try canvas.lineBottoms(text, width: frame.width)
    var first = 0
    while first < bottoms.count {
      let base = first == 0 ? 0 : bottoms[first - 1]
      func height(upTo end: Int) -> Double { bottoms[end - 1] - base }
      ensure(height(upTo: first + min(2, bottoms.count - first)))
      var end = first
      while end < bottoms.count, y + height(upTo: end + 1) <= bottom + 0.01 { end += 1 }
      if end == first { end = first + 1 }
      if end < bottoms.count, bottoms.count - end == 1 {
        if end - first > 2 {
          end -= 1
        } else if first == 0, !isPageFresh {
          newPage()  // a three-line text: move it whole rather than leave one line behind
          continue
        }
      }
      add(.text(text, x: frame.x, y: y, width: frame.width, lines: first..<end))
      advance(height(upTo: end))
      first = end
      if first < bottoms.count { newPage() }
    }
  }
}
