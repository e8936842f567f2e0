import Foundation
import ImageCodecs
import Plotting

/// A sheet of test images with their true class and top-3 scores, as one SVG (thumbnails embedded
/// as PNG data, labels as real text): the printed counterpart of the results page, for the
/// report's Part 4 (the most confident mistakes, and a seeded sample of the rest).
enum SampleSheet {
  static let columns = 4
  static let cellWidth = 168.0
  static let cellHeight = 78.0
  static let thumbnail = 64.0

  /// The SVG for `rows` with their `images` (same order), under `title`.
  static func svg(
    title: String, rows: [TestPredictions.Row], images: [Image], classNames: [String]
  ) throws -> String {
    let lines = (rows.count + columns - 1) / columns
    let width = Double(columns) * cellWidth
    let height = 24 + Double(lines) * cellHeight
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" \
      width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" \
      font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="10">
      <rect width="100%" height="100%" fill="white"/>
      <text x="4" y="15" font-size="12" font-weight="bold">\(escapeMarkup(title))</text>

      """
    for (position, (row, image)) in zip(rows, images).enumerated() {
      let x = Double(position % columns) * cellWidth + 4
      let y = 24 + Double(position / columns) * cellHeight
      let png = try image.pngData().base64EncodedString()
      svg += """
        <image x="\(x)" y="\(y)" width="\(thumbnail)" height="\(thumbnail)" \
        preserveAspectRatio="xMidYMid meet" style="image-rendering:pixelated" \
        href="data:image/png;base64,\(png)" xlink:href="data:image/png;base64,\(png)"/>

        """
      let wrong = row.predicted != row.label
      let textX = x + thumbnail + 6
      let trueName = row.label < classNames.count ? classNames[row.label] : "\(row.label)"
      svg +=
        "<text x=\"\(textX)\" y=\"\(y + 10)\" font-weight=\"bold\" fill=\"\(wrong ? "#b2182b" : "#1a1a1a")\">"
        + "true: \(escapeMarkup(short(trueName)))</text>\n"
      for (rank, score) in row.top(3).enumerated() {
        let name = score.index < classNames.count ? classNames[score.index] : "\(score.index)"
        let colour = score.index == row.label ? "#1b7837" : "#333333"
        svg +=
          "<text x=\"\(textX)\" y=\"\(y + 24 + 12 * Double(rank))\" fill=\"\(colour)\">"
          + String(format: "%.1f %%", 100 * score.probability)
          + " \(escapeMarkup(short(name)))</text>\n"
      }
      svg +=
        "<text x=\"\(x)\" y=\"\(y + thumbnail + 10)\" font-size=\"8\" fill=\"#666666\">"
        + "\(escapeMarkup(short(row.name, limit: 30)))</text>\n"
    }
    return svg + "</svg>\n"
  }

  /// `text` cut to `limit` characters with an ellipsis.
  static func short(_ text: String, limit: Int = 14) -> String {
    text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
  }
}
