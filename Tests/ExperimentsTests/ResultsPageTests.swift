import Foundation
import ImageCodecs
import Testing

@testable import Experiments

/// The text between the first `start` and the next `end` after it (searched in UTF-8 `Data`:
/// `String.range(of:)` would bridge a 25 MB page to UTF-16 first).
private func text(in html: String, between start: String, and end: String) -> String? {
  let bytes = Data(html.utf8)
  guard let open = bytes.range(of: Data(start.utf8)),
    let close = bytes.range(of: Data(end.utf8), in: open.upperBound..<bytes.endIndex)
  else { return nil }
  return String(decoding: bytes[open.upperBound..<close.lowerBound], as: UTF8.self)
}

/// The page's embedded JSON, parsed.
private func embeddedData(_ html: String) throws -> [String: Any] {
  let json = try #require(
    text(in: html, between: "<script type=\"application/json\" id=\"rp-data\">", and: "</script>"))
  return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
}

/// The PNG of sprite sheet `index`, decoded from the page's base64.
private func sheet(_ index: Int, in html: String) throws -> Image {
  let base64 = try #require(
    text(
      in: html, between: "<script type=\"text/plain\" id=\"rp-sheet-\(index)\">", and: "</script>"))
  let png = try #require(Data(base64Encoded: base64))
  return try Image.decode([UInt8](png), path: "sheet \(index)")
}

/// A `width × height` RGB image whose samples are a known function of `seed`, position and channel.
private func patterned(width: Int, height: Int, seed: Int) -> Image {
  var pixels: [UInt8] = []
  for y in 0..<height {
    for x in 0..<width {
      for channel in 0..<3 {
        pixels.append(UInt8((seed * 37 + y * 11 + x * 3 + channel * 50) % 256))
      }
    }
  }
  return Image(width: width, height: height, channels: 3, pixels: pixels)
}

/// One-hot-ish probabilities: `top` gets `confidence`, the rest share what is left.
private func probabilities(classes: Int, top: Int, confidence: Float) -> [Float] {
  (0..<classes).map { $0 == top ? confidence : (1 - confidence) / Float(classes - 1) }
}

@Suite("Results page")
struct ResultsPageTests {
  @Test("a 128×96 image shrinks to 64×48 by 2×2 block averages; gray becomes RGB")
  func thumbnailAveraging() throws {
    var pixels: [UInt8] = []
    for y in 0..<96 {
      for x in 0..<128 {
        // Red: a one-pixel checkerboard (every 2×2 block averages 127.5 → 128); green: constant;
        // blue: 0 on the left half, 100 on the right (block-aligned at x = 64).
        pixels += [(x + y) % 2 == 0 ? 255 : 0, 200, x < 64 ? 0 : 100]
      }
    }
    let thumbnail = ResultsPage.thumbnail(
      of: Image(width: 128, height: 96, channels: 3, pixels: pixels), maximumSide: 64)
    #expect(thumbnail.width == 64 && thumbnail.height == 48 && thumbnail.channels == 3)
    for y in 0..<48 {
      for x in 0..<64 {
        #expect(thumbnail[y, x, 0] == 128 && thumbnail[y, x, 1] == 200)
        #expect(thumbnail[y, x, 2] == (x < 32 ? 0 : 100))
      }
    }
    let gray = Image(width: 20, height: 10, channels: 1, pixels: Array(repeating: 77, count: 200))
    let small = ResultsPage.thumbnail(of: gray, maximumSide: 64)
    #expect(
      small.width == 20 && small.height == 10 && small.pixels == Array(repeating: 77, count: 600))
  }

  @Test("a non-integer shrink keeps the aspect ratio and the mean colour")
  func thumbnailMean() {
    // 100×30 gray, the left 45 columns 90 and the right 55 columns 210: mean 156. The scale
    // 0.64 gives 64×19; output column i covers input columns [1.5625 i, 1.5625 (i + 1)).
    let pixels = (0..<30).flatMap { _ in (0..<100).map { $0 < 45 ? UInt8(90) : 210 } }
    let thumbnail = ResultsPage.thumbnail(
      of: Image(width: 100, height: 30, channels: 1, pixels: pixels), maximumSide: 64)
    #expect(thumbnail.width == 64 && thumbnail.height == 19 && thumbnail.channels == 3)
    // Column 27 covers [42.19, 43.75): 90. Column 28 covers [43.75, 45.3125): 1.25 of 90 and
    // 0.3125 of 210, (1.25 · 90 + 0.3125 · 210) / 1.5625 = 114. Column 29 on: 210.
    for y in [0, 9, 18] {
      #expect(thumbnail[y, 27, 0] == 90 && thumbnail[y, 28, 1] == 114 && thumbnail[y, 29, 2] == 210)
    }
    // (28 · 90 + 114 + 35 · 210) / 64 = 156: area averaging keeps the mean.
    let mean = thumbnail.pixels.reduce(0) { $0 + Double($1) } / Double(thumbnail.pixels.count)
    #expect(mean == 156)
    for weights in ResultsPage.boxWeights(input: 100, output: 64) {
      #expect(abs(weights.weights.reduce(0, +) - 1) < 1e-12)
    }
  }

  @Test("sprite packing puts thumbnail k in sheet k / 8 at its grid cell, through PNG and back")
  func spritePacking() throws {
    // 23 thumbnails, 6×4 and 5×3, in 4×2-cell sheets: cells 6×4, sheets 8 + 8 + 7.
    let thumbnails = (0..<23).map {
      patterned(width: $0 % 3 == 0 ? 5 : 6, height: $0 % 3 == 0 ? 3 : 4, seed: $0)
    }
    let atlas = ThumbnailAtlas(thumbnails: thumbnails, columns: 4, rows: 2)
    #expect(atlas.cellWidth == 6 && atlas.cellHeight == 4 && atlas.sheets.count == 3)
    #expect(atlas.sheets.map(\.width) == [24, 24, 24] && atlas.sheets.map(\.height) == [8, 8, 8])
    #expect(atlas.location(of: 13) == (sheet: 1, x: 6, y: 4))
    #expect(atlas.location(of: 22) == (sheet: 2, x: 12, y: 4))
    let decoded = try atlas.sheets.indices.map {
      try Image.decode(
        [UInt8](ResultsPage.pngData(atlas.sheets[$0], label: "sheet \($0)")), path: "sheet")
    }
    #expect(decoded == atlas.sheets)
    for index in [0, 5, 13, 22] {
      let (sheetIndex, left, top) = atlas.location(of: index)
      let thumbnail = thumbnails[index]
      for y in 0..<thumbnail.height {
        for x in 0..<thumbnail.width {
          for channel in 0..<3 {
            #expect(decoded[sheetIndex][top + y, left + x, channel] == thumbnail[y, x, channel])
          }
        }
      }
    }
    // Thumbnail 12 is 5×3 in a 6×4 cell (1, 0 of sheet 1): the rest of its cell is white.
    #expect(decoded[1][3, 6 + 5, 0] == 255 && decoded[1][3, 6, 0] == 255)
  }

  @Test("the page embeds every sample with its predicted label and the sprites decode")
  func embeddedSamples() throws {
    let names = ["cat", "dog", "ship"]
    // (label, predicted, confidence); wrong ones: 1, 4, 6.
    let cases = [
      (0, 0, 0.9), (1, 2, 0.6), (2, 2, 0.5), (0, 0, 0.75), (2, 1, 0.99), (1, 1, 0.4), (0, 1, 0.8),
    ]
    let samples = cases.enumerated().map { index, item in
      ResultsPageSample(
        image: patterned(width: 32, height: 32, seed: index), label: item.0,
        probabilities: probabilities(classes: 3, top: item.1, confidence: Float(item.2)),
        name: "test #\(index)")
    }
    let history = [
      HeadEpochMetrics(
        epoch: 1, trainLoss: 1.5, trainAccuracy: 0.4, validationLoss: 1.2, validationAccuracy: 0.5),
      HeadEpochMetrics(epoch: 2, trainLoss: 1.1, trainAccuracy: 0.6),
    ]
    let page = ResultsPage(
      title: "CIFAR-3", classNames: names, samples: samples, history: history,
      settings: [.init("epochs", "2")], notes: ["Backbone weights: random (seeded) — not ImageNet"])
    let html = try page.html()
    let data = try embeddedData(html)
    let rows = try #require(data["samples"] as? [[Any]])
    #expect(rows.count == 7)
    #expect(rows.map { $0[0] as? Int } == cases.map(\.0))
    #expect(rows.map { $0[1] as? Int } == cases.map(\.1))
    #expect(rows.indices.filter { rows[$0][0] as? Int != rows[$0][1] as? Int } == [1, 4, 6])
    #expect(rows.map { $0[3] as? Int } == [9000, 6000, 5000, 7500, 9900, 4000, 8000])
    #expect(rows[1][2] as? Int == 2000 && rows[1][5] as? String == "test #1")
    #expect(rows[0][4] as? [Int] == [9000, 500, 500] && data["full"] as? Bool == true)
    // 4 of 7 right; the note, the setting, the curves and a confusion cell are on the page.
    #expect(html.contains("<b>57.14 %</b><span>test accuracy</span>"))
    #expect(html.contains("<p class=\"note\">Backbone weights: random (seeded) — not ImageNet</p>"))
    #expect(html.contains("<td>epochs</td>") && html.contains("<svg"))
    #expect(html.contains("data-t=\"2\" data-p=\"1\" style=\"background:rgba(198,40,40,"))
    let first = try sheet(0, in: html)
    #expect(first.width == 7 * 32 && first.height == 32)
    #expect(first[7, 4 * 32 + 9, 1] == samples[4].image[7, 9, 1])
    #expect(!html.contains("rp-sheet-1"))
  }

  @Test("more than 10 classes: samples keep their top 5 scores as class, probability pairs")
  func topScores() throws {
    let names = (0..<12).map { "class \($0)" }
    var scores = [Float](repeating: 0.01, count: 12)
    scores[7] = 0.5
    scores[3] = 0.2
    scores[11] = 0.1
    scores[0] = 0.05
    scores[5] = 0.04
    let page = ResultsPage(
      title: "t", classNames: names,
      samples: [
        ResultsPageSample(
          image: patterned(width: 8, height: 8, seed: 1), label: 3, probabilities: scores)
      ])
    let rows = try #require(try embeddedData(page.html())["samples"] as? [[Any]])
    #expect(rows[0][4] as? [Int] == [7, 5000, 3, 2000, 11, 1000, 0, 500, 5, 400])
    #expect(rows[0][1] as? Int == 7 && rows[0][2] as? Int == 2000)
  }

  @Test("hostile class names, titles and notes are escaped in HTML and in the embedded JSON")
  func escaping() throws {
    let hostile = "<script>alert(1)</script>"
    let page = ResultsPage(
      title: hostile, classNames: [hostile, "a&b \"q\""],
      samples: [
        ResultsPageSample(
          image: patterned(width: 4, height: 4, seed: 0), label: 0, probabilities: [0.3, 0.7],
          name: "</script><img src=x onerror=alert(1)>")
      ],
      history: [], settings: [.init(hostile, hostile)], notes: [hostile])
    let html = try page.html()
    #expect(!html.contains("<script>alert") && !html.contains("<img"))
    #expect(html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"))
    #expect(html.contains("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"))
    // Exactly three script elements: the data, one sprite sheet, the code.
    #expect(html.components(separatedBy: "<script").count - 1 == 3)
    #expect(html.components(separatedBy: "</script>").count - 1 == 3)
    #expect(!ResultsPage.script.contains("</") && !ResultsPage.stylesheet.contains("</"))
    let data = try embeddedData(html)
    #expect(data["classes"] as? [String] == [hostile, "a&b \"q\""])
    let rows = try #require(data["samples"] as? [[Any]])
    #expect(rows[0][5] as? String == "</script><img src=x onerror=alert(1)>")
    #expect(ResultsPage.jsonString("\u{2028}\n\\\"") == #""\u2028\u000a\\\"""#)
  }

  @Test("invalid samples throw errors that name the sample and the fix")
  func validation() throws {
    let image = patterned(width: 2, height: 2, seed: 0)
    func page(_ samples: [ResultsPageSample], classes: [String] = ["a", "b", "c"]) -> ResultsPage {
      ResultsPage(title: "t", classNames: classes, samples: samples)
    }
    let ok = ResultsPageSample(image: image, label: 0, probabilities: [0.2, 0.3, 0.5])
    #expect(
      throws: ResultsPageError(
        description:
          "ResultsPage: sample 1 (dog.png) has 2 probabilities but there are 3 classes in "
          + "classNames; pass one softmax probability per class")
    ) {
      try page([
        ok, ResultsPageSample(image: image, label: 1, probabilities: [0.5, 0.5], name: "dog.png"),
      ]).html()
    }
    #expect(
      throws: ResultsPageError(
        description: "ResultsPage: sample 0 has label 3, outside 0..<3 (classNames has 3 entries)")
    ) {
      try page([ResultsPageSample(image: image, label: 3, probabilities: [0.2, 0.3, 0.5])])
        .validate()
    }
    #expect(throws: ResultsPageError.self) {
      try page([ResultsPageSample(image: image, label: 0, probabilities: [2.5, -1, 0.1])])
        .validate()
    }
    #expect(throws: ResultsPageError.self) {
      try page([ResultsPageSample(image: image, label: 0, probabilities: [.nan, 0, 1])]).validate()
    }
    #expect(throws: ResultsPageError.self) { try page([], classes: []).validate() }
    var zeroSide = page([ok])
    zeroSide.thumbnailSide = 0
    #expect(throws: ResultsPageError.self) { try zeroSide.validate() }
    // No samples is a valid (empty) page.
    #expect(try page([]).html().contains("<span>test images</span>"))
  }

  @Test("write replaces the page atomically and leaves no temporary file, even on failure")
  func atomicWrite() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-results-page-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("results.html")
    let sample = ResultsPageSample(
      image: patterned(width: 3, height: 3, seed: 2), label: 1, probabilities: [0.1, 0.9])
    var page = ResultsPage(title: "first", classNames: ["a", "b"], samples: [sample])
    try page.write(to: url)
    page.title = "second"
    try page.write(to: url)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["results.html"])
    #expect(try String(contentsOf: url, encoding: .utf8).contains("<title>second</title>"))
    page.samples[0].label = 5
    #expect(throws: ResultsPageError.self) { try page.write(to: url) }
    let blocker = folder.appendingPathComponent("file")
    try Data().write(to: blocker)
    #expect(throws: ResultsPageError.self) {
      try page.write(to: blocker.appendingPathComponent("x.html"))
    }
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == [
        "file", "results.html",
      ])
    #expect(try String(contentsOf: url, encoding: .utf8).contains("<title>second</title>"))
  }

  @Test("10,000 32×32 images make a page of 100 sprite sheets under 40 MB")
  func tenThousand() throws {
    // 50 distinct textured images (smooth gradients + deterministic noise), reused.
    var state: UInt32 = 12345
    let images = (0..<50).map { seed -> Image in
      var pixels = [UInt8](repeating: 0, count: 32 * 32 * 3)
      for index in pixels.indices {
        state = state &* 1_664_525 &+ 1_013_904_223
        let pixel = index / 3
        pixels[index] = UInt8((pixel % 32 * 4 + pixel / 32 * 3 + seed * 5 + Int(state >> 28)) % 256)
      }
      return Image(width: 32, height: 32, channels: 3, pixels: pixels)
    }
    let samples = (0..<10_000).map { index in
      ResultsPageSample(
        image: images[index % 50], label: index % 10,
        probabilities: probabilities(classes: 10, top: index % 7, confidence: 0.55),
        name: "test #\(index)")
    }
    let page = ResultsPage(
      title: "CIFAR-10", classNames: (0..<10).map { "class \($0)" }, samples: samples)
    let html = try page.html()
    let bytes = Data(html.utf8)
    #expect(bytes.count < 40_000_000)
    #expect(bytes.range(of: Data("id=\"rp-sheet-99\"".utf8)) != nil)
    #expect(bytes.range(of: Data("id=\"rp-sheet-100\"".utf8)) == nil)
    let rows = try #require(try embeddedData(html)["samples"] as? [[Any]])
    #expect(rows.count == 10_000 && rows[9_999][1] as? Int == 9_999 % 7)
  }
}
