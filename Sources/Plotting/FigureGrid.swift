import Foundation

/// Several figures as panels of one picture (small multiples, or loss above accuracy): a grid
/// of `columns` panels per row under one title, with one legend for all panels outside them.
///
/// Each panel is an ordinary `Figure` drawn at its own size (its title becomes the panel's
/// title); a row is as tall as its tallest panel and a column as wide as its widest. With a
/// shared legend (the default, below the panels) the panels' own legends are not drawn, and the
/// entries of all panels appear once each, in panel order.
///
/// ```swift
/// var loss = Figure(width: 640, height: 250, title: "loss")
/// loss.axes.addLine(y: trainLoss, label: "train")
/// var accuracy = Figure(width: 640, height: 250, title: "accuracy (%)")
/// accuracy.axes.addLine(y: trainAccuracy, label: "train")
/// let grid = FigureGrid(title: "Fine-tuning", panels: [loss, accuracy], columns: 1)
/// try grid.writePNG(to: folder.appendingPathComponent("curves.png"))
/// ```
public struct FigureGrid: SVGDocument {
  /// Where the shared legend goes.
  public enum LegendPlacement: Sendable, Hashable {
    /// Each panel draws its own legend as its axes say.
    case perPanel
    /// One legend, centred below all panels, entries side by side.
    case bottom
    /// One legend to the right of all panels, one entry per row, at the top.
    case right
  }

  /// Title above all panels (empty for none).
  public var title: String
  /// The panels, row by row.
  public var panels: [Figure]
  /// Panels per row (at least 1).
  public var columns: Int
  /// The shared legend's placement.
  public var legend: LegendPlacement
  /// Font sizes of the title and the shared legend (panels keep their own).
  public var fonts = Figure.Fonts()

  /// Creates a grid; `columns` is raised to at least 1.
  public init(
    title: String = "", panels: [Figure], columns: Int = 1, legend: LegendPlacement = .bottom
  ) {
    self.title = title
    self.panels = panels
    self.columns = Swift.max(1, columns)
    self.legend = legend
  }

  /// Where each panel's top-left corner goes, and the canvas size.
  public struct Layout: Sendable {
    /// The top-left corner of every panel, in panel order.
    public var origins: [(x: Double, y: Double)]
    /// Total width.
    public var width: Double
    /// Total height.
    public var height: Double
    /// Top-left corner of the shared legend (nil without one).
    public var legendOrigin: (x: Double, y: Double)?
    /// The shared legend's entries, grouped into its rows.
    var legendRows: [[LegendEntry]]
  }

  private var titleHeight: Double { title.isEmpty ? 0 : 16 + fonts.title + 8 }

  private var columnWidths: [Double] {
    (0..<Swift.min(columns, panels.count)).map { column in
      stride(from: column, to: panels.count, by: columns).map { panels[$0].width }.max() ?? 0
    }
  }

  private var rowHeights: [Double] {
    stride(from: 0, to: panels.count, by: columns).map { start in
      panels[start..<Swift.min(start + columns, panels.count)].map(\.height).max() ?? 0
    }
  }

  /// The legend entries of all panels, each label once, in panel order.
  var sharedEntries: [LegendEntry] {
    var seen = Set<String>()
    return panels.flatMap { $0.legendEntries() }.filter { seen.insert($0.label).inserted }
  }

  /// The panels with the plot areas of each column starting at the same distance from the
  /// column's left edge (the widest tick labels of the column decide it).
  public var alignedPanels: [Figure] {
    var result = panels
    for column in 0..<Swift.min(columns, panels.count) {
      let members = Array(stride(from: column, to: panels.count, by: columns))
      let left = members.map { panels[$0].layout().plotArea.x }.max() ?? 0
      for index in members { result[index].minimumLeftMargin = left }
    }
    return result
  }

  /// Panel positions, the canvas size and the legend position.
  public func layout() -> Layout {
    let widths = columnWidths
    let heights = rowHeights
    let panelsWidth = widths.reduce(0, +)
    let panelsHeight = heights.reduce(0, +)
    var origins: [(x: Double, y: Double)] = []
    for index in panels.indices {
      let row = index / columns
      let column = index % columns
      origins.append(
        (widths[..<column].reduce(0, +), titleHeight + heights[..<row].reduce(0, +)))
    }
    let entries = sharedEntries
    var width = panelsWidth
    var height = titleHeight + panelsHeight
    var legendOrigin: (x: Double, y: Double)?
    var rows: [[LegendEntry]] = []
    switch legend {
    case .perPanel: break
    case _ where entries.isEmpty: break
    case .bottom:
      rows = Figure.legendRows(entries, fontSize: fonts.legend, maxWidth: panelsWidth)
      let size = Figure.horizontalLegendSize(rows, fontSize: fonts.legend)
      width = Swift.max(width, size.width + 20)
      legendOrigin = ((width - size.width) / 2, height + 4)
      height += size.height + 12
    case .right:
      rows = entries.map { [$0] }
      let size = Figure.legendSize(entries, fontSize: fonts.legend)
      legendOrigin = (panelsWidth + 4, titleHeight + 16)
      width += size.width + 16
      height = Swift.max(height, titleHeight + 16 + size.height + 8)
    }
    return Layout(
      origins: origins, width: Swift.max(50, width), height: Swift.max(50, height),
      legendOrigin: legendOrigin, legendRows: rows)
  }

  /// The canvas width.
  public var width: Double { layout().width }
  /// The canvas height.
  public var height: Double { layout().height }

  /// The grid as one standalone SVG document.
  public func svg() -> String {
    let layout = layout()
    var out = [SVG.documentStart(width: layout.width, height: layout.height)]
    out.append(
      "<rect width=\"\(SVG.number(layout.width))\" height=\"\(SVG.number(layout.height))\" fill=\"#ffffff\"/>"
    )
    if !title.isEmpty {
      // A title wider than the canvas is set smaller rather than cut off.
      let fitting = Swift.min(
        fonts.title, 0.95 * layout.width / (Double(Swift.max(1, title.count)) * 0.6))
      out.append(
        SVG.text(
          title, x: layout.width / 2, y: 16 + fonts.title, size: fitting, anchor: .middle,
          bold: true))
    }
    let aligned = alignedPanels
    for (index, var panel) in aligned.enumerated() {
      if legend != .perPanel { panel.axes.legend = .hidden }
      let origin = layout.origins[index]
      out.append(
        "<g class=\"panel\" transform=\"translate(\(SVG.number(origin.x)),\(SVG.number(origin.y)))\">"
      )
      out += panel.svgElements(clipID: "plot-area-\(index + 1)")
      out.append("</g>")
    }
    if let origin = layout.legendOrigin {
      out.append(
        Figure.legendSVG(rows: layout.legendRows, x: origin.x, y: origin.y, fonts: fonts))
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }
}
