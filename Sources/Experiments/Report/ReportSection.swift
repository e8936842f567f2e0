import Foundation

/// One part of the report: what an experiment contributes to `report/index.html` and to the
/// terminal. Figures are files written beside the page and referenced by relative path.
public struct ReportSection: Sendable {
  /// The section heading, e.g. "Part 1 — Softmax for multi-class classification".
  public var title: String
  /// An HTML fragment (no `<html>`/`<body>`), referring to figures by file name.
  public var html: String
  /// The same content for a terminal: tables in fixed width, answers as plain text.
  public var text: String
  /// File names (relative to the report folder) of the figures this section refers to.
  public var figures: [String]
  /// Whether the part is answered in full; false for a section that says what is missing
  /// (Part 4 without a finished run). The console shows ✓ only for complete parts.
  public var isComplete: Bool

  /// Creates a section.
  public init(
    title: String, html: String, text: String, figures: [String] = [], isComplete: Bool = true
  ) {
    self.title = title
    self.html = html
    self.text = text
    self.figures = figures
    self.isComplete = isComplete
  }
}
