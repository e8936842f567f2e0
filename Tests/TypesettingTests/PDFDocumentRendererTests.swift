import Foundation
import TestSupport
import Testing
import Typesetting

/// A one-colour SVG of `width` × `height` CSS pixels.
private func svg(width: Int, height: Int) -> String {
  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\">"
    + "<rect width=\"\(width)\" height=\"\(height)\" fill=\"#000000\"/></svg>"
}

/// A 4 × 3 RGB PNG.
private let tinyPNG = Data(
  base64Encoded:
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAEElEQVR4nGNoUFCAIwacHAC0JwkBx2CG8gAAAABJRU5ErkJggg=="
)

@Suite(
  "PDFDocumentRenderer",
  .enabled(if: PDFTools.available, "poppler-utils (pdftotext, pdfinfo, pdffonts) is not installed"))
struct PDFDocumentRendererTests {
  @Test("headings, numbers, sub- and superscripts come back as text; every font is embedded")
  func textAndFonts() throws {
    let folder = try ScratchFolder()
    let pdf = try folder.render([
      (
        "Part 1 — Softmax",
        "<h3>Answers</h3><p>p(C<sub>1</sub>|x) = 0.3333 and e<sup>−a</sup>; δ ∂E/∂w = -0.444623</p>"
          + "<div class=\"answer\"><p><b>Output layer.</b> y − t</p></div><pre>code  block</pre>"
      ),
      ("Part 2 — Backprop", "<ol><li>first item</li><li>second item</li></ol>"),
    ])
    let text = try PDFTools.text(pdf)
    for expected in [
      "Test report", "Contents", "Part 1 — Softmax", "Answers", "0.3333", "Output layer.",
      "first item", "code", "block", "-0.444623", "∂E/∂w", "δ",
    ] {
      #expect(text.contains(expected), "missing \(expected)")
    }
    // Sub- and superscripts are separate runs of text: their characters are all there.
    #expect(text.contains("p(C") && text.contains("|x)") && text.contains("−a"))
    let fonts = try PDFTools.fonts(pdf)
    #expect(!fonts.isEmpty)
    let unembedded = fonts.filter { !$0.embedded }.map(\.name)
    #expect(unembedded.isEmpty, "not embedded: \(unembedded)")
    #expect(try PDFTools.info(pdf)["Title"] == "Test report")
  }

  @Test("the title page lists each section with the page it starts on; footers count pages")
  func contentsAndFooters() throws {
    let folder = try ScratchFolder()
    let filler = (1...70).map { "<p>Filler paragraph \($0).</p>" }.joined()
    let pdf = try folder.render([("Alpha section", filler), ("Beta section", "<p>beta</p>")])
    let pages = try PDFTools.pageCount(pdf)
    #expect(pages == 4)
    let contents = try PDFTools.text(pdf, page: 1)
    #expect(contents.contains("Alpha section"))
    let betaLine = contents.split(separator: "\n").first { $0.contains("Beta section") }
    #expect(betaLine?.hasSuffix("4") == true, "contents line: \(betaLine ?? "none")")
    #expect(try PDFTools.text(pdf, page: 4).contains("Beta section"))
    #expect(try PDFTools.text(pdf, page: 2).contains("page 2 of 4"))
  }

  @Test("page size: A4 is 595 × 842 pt, US Letter 612 × 792 pt")
  func paperSizes() throws {
    let folder = try ScratchFolder()
    let a4 = try folder.render([("S", "<p>x</p>")], paper: .a4, name: "a4.pdf")
    let letter = try folder.render([("S", "<p>x</p>")], paper: .letter, name: "letter.pdf")
    #expect(try PDFTools.info(a4)["Page size"]?.hasPrefix("595.276 x 841.89") == true)
    #expect(try PDFTools.info(letter)["Page size"]?.hasPrefix("612 x 792") == true)
  }

  @Test("a long table repeats its header on each page and never splits a row")
  func longTable() throws {
    let folder = try ScratchFolder()
    let rows = (1...90).map { index in
      "<tr><td>row\(index)start</td><td style=\"text-align:right\">\(index * 7)</td>"
        + "<td>a wrapped cell that takes several lines because it is rather long, ending "
        + "row\(index)end</td></tr>"
    }
    let html =
      "<table><thead><tr><th>name</th><th style=\"text-align:right\">value</th>"
      + "<th>description</th></tr></thead><tbody>\(rows.joined())</tbody></table>"
    let pdf = try folder.render([("Table", html)])
    let pageCount = try PDFTools.pageCount(pdf)
    #expect(pageCount >= 4)
    var startPage: [Int: Int] = [:]
    var endPage: [Int: Int] = [:]
    for page in 2...pageCount {
      let text = try PDFTools.text(pdf, page: page)
      #expect(text.contains("description"), "no header on page \(page)")
      for index in 1...90 {
        if text.contains("row\(index)start") { startPage[index] = page }
        if text.contains("row\(index)end") { endPage[index] = page }
      }
    }
    for index in 1...90 {
      #expect(startPage[index] != nil && startPage[index] == endPage[index], "row \(index) split")
    }
  }

  @Test("a heading is never the last thing on a page")
  func headingKeptWithNext() throws {
    let folder = try ScratchFolder()
    for fillers in stride(from: 44, through: 56, by: 2) {
      let filler = (1...fillers).map { "<p>Line \($0).</p>" }.joined()
      let pdf = try folder.render(
        [("S", filler + "<h3>Lonely heading</h3><p>Following paragraph.</p>")],
        name: "h\(fillers).pdf")
      let pages = try (1...PDFTools.pageCount(pdf)).map { try PDFTools.text(pdf, page: $0) }
      let headingPage = pages.firstIndex { $0.contains("Lonely heading") }
      let paragraphPage = pages.firstIndex { $0.contains("Following paragraph.") }
      #expect(headingPage != nil && headingPage == paragraphPage, "with \(fillers) fillers")
    }
  }

  @Test("a very tall figure is scaled to fit the page and never overflows into the margin")
  func tallFigure() throws {
    let folder = try ScratchFolder()
    try folder.write(svg(width: 300, height: 4000), to: "tall.svg")
    let pdf = try folder.render([
      (
        "Figures",
        "<p>Before.</p><figure><img src=\"tall.png\"><figcaption>Tall one</figcaption></figure><p>After.</p>"
      )
    ])
    #expect(try PDFTools.pageCount(pdf) == 3)
    #expect(try PDFTools.text(pdf, page: 2).contains("Tall one"))
    // At 36 dpi a point is half a pixel. The bottom margin (70.9 pt) holds only the page number:
    // rows below the text block and above the footer must be white; the figure must be there.
    let pixels = try PDFTools.grayPixels(pdf, page: 2, dpi: 36)
    let textBottom = Int(((841.89 - 70.9) / 2).rounded(.up)) + 1
    let footerTop = Int(((841.89 - 70.9 / 2 - 10) / 2).rounded(.down))
    let marginInk = pixels[textBottom..<footerTop].joined().filter { $0 < 200 }.count
    #expect(marginInk == 0)
    #expect(pixels.joined().filter { $0 < 50 }.count > 1000)
    #expect(try PDFTools.rasterImageCount(pdf) == 0, "the SVG beside the PNG is drawn as vectors")
  }

  @Test("a PNG without an SVG beside it is drawn as a raster image")
  func pngFallback() throws {
    let folder = try ScratchFolder()
    try #require(tinyPNG).write(to: folder.url.appendingPathComponent("small.png"))
    let pdf = try folder.render([("S", "<figure><img src=\"small.png\"></figure>")])
    #expect(try PDFTools.rasterImageCount(pdf) == 1)
  }

  @Test("a missing figure is an error naming the file and the fix, and leaves no file behind")
  func missingFigure() throws {
    let folder = try ScratchFolder()
    try folder.write("old contents", to: "out.pdf")
    let sections = [("S", "<figure><img src=\"absent.png\" alt=\"Regions\"></figure>")]
    do {
      _ = try folder.render(sections)
      Issue.record("rendering should have failed")
    } catch let error as TypesettingError {
      #expect(error.path.hasSuffix("absent.png"))
      #expect(error.description.contains("does not exist"))
      #expect(error.description.contains("missingImages: .note"))
    }
    #expect(try folder.contents() == ["out.pdf"], "a temporary file was left behind")
    let old = try String(contentsOf: folder.url.appendingPathComponent("out.pdf"), encoding: .utf8)
    #expect(old == "old contents")
    let noted = try folder.render(sections, missingImages: .note, name: "noted.pdf")
    #expect(try PDFTools.text(noted).contains("figure missing: absent.png (Regions)"))
  }

  @Test("a folder that does not exist is an error naming it")
  func missingFolder() throws {
    let folder = try ScratchFolder()
    let target = folder.url.appendingPathComponent("no/such/out.pdf")
    #expect {
      try PDFDocumentRenderer().render(
        title: "T", sections: [("S", "<p>x</p>")], resourcesFolder: folder.url, to: target)
    } throws: { error in
      (error as? TypesettingError)?.description.contains("does not exist") == true
    }
  }
}
