import Foundation
import Plotting
import TestSupport
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Collects element names and the root's attributes; records parse errors.
final class SVGCollector: NSObject, XMLParserDelegate {
  var elements: [String] = []
  var rootAttributes: [String: String] = [:]
  var texts: [String] = []
  var error: Error?
  private var inText = false

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
  ) {
    if elements.isEmpty { rootAttributes = attributeDict }
    elements.append(elementName)
    if elementName == "text" {
      inText = true
      texts.append("")
    }
  }

  func parser(
    _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
    qualifiedName qName: String?
  ) {
    if elementName == "text" { inText = false }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if inText { texts[texts.count - 1] += string }
  }

  func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }

  static func parse(_ svg: String) -> SVGCollector {
    let collector = SVGCollector()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = collector
    if !parser.parse() && collector.error == nil {
      collector.error = parser.parserError ?? PlotError(path: "", reason: "parse failed")
    }
    return collector
  }
}

/// A figure using every kind of mark.
func sampleFigure() -> Figure {
  var figure = Figure(width: 480, height: 360, title: "All <marks> & \"quotes\"")
  figure.axes.xLabel = "x₁"
  figure.axes.yLabel = "x₂"
  figure.axes.addImage(
    RasterImage(
      x: -3...3, y: -3...3, columns: 4, rows: 2,
      colors: [.white, .white, .red, .red, Color.palette(0), .green, .green, .green]))
  figure.axes.addPolygon(
    [Point(0, 0), Point(3, 0), Point(3, 3)], fill: Color.palette(1), label: "region")
  figure.axes.addLine(
    x: [-3, -1, .nan, 1, 3], y: [-2, 1, 0, 2, 2.5], label: "line", dash: .dashed)
  figure.axes.addScatter(x: [0, 1], y: [1, 0], label: "points", colors: [.red, .green])
  figure.axes.addPath([Point(-2, -2), Point(-1, -1.5), Point(0, -1)], label: "path")
  figure.axes.addSegment(from: Point(0, 0), to: Point(10, 10), label: "boundary")
  figure.axes.addPoint(Point(0.5, 0.5), text: "(0.5, 0.5)")
  figure.axes.addText("C₁ & C₂", at: Point(-2, 2))
  figure.axes.xLimits = -3...3
  figure.axes.yLimits = -3...3
  return figure
}

@Suite("Figure")
struct FigureTests {
  @Test("layout maps the limits onto the plot area's edges")
  func layoutMapping() {
    var figure = Figure(width: 640, height: 440)
    figure.axes.xLimits = -2...6
    figure.axes.yLimits = 0...1
    let layout = figure.layout()
    let area = layout.plotArea
    #expect(layout.x(-2) == area.x)
    #expect(layout.x(6) == area.maxX)
    #expect(layout.y(0) == area.maxY)
    #expect(layout.y(1) == area.y)
    expectClose(layout.x(2) ?? .nan, area.x + area.width / 2)
    #expect(area.x > 20 && area.maxX < 640 && area.y > 0 && area.maxY < 440)
    #expect(layout.yTicks.map(\.label) == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
  }

  @Test("equal aspect gives one data unit the same pixel length on both axes")
  func equalAspect() {
    var figure = Figure(width: 640, height: 440)
    figure.axes.xLimits = -3...3
    figure.axes.yLimits = -1...1
    figure.axes.equalAspect = true
    let layout = figure.layout()
    expectClose(layout.x.pixelsPerUnit, layout.y.pixelsPerUnit)
    expectClose(layout.plotArea.width / layout.plotArea.height, 3)
  }

  @Test("automatic limits cover the data with padding")
  func automaticLimits() {
    var figure = Figure()
    figure.axes.addLine(x: [0, 10], y: [5, 7])
    let layout = figure.layout()
    #expect(layout.x.domain.lowerBound < 0 && layout.x.domain.upperBound > 10)
    #expect(layout.y.domain.lowerBound < 5 && layout.y.domain.upperBound > 7)
  }

  @Test("the SVG is well-formed XML with size, viewBox, clip path and escaped text")
  func wellFormed() {
    let svg = sampleFigure().svg()
    let parsed = SVGCollector.parse(svg)
    #expect(parsed.error == nil, "\(String(describing: parsed.error))")
    #expect(parsed.elements.first == "svg")
    #expect(parsed.rootAttributes["width"] == "480")
    #expect(parsed.rootAttributes["height"] == "360")
    #expect(parsed.rootAttributes["viewBox"] == "0 0 480 360")
    #expect(parsed.rootAttributes["font-family"] == "sans-serif")
    #expect(parsed.rootAttributes["xmlns"] == "http://www.w3.org/2000/svg")
    #expect(parsed.elements.contains("clipPath"))
    #expect(parsed.texts.contains("All <marks> & \"quotes\""))
    #expect(parsed.texts.contains("C₁ & C₂"))
    for label in ["line", "points", "path", "boundary", "region"] {
      #expect(parsed.texts.contains(label))
    }
    #expect(svg.contains("clip-path=\"url(#plot-area)\""))
  }

  @Test("x tick labels never overlap, even for long labels on a narrow figure")
  func tickLabelsDoNotOverlap() {
    for width in [200.0, 320, 640] {
      var figure = Figure(width: width, height: 300)
      figure.axes.addLine(x: [123_456, 987_654], y: [0, 1])
      let layout = figure.layout()
      let pixels = layout.xTicks.compactMap { layout.x($0.value) }
      let widest = layout.xTicks.map { Double($0.label.count) * figure.fonts.tick * 0.6 }.max() ?? 0
      #expect(layout.xTicks.count >= 2)
      #expect(zip(pixels, pixels.dropFirst()).allSatisfy { $1 - $0 > widest }, "width \(width)")
    }
  }

  @Test("an empty figure still renders a valid SVG")
  func emptyFigure() {
    #expect(SVGCollector.parse(Figure().svg()).error == nil)
  }

  @Test("a NaN breaks a line into two polylines")
  func nanBreaksLine() {
    var figure = Figure()
    figure.axes.addLine(x: [0, 1, 2, 3, 4], y: [0, 1, .nan, 1, 0])
    #expect(figure.svg().components(separatedBy: "<polyline").count - 1 == 2)
  }

  @Test("raster rows merge equal neighbouring cells into one rect")
  func rasterRuns() {
    var figure = Figure()
    figure.axes.grid = false
    figure.axes.addImage(
      RasterImage(x: 0...4, y: 0...1, columns: 4, rows: 1, colors: [.red, .red, .red, .green]))
    let svg = figure.svg()
    #expect(svg.components(separatedBy: "fill=\"\(Color.red.hexString)\"").count - 1 == 1)
    #expect(svg.components(separatedBy: "fill=\"\(Color.green.hexString)\"").count - 1 == 1)
  }

  @Test("log y axis labels decades and drops non-positive values")
  func logAxis() {
    var figure = Figure()
    figure.axes.yScale = .log10
    figure.axes.addLine(x: [0, 1, 2, 3], y: [1, 0.1, 0, 0.001])
    let layout = figure.layout()
    #expect(layout.yTicks.map(\.label).contains("10⁻²"))
    #expect(SVGCollector.parse(figure.svg()).error == nil)
  }
}

@Suite("Figure output")
struct FigureOutputTests {
  func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "plotting-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  @Test("PNG has the PNG signature and scale × size pixels in its IHDR")
  func png() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("figure.png")
    var figure = sampleFigure()
    figure.width = 300
    figure.height = 200
    try figure.writePNG(to: url, scale: 2)
    let bytes = [UInt8](try Data(contentsOf: url))
    #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    #expect(Array(bytes[12..<16]) == Array("IHDR".utf8))
    let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
    let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
    #expect(width == 600)
    #expect(height == 400)
    // No temporary files are left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["figure.png"])
  }

  @Test("SVG written to disk equals svg() and replaces an existing file")
  func svgFile() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("figure.svg")
    try Data("old".utf8).write(to: url)
    let figure = sampleFigure()
    try figure.writeSVG(to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == figure.svg())
  }

  @Test("writing into a missing folder throws a PlotError naming the path")
  func missingFolder() throws {
    let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/sub/figure.png")
    for write in [
      { try sampleFigure().writePNG(to: url) }, { try sampleFigure().writeSVG(to: url) },
    ] {
      let error = #expect(throws: PlotError.self) { try write() }
      #expect(error?.path == url.path)
      #expect(error?.description.contains(url.path) == true)
      #expect(error?.reason.contains("does not exist") == true)
    }
  }

  @Test("a bad scale throws instead of crashing")
  func badScale() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("never.png")
    #expect(throws: PlotError.self) { try sampleFigure().writePNG(to: url, scale: 0) }
    #expect(throws: PlotError.self) { try sampleFigure().writePNG(to: url, scale: .infinity) }
  }

  /// Writes sample figures as PNG into $PLOT_GALLERY (for looking at them); skipped otherwise.
  @Test("gallery", .enabled(if: ProcessInfo.processInfo.environment["PLOT_GALLERY"] != nil))
  func gallery() throws {
    let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PLOT_GALLERY"] ?? "/tmp")
    try sampleFigure().writePNG(to: folder.appendingPathComponent("sample.png"))
    var nll = Figure(width: 640, height: 420, title: "Negative log-likelihood")
    nll.axes.xLabel = "epoch"
    nll.axes.yLabel = "NLL"
    nll.axes.yScale = .log10
    for (index, rate) in [0.5, 0.3, 0.1, 0.05, 0.01].enumerated() {
      let curve = (0..<500).map { epoch in 0.02 + 0.7 * Foundation.exp(-rate * Double(epoch) / 8) }
      nll.axes.addLine(y: curve, label: "η = \(rate)", dash: index == 4 ? .dashed : .solid)
    }
    try nll.writePNG(to: folder.appendingPathComponent("nll.png"))
    var path = Figure(width: 560, height: 420, title: "Separator path")
    path.axes.xLabel = "slope m"
    path.axes.yLabel = "intercept b"
    path.axes.addPath(
      (0..<40).map {
        Point(-1 + Foundation.cos(Double($0) / 3) * 2 / Double($0 + 1), 0.5 + Double($0) * 0.01)
      },
      label: "separator")
    path.axes.legend = .outsideRight
    try path.writePNG(to: folder.appendingPathComponent("path.png"))
    var scatter = Figure(width: 520, height: 400, title: "Data")
    scatter.axes.xLabel = "x₁"
    scatter.axes.yLabel = "x₂"
    let xs = (0..<60).map { Foundation.sin(Double($0) * 1.7) * 3 }
    let ys = (0..<60).map { Foundation.cos(Double($0) * 2.3) * 2 + Double($0 % 2) }
    scatter.axes.addScatter(
      x: xs, y: ys, label: "t = 0 / 1",
      colors: (0..<60).map { $0 % 2 == 0 ? Color.palette(0) : Color.palette(1) })
    scatter.axes.addSegment(from: Point(-3, -1), to: Point(3, 2), label: "separator")
    scatter.axes.legend = .bottomLeft
    scatter.axes.equalAspect = true
    try scatter.writePNG(to: folder.appendingPathComponent("scatter.png"))
  }
}
