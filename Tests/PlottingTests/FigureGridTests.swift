import Foundation
import Plotting
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The `<rect>` of the legend box (the first rect after `class="legend"`) as (x, y, w, h).
private func legendBoxes(_ svg: String) -> [(x: Double, y: Double, width: Double, height: Double)] {
  svg.components(separatedBy: "<g class=\"legend\"><rect ").dropFirst().map { rest in
    func value(_ name: String) -> Double {
      guard let open = rest.range(of: "\(name)=\""),
        let end = rest[open.upperBound...].firstIndex(of: "\""),
        let number = Double(rest[open.upperBound..<end])
      else { return .nan }
      return number
    }
    return (value("x"), value("y"), value("width"), value("height"))
  }
}

/// Occurrences of `needle` in `text`.
private func count(_ needle: String, in text: String) -> Int {
  text.components(separatedBy: needle).count - 1
}

@Suite("Reference lines, bands and outside legends")
struct ReferenceMarkTests {
  @Test("a vertical line widens only the x limits and spans the plot area at its x")
  func verticalLine() {
    var figure = Figure(width: 400, height: 300)
    figure.axes.padding = 0
    figure.axes.addLine(x: [0, 10], y: [5, 7])
    figure.axes.addVerticalLine(at: 20, text: "kept")
    let layout = figure.layout()
    // x covers 0…20 exactly (no padding); y is the line's 5…7, untouched by the rule.
    #expect(layout.x.domain == 0...20)
    #expect(layout.y.domain == 5...7)
    let svg = figure.svg()
    let area = layout.plotArea
    // x = 20 maps to the right edge of the plot area; the rule runs from its top to its bottom.
    let px = SVGNumber.format(area.maxX)
    #expect(
      svg.contains(
        "points=\"\(px),\(SVGNumber.format(area.y)) \(px),\(SVGNumber.format(area.maxY))\""))
    #expect(svg.contains(">kept</text>"))
  }

  @Test("every dash style gives well-formed SVG (no attribute written twice) and renders")
  func dashStyles() throws {
    var figure = Figure(width: 200, height: 150)
    for (index, dash) in [DashStyle.solid, .dashed, .dotted, .pattern([2, 3])].enumerated() {
      figure.axes.addLine(y: [0, Double(index)], dash: dash)
      figure.axes.addVerticalLine(at: Double(index) / 4, dash: dash)
    }
    let svg = figure.svg()
    let parsed = SVGCollector.parse(svg)
    #expect(parsed.error == nil, "\(String(describing: parsed.error))")
    for element in svg.components(separatedBy: "<polyline").dropFirst() {
      let tag = element.prefix { $0 != ">" }
      #expect(tag.components(separatedBy: "stroke-linecap=").count <= 2)
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "dash-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try figure.writePNG(to: folder.appendingPathComponent("dash.png"), scale: 1)
  }

  @Test("a horizontal line widens only the y limits")
  func horizontalLine() {
    var figure = Figure()
    figure.axes.padding = 0
    figure.axes.addLine(x: [1, 2], y: [0, 1])
    figure.axes.addHorizontalLine(at: 3)
    let layout = figure.layout()
    #expect(layout.x.domain == 1...2)
    #expect(layout.y.domain == 0...3)
  }

  @Test("a band is one polygon per finite run: upper edge forwards, lower edge backwards")
  func band() {
    var figure = Figure(width: 300, height: 200)
    figure.axes.xLimits = 0...4
    figure.axes.yLimits = 0...4
    figure.axes.addBand(
      x: [0, 1, 2, 3, 4], lower: [0, 0, .nan, 1, 1], upper: [1, 2, 2, 3, 3], color: .red,
      label: "spread")
    let layout = figure.layout()
    let svg = figure.svg()
    #expect(count("<polygon", in: svg) == 2)
    // The first piece: (0,1) (1,2) then back (1,0) (0,0).
    let expected = [(0.0, 1.0), (1, 2), (1, 0), (0, 0)].map {
      "\(SVGNumber.format(layout.x($0.0)!)),\(SVGNumber.format(layout.y($0.1)!))"
    }.joined(separator: " ")
    #expect(svg.contains("points=\"\(expected)\""))
    #expect(svg.contains("fill-opacity=\"0.2\""))
    #expect(svg.contains(">spread</text>"))
  }

  @Test("a legend outside at the bottom lies below the plot area and its tick labels")
  func outsideBottom() {
    var figure = Figure(width: 400, height: 300)
    figure.axes.xLabel = "epoch"
    figure.axes.legend = .outsideBottom
    for index in 0..<3 { figure.axes.addLine(y: [1, 2, Double(index)], label: "series \(index)") }
    let area = figure.layout().plotArea
    let boxes = legendBoxes(figure.svg())
    #expect(boxes.count == 1)
    // Below the x label (tick labels and label take 8 + 13 + 10 + 15 pixels under the area).
    #expect(boxes[0].y > area.maxY + 8 + 13 + 10)
    #expect(boxes[0].y + boxes[0].height <= 300)
    // Three entries of 34 + 8 × 7.8 pixels (plus 18 between) fit side by side in 400 pixels.
    #expect(boxes[0].height < 2 * 13 * 1.55)
    // Six do not: they wrap onto a second row, and the plot area shrinks to make room.
    for index in 3..<6 { figure.axes.addLine(y: [1, 2, Double(index)], label: "series \(index)") }
    let wrapped = legendBoxes(figure.svg())
    #expect(wrapped[0].height > 2 * 13 * 1.55)
    #expect(figure.layout().plotArea.maxY < area.maxY)
    #expect(wrapped[0].y + wrapped[0].height <= 300)
  }
}

@Suite("FigureGrid")
struct FigureGridTests {
  func panel(_ title: String, width: Double = 300, height: Double = 200, label: String) -> Figure {
    var figure = Figure(width: width, height: height, title: title)
    figure.axes.addLine(y: [1, 3, 2], label: label)
    figure.axes.legend = .topRight
    return figure
  }

  @Test("panels go row by row; rows are as tall and columns as wide as their largest panel")
  func layout() {
    let grid = FigureGrid(
      title: "",
      panels: [
        panel("a", width: 300, height: 200, label: "x"),
        panel("b", width: 250, height: 240, label: "x"),
        panel("c", width: 320, height: 180, label: "x"),
      ], columns: 2, legend: .perPanel)
    let layout = grid.layout()
    #expect(layout.origins.map(\.x) == [0, 320, 0])
    #expect(layout.origins.map(\.y) == [0, 0, 240])
    #expect(layout.width == 320 + 250)
    #expect(layout.height == 240 + 180)
    #expect(layout.legendOrigin == nil)
  }

  @Test("the SVG is well-formed, translates each panel and gives each its own clip path")
  func svg() {
    let grid = FigureGrid(
      title: "Two <panels>",
      panels: [panel("loss", label: "train"), panel("accuracy", label: "train")],
      columns: 1)
    let svg = grid.svg()
    let parsed = SVGCollector.parse(svg)
    #expect(parsed.error == nil, "\(String(describing: parsed.error))")
    #expect(parsed.texts.contains("Two <panels>"))
    #expect(parsed.texts.contains("loss") && parsed.texts.contains("accuracy"))
    let layout = grid.layout()
    #expect(parsed.rootAttributes["width"] == SVGNumber.format(layout.width))
    #expect(parsed.rootAttributes["height"] == SVGNumber.format(layout.height))
    #expect(svg.contains("id=\"plot-area-1\"") && svg.contains("id=\"plot-area-2\""))
    #expect(svg.contains("url(#plot-area-1)") && svg.contains("url(#plot-area-2)"))
    #expect(svg.contains("translate(0,\(SVGNumber.format(layout.origins[1].y)))"))
    #expect(layout.origins[1].y == layout.origins[0].y + 200)
  }

  @Test("a shared legend lists each label once, outside every panel; panels draw none")
  func sharedLegend() {
    var first = panel("loss", label: "train")
    first.axes.addLine(y: [2, 1, 0], label: "validation")
    let grid = FigureGrid(
      title: "T", panels: [first, panel("accuracy", label: "train")], columns: 1, legend: .bottom)
    let svg = grid.svg()
    let boxes = legendBoxes(svg)
    #expect(boxes.count == 1)
    #expect(count(">train</text>", in: svg) == 1)
    #expect(count(">validation</text>", in: svg) == 1)
    let layout = grid.layout()
    // Below the second panel's bottom edge.
    #expect(boxes[0].y >= layout.origins[1].y + 200)
    #expect(boxes[0].y + boxes[0].height <= layout.height)

    let right = FigureGrid(title: "T", panels: [first], columns: 1, legend: .right)
    let rightBox = legendBoxes(right.svg())
    #expect(rightBox.count == 1)
    #expect(rightBox[0].x >= 300)
    #expect(right.layout().width >= 300 + rightBox[0].width)
  }

  @Test("a grid writes a PNG of scale × its size")
  func png() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "grid-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let grid = FigureGrid(panels: [panel("a", label: "x"), panel("b", label: "x")], columns: 2)
    let url = folder.appendingPathComponent("grid.png")
    try grid.writePNG(to: url, scale: 1)
    let bytes = [UInt8](try Data(contentsOf: url))
    let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
    let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
    #expect(width == Int(grid.layout().width.rounded()))
    #expect(height == Int(grid.layout().height.rounded()))
  }
}

/// SVG coordinates as the figures write them: at most two decimals, no trailing zeros.
enum SVGNumber {
  static func format(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() { return String(Int(rounded)) }
    var text = String(format: "%.2f", rounded)
    while text.hasSuffix("0") { text.removeLast() }
    return text
  }
}

@Suite("FigureGrid alignment")
struct FigureGridAlignmentTests {
  @Test("panels in one column share the left edge of their plot areas")
  func alignedColumns() {
    var narrow = Figure(width: 400, height: 200)
    narrow.axes.yLabel = "loss"
    narrow.axes.addLine(y: [1, 2])
    var wide = Figure(width: 400, height: 200)
    wide.axes.yLabel = "accuracy (%)"
    wide.axes.addLine(y: [10_000, 20_000])
    #expect(narrow.layout().plotArea.x < wide.layout().plotArea.x)
    let grid = FigureGrid(panels: [narrow, wide], columns: 1)
    let areas = grid.alignedPanels.map { $0.layout().plotArea }
    #expect(areas[0].x == areas[1].x)
    #expect(areas[0].x == wide.layout().plotArea.x)
    // The right edges stay where they were: only the left margin grows.
    #expect(areas[0].maxX == narrow.layout().plotArea.maxX)
  }

  @Test("a short panel still gets at least three labelled y ticks")
  func shortPanelTicks() {
    var figure = Figure(width: 300, height: 180)
    figure.axes.addLine(y: [35, 92])
    #expect(figure.layout().yTicks.count >= 3)
  }
}
