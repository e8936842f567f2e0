import Foundation
import ImageCodecs

extension ResultsPage {
  /// `image` as RGB, shrunk by area averaging so that its longer side is at most `maximumSide`
  /// (never enlarged: the page scales small thumbnails up by whole factors, pixelated).
  ///
  /// Gray is replicated and alpha dropped, as `Image.converted(to: 3)` (PIL's `convert("RGB")`)
  /// does, so the thumbnail shows what the network was given. The shrunk size keeps the aspect
  /// ratio (each side rounded, at least 1). Area averaging (a box filter with fractional
  /// coverage at the cell edges) is exact for integer factors and never rings.
  static func thumbnail(of image: Image, maximumSide: Int) -> Image {
    let rgb = image.converted(to: 3)
    let longer = max(rgb.width, rgb.height)
    guard longer > maximumSide else { return rgb }
    let scale = Double(maximumSide) / Double(longer)
    let width = min(maximumSide, max(1, Int((Double(rgb.width) * scale).rounded())))
    let height = min(maximumSide, max(1, Int((Double(rgb.height) * scale).rounded())))
    return areaAveraged(rgb, width: width, height: height)
  }

  /// Box-filter resize of an RGB image to `width × height` (each output pixel the coverage-
  /// weighted mean of the input pixels under it), rounded half away from zero.
  static func areaAveraged(_ image: Image, width: Int, height: Int) -> Image {
    let channels = image.channels
    let columns = boxWeights(input: image.width, output: width)
    let rows = boxWeights(input: image.height, output: height)
    // Horizontal pass: [H, W, C] → [H, width, C].
    var horizontal = [Double](repeating: 0, count: image.height * width * channels)
    for y in 0..<image.height {
      let input = y * image.width * channels
      let output = y * width * channels
      for (x, column) in columns.enumerated() {
        for (offset, weight) in column.weights.enumerated() {
          let source = input + (column.start + offset) * channels
          for channel in 0..<channels {
            horizontal[output + x * channels + channel] +=
              weight * Double(image.pixels[source + channel])
          }
        }
      }
    }
    // Vertical pass: [H, width, C] → [height, width, C].
    let rowLength = width * channels
    var pixels = [UInt8](repeating: 0, count: height * rowLength)
    var sums = [Double](repeating: 0, count: rowLength)
    for (y, row) in rows.enumerated() {
      for index in 0..<rowLength { sums[index] = 0 }
      for (offset, weight) in row.weights.enumerated() {
        let source = (row.start + offset) * rowLength
        for index in 0..<rowLength { sums[index] += weight * horizontal[source + index] }
      }
      for index in 0..<rowLength {
        pixels[y * rowLength + index] = UInt8(min(255, max(0, sums[index].rounded())))
      }
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// For each of `output` cells along an axis of `input` pixels: the first input pixel under it
  /// and the normalized overlap of each input pixel with the cell `[i·r, (i+1)·r)`, `r = in/out`.
  static func boxWeights(input: Int, output: Int) -> [(start: Int, weights: [Double])] {
    let ratio = Double(input) / Double(output)
    return (0..<output).map { index in
      let low = Double(index) * ratio
      let high = Double(index + 1) * ratio
      let first = min(input - 1, Int(low.rounded(.down)))
      let last = max(first, min(input - 1, Int(high.rounded(.up)) - 1))
      let overlaps = (first...last).map { pixel in
        max(0, min(high, Double(pixel + 1)) - max(low, Double(pixel)))
      }
      let total = overlaps.reduce(0, +)
      return (first, overlaps.map { total > 0 ? $0 / total : 1 / Double(overlaps.count) })
    }
  }

  /// The PNG bytes of `image`, encoded in memory.
  static func pngData(_ image: Image, label: String) throws -> Data {
    do {
      return try image.pngData()
    } catch {
      throw ResultsPageError(description: "cannot encode \(label) as PNG: \(error)")
    }
  }

  /// The PNG bytes of every sheet, in order, encoded on all cores: zlib is most of the page's
  /// cost (about 15 ms per 320×320 sheet).
  static func pngData(sheets: [Image]) throws -> [Data] {
    let results = EncodedSheets(count: sheets.count)
    DispatchQueue.concurrentPerform(iterations: sheets.count) { index in
      results.store(
        Result { try pngData(sheets[index], label: "thumbnail sheet \(index)") }, at: index)
    }
    return try results.values()
  }
}

/// Encoding results collected from concurrent workers. `@unchecked Sendable` because `slots`
/// is only touched under `lock`.
private final class EncodedSheets: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [Result<Data, any Error>?]

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  func store(_ result: Result<Data, any Error>, at index: Int) {
    lock.lock()
    defer { lock.unlock() }
    slots[index] = result
  }

  func values() throws -> [Data] {
    lock.lock()
    defer { lock.unlock() }
    return try slots.map { slot in
      guard let slot else {
        throw ResultsPageError(description: "a thumbnail sheet was not encoded")
      }
      return try slot.get()
    }
  }
}

/// RGB thumbnails packed row-major into sprite sheets of `columns × rows` equal cells, so that
/// 10,000 test images become 100 PNGs (one data payload each, compressed together) shown with
/// CSS `background-position` instead of 10,000 separate data URIs.
///
/// Thumbnail `k` lies in sheet `k / (columns·rows)`, in cell `j = k mod (columns·rows)` at
/// column `j mod columns`, row `j / columns`, its top-left corner at
/// `(column · cellWidth, row · cellHeight)`. Cells are as large as the largest thumbnail;
/// smaller thumbnails sit in the cell's top-left corner on a white background.
struct ThumbnailAtlas: Sendable {
  /// Pixel size of one thumbnail.
  struct Size: Sendable, Hashable {
    /// Pixels per row.
    var width: Int
    /// Number of rows.
    var height: Int
  }

  /// Cells per sheet row.
  let columns: Int
  /// Cell rows per full sheet.
  let rows: Int
  /// Cell width: the widest thumbnail.
  let cellWidth: Int
  /// Cell height: the tallest thumbnail.
  let cellHeight: Int
  /// Each thumbnail's own size, in input order.
  let sizes: [Size]
  /// The sheets, RGB; a sheet holds `columns · rows` thumbnails (the last one possibly fewer,
  /// with only as many rows and columns of cells as it needs).
  let sheets: [Image]

  /// Thumbnails per full sheet.
  var perSheet: Int { columns * rows }

  /// Packs RGB `thumbnails` (3 channels each) into sheets of `columns × rows` cells.
  init(thumbnails: [Image], columns: Int = 10, rows: Int = 10) {
    precondition(columns > 0 && rows > 0, "ThumbnailAtlas: grid \(columns)x\(rows)")
    precondition(thumbnails.allSatisfy { $0.channels == 3 }, "ThumbnailAtlas: RGB thumbnails only")
    self.columns = columns
    self.rows = rows
    cellWidth = thumbnails.map(\.width).max() ?? 1
    cellHeight = thumbnails.map(\.height).max() ?? 1
    sizes = thumbnails.map { Size(width: $0.width, height: $0.height) }
    let perSheet = columns * rows
    var sheets: [Image] = []
    for first in stride(from: 0, to: thumbnails.count, by: perSheet) {
      let members = thumbnails[first..<min(thumbnails.count, first + perSheet)]
      let usedColumns = min(columns, members.count)
      let usedRows = (members.count + columns - 1) / columns
      let width = usedColumns * cellWidth
      let height = usedRows * cellHeight
      var pixels = [UInt8](repeating: 255, count: width * height * 3)
      for (offset, thumbnail) in members.enumerated() {
        let left = (offset % columns) * cellWidth
        let top = (offset / columns) * cellHeight
        let rowBytes = thumbnail.width * 3
        for y in 0..<thumbnail.height {
          let target = ((top + y) * width + left) * 3
          let source = y * rowBytes
          pixels.replaceSubrange(
            target..<(target + rowBytes), with: thumbnail.pixels[source..<(source + rowBytes)])
        }
      }
      sheets.append(Image(width: width, height: height, channels: 3, pixels: pixels))
    }
    self.sheets = sheets
  }

  /// The sheet holding thumbnail `index` and the pixel offset of its top-left corner there.
  func location(of index: Int) -> (sheet: Int, x: Int, y: Int) {
    let cell = index % perSheet
    return (index / perSheet, (cell % columns) * cellWidth, (cell / columns) * cellHeight)
  }
}
