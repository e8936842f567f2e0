import Foundation
import Plotting

extension SoftmaxRegionsResult {
  private typealias S = SoftmaxRegions

  private func pointText(_ p: Point, decimals: Int = 4) -> String {
    "(\(S.format(p.x, decimals: decimals)), \(S.format(p.y, decimals: decimals)))"
  }

  private func probabilityList(_ probabilities: [Double]) -> String {
    probabilities.indices.map {
      "p(\(Self.className($0))) = \(Self.probabilityHTML(probabilities[$0]))"
    }
    .joined(separator: ", ")
  }

  private func sample(_ samples: [ProbabilitySample], at distance: Double) -> ProbabilitySample? {
    samples.first { $0.distance == distance } ?? samples.last
  }

  /// The model, one line per class.
  public var modelDescription: [String] {
    activations.indices.map { "a\(Self.subscripted($0 + 1)) = \(activations[$0].formula)" }
  }

  /// Answers to the assignment's three questions, built from the computed numbers, as plain
  /// text (`e^a`, `e^(−gap)`).
  public func answers() -> [String] { answersHTML().map { MarkupText.plainText(fromHTML: $0) } }

  /// The answers as HTML fragments, exponents as superscripts.
  public func answersHTML() -> [String] {
    let k = activations.count
    var q1: String
    if let common = commonPoint {
      q1 =
        "At the green point x* = \(pointText(common.point)) all \(k) activations are equal, "
        + "a = \(S.format(common.activation)). Softmax depends only on differences of activations, so "
        + "p(Cₖ|x*) = e<sup>a</sup> / (\(k)·e<sup>a</sup>) = 1/\(k) ≈ \(Self.probabilityHTML(1 / Double(k))) for every class "
        + "(computed: \(probabilityList(common.probabilities)))."
    } else {
      q1 =
        "There is no single point where all \(k) activations are equal. \(Self.escape(noCommonPointReason ?? ""))"
    }
    let far = distances.last ?? 0
    let near = distances.first { $0 >= 1 } ?? far
    var q2 = [String]()
    for b in boundaries {
      let (i, j) = (Self.className(b.first), Self.className(b.second))
      var text =
        "On the red \(b.kind.rawValue) between \(i) and \(j) (\(Self.escape(b.equation)), heading "
        + "\(pointText(b.direction, decimals: 3))) a\(Self.subscripted(b.first + 1)) = "
        + "a\(Self.subscripted(b.second + 1)), so p(\(i)|x) = p(\(j)|x) everywhere on it."
      if !b.losingRates.isEmpty {
        let rates = b.losingRates.map {
          "\(Self.className($0.classIndex)) by \(S.format($0.rate, decimals: 3))"
        }
        .joined(separator: ", ")
        text +=
          " Moving away from \(commonPoint == nil ? "its start" : "the green point"), the tied pair pulls "
          + "ahead of the others linearly (per unit distance: \(rates)), so the other probabilities decay "
          + "like e<sup>−rate·t</sup> and the tied two "
          + (commonPoint == nil ? "approach 1/2 each" : "rise from 1/\(k) to 1/2 each")
        if let s1 = sample(b.samples, at: near), let s2 = sample(b.samples, at: far) {
          text +=
            ": at distance \(S.format(s1.distance)) \(probabilityList(s1.probabilities)); at distance "
            + "\(S.format(s2.distance)) \(probabilityList(s2.probabilities))."
        } else {
          text += "."
        }
      }
      q2.append(text)
    }
    if boundaries.isEmpty {
      q2.append("No pair of classes ties anywhere while beating the others.")
    }
    var q3 = [String]()
    for r in regions {
      let name = Self.className(r.classIndex)
      var text =
        "In the middle of \(name)'s region (direction \(pointText(r.direction, decimals: 3)), the bisector of "
        + "its \(S.format(r.openingDegrees, decimals: 1))° sector), a\(Self.subscripted(r.classIndex + 1)) "
        + "exceeds every other activation by a gap that grows linearly with distance ("
        + r.losingRates.map {
          "\(Self.className($0.classIndex)): \(S.format($0.rate, decimals: 3))"
        }
        .joined(separator: ", ")
        + " per unit), so p(\(name)|x) = 1/(1 + Σ e<sup>−gap</sup>) → 1 and the other probabilities → 0: "
        + "softmax saturates towards a hard (one-hot) decision"
      if let s1 = sample(r.samples, at: near), let s2 = sample(r.samples, at: far) {
        text +=
          ". At distance \(S.format(s1.distance)) p(\(name)|x) = "
          + "\(Self.probabilityHTML(s1.probabilities[r.classIndex])); at distance \(S.format(s2.distance)) it is "
          + "\(Self.probabilityHTML(s2.probabilities[r.classIndex]))."
      }
      q3.append(text)
    }
    if !classesWithoutRegion.isEmpty {
      q3.append(
        "Never winning far away: "
          + classesWithoutRegion.map(Self.className).joined(separator: ", ")
          + " (their probability tends to 0 in every direction).")
    }
    return [
      "1. Probabilities at the green point. " + q1,
      "2. Along the red lines. " + q2.joined(separator: " "),
      "3. Far inside a region. " + q3.joined(separator: " "),
    ]
  }

  private func probabilityTable(_ samples: [ProbabilitySample], caption: String) -> Table {
    let columns =
      [
        Table.Column("distance", alignment: .right), .init("x₁", alignment: .right),
        .init("x₂", alignment: .right),
      ]
      + activations.indices.map { Table.Column("p(\(Self.className($0))|x)", alignment: .right) }
    let rows = samples.map { s in
      [S.format(s.distance), S.format(s.point.x, decimals: 3), S.format(s.point.y, decimals: 3)]
        + s.probabilities.map(S.formatProbability)
    }
    return Table(columns: columns, rows: rows, caption: caption)
  }

  /// Probability tables along every boundary ray/line and every region's middle direction.
  public func tables() -> [Table] {
    var tables: [Table] = []
    for b in boundaries where !b.samples.isEmpty {
      tables.append(
        probabilityTable(
          b.samples,
          caption: "Along the boundary \(Self.className(b.first))/\(Self.className(b.second)) from "
            + "\(pointText(b.origin, decimals: 3)), direction \(pointText(b.direction, decimals: 3))"
        ))
    }
    for r in regions {
      tables.append(
        probabilityTable(
          r.samples,
          caption: "Into the middle of \(Self.className(r.classIndex))'s region from "
            + "\(pointText(start, decimals: 3)), direction \(pointText(r.direction, decimals: 3))"))
    }
    return tables
  }

  /// The boundaries as a table: pair, kind, equation, start, direction.
  public func boundaryTable() -> Table {
    Table(
      columns: [
        .init("classes"), .init("kind"), .init("line"), .init("start"), .init("direction"),
      ],
      rows: boundaries.map { b in
        [
          "\(Self.className(b.first))/\(Self.className(b.second))", b.kind.rawValue, b.equation,
          pointText(b.origin, decimals: 3), pointText(b.direction, decimals: 3),
        ]
      }, caption: "Decision boundaries (where two classes tie and beat all others)")
  }

  /// The section as plain text for a terminal.
  public func text(figures: [String] = []) -> String {
    var lines = ["Model:"] + modelDescription.map { "  " + $0 } + [""]
    if let common = commonPoint {
      lines.append(
        "Common point: x* = \(pointText(common.point)), all activations = \(S.format(common.activation))"
      )
    } else {
      lines.append("No common point: \(noCommonPointReason ?? "")")
    }
    lines += hiddenPairs.map { "Not a boundary: " + $0 }
    lines += ["", boundaryTable().text()]
    lines += tables().map { $0.text() }
    lines += answers().flatMap { [$0, ""] }
    if !figures.isEmpty { lines.append("Figures: " + figures.joined(separator: ", ")) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes the two figures (SVG + PNG) into `folder` and returns the report section.
  /// Figure names in the section are `linkPrefix` + file name (pass the folder's path relative to
  /// the report page, e.g. `"softmax/"`, when it is not the report folder itself).
  /// - Throws: `PlotError` naming the file when a figure cannot be written.
  public func section(figuresIn folder: URL, linkPrefix: String = "") throws -> ReportSection {
    let figures: [(name: String, figure: Figure, caption: String)] = [
      (
        "softmax-regions", regionsFigure(),
        "Decision regions (soft colours), decision boundaries (red) and the common point (green)."
      ),
      (
        "softmax-probability-map", probabilityMapFigure(),
        "Winning class (hue) and its probability max p(Cₖ|x) (intensity: pale where classes tie, deep where p → 1)."
      ),
      (
        "softmax-probability-profiles", probabilityProfilesFigure(),
        "Along each red boundary the tied classes' probability rises to 1/2 (solid); along the middle of each "
          + "region the winner's probability rises to 1 (dashed)."
      ),
    ]
    var names: [String] = []
    var html = "<p>" + modelDescription.map(Self.escape).joined(separator: "<br>\n") + "</p>\n"
    for item in figures {
      try item.figure.writeSVG(to: folder.appendingPathComponent(item.name + ".svg"))
      try item.figure.writePNG(to: folder.appendingPathComponent(item.name + ".png"), scale: 2)
      let png = linkPrefix + item.name + ".png"
      let svg = linkPrefix + item.name + ".svg"
      names += [svg, png]
      html +=
        "<figure><a href=\"\(Self.escape(svg))\"><img src=\"\(Self.escape(png))\" width=\"\(Int(item.figure.width))\" "
        + "height=\"\(Int(item.figure.height))\" alt=\"\(Self.escape(item.caption))\"></a><figcaption>\(Self.escape(item.caption))</figcaption></figure>\n"
    }
    html +=
      "<h3>Answers</h3>\n" + answersHTML().map { "<p>\($0)</p>" }.joined(separator: "\n")
      + "\n"
    // Tables with powers of ten and true minus signs.
    func numbers(_ table: Table) -> String {
      table.html(captionHTML: table.caption.map(MarkupText.numbersHTML)) { row, column in
        MarkupText.numbersHTML(table.rows[row][column])
      }
    }
    html += "<h3>Numbers</h3>\n" + numbers(boundaryTable()) + tables().map(numbers).joined()
    return ReportSection(
      title: "Part 1 — Softmax for multi-class classification", html: html,
      text: text(figures: names),
      figures: names)
  }

  /// A probability for the answers' HTML: `6.8 × 10<sup>−17</sup>` rather than `6.8e-17`.
  static func probabilityHTML(_ p: Double) -> String {
    MarkupText.numbersHTML(SoftmaxRegions.formatProbability(p))
  }

  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
