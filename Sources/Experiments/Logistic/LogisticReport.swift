import Foundation
import Plotting

extension LogisticResult {
  /// Why the main run oscillates, measured on it.
  public var oscillation: LogisticOscillation { LogisticOscillation(main, data: experiment.data) }

  /// The rate and GD-versus-SGD comparisons.
  public var comparison: LogisticComparison { LogisticComparison(self) }

  /// A summary of the main run: data, stopping, final NLL and weights, as plain text.
  public var summary: String { LogisticProse.plainText(summaryHTML) }

  /// The summary as an HTML fragment.
  public var summaryHTML: String {
    let w = main.finalWeights
    let f = LogisticProse.number
    let stop: String
    switch main.stopReason {
    case .tolerance:
      stop = "the tolerance rule, |ΔNLL| &lt; \(LogisticProse.shortest(experiment.tolerance))"
    case .maxEpochs: stop = "the epoch limit"
    case .diverged: stop = "divergence: the weights stopped being finite"
    }
    return
      "Data: \(LogisticProse.escape(experiment.data.source)), \(experiment.data.count) rows. Gradient "
      + "descent with η = \(LogisticProse.rate(main.learningRate)) from w = (0.1, 0, 0) ran \(main.epochs) "
      + "epochs (stopped by \(stop)) and ended at NLL \(f(main.finalNegativeLogLikelihood, 4)), "
      + "w = (w<sub>1</sub>, w<sub>2</sub>, w<sub>3</sub>) = \(w), i.e. the separator "
      + "x<sub>2</sub> = \(f(w.slope, 4))·x<sub>1</sub> \(w.intercept < 0 ? "−" : "+") "
      + "\(f(Swift.abs(w.intercept), 4))."
  }

  /// Writes the figures into `folder` and returns the report section referring to them by file
  /// name (the SVGs, with their pixel size; PNGs are written beside them). Throws when a figure
  /// cannot be written.
  public func section(figuresIn folder: URL) throws -> ReportSection {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var written: [String] = []
    var sizes: [String: (width: Double, height: Double)] = [:]
    for (name, figure) in figures() {
      try figure.writeSVG(to: folder.appendingPathComponent(name + ".svg"))
      try figure.writePNG(to: folder.appendingPathComponent(name + ".png"))
      written += [name + ".svg", name + ".png"]
      sizes[name + ".svg"] = (figure.width, figure.height)
    }
    let captions: [String: String] = [
      "logistic_separator_path.svg":
        "Separator path in slope–intercept space (provided code's Figure 2)",
      "logistic_nll.svg": "Negative log-likelihood per epoch (provided code's Figure 3)",
      "logistic_data.svg": "The data and the final separator",
      "logistic_rates.svg": "NLL per epoch for each learning rate (Part 3.2)",
      "logistic_sgd_iterations.svg":
        "Stochastic gradient descent, one panel per learning rate: the full-data NLL during each epoch "
        + "(line: mean over the epoch; band: its range over the epoch's per-sample updates) (Part 3.3)",
      "logistic_gd_vs_sgd.svg":
        "Gradient descent vs SGD per epoch, one panel per learning rate, with the target NLL dashed",
    ]
    var html = "<p>\(summaryHTML)</p>\n"
    var text = summary + "\n\n"
    func addFigure(_ name: String) {
      guard let size = sizes[name] else { return }
      let caption = LogisticProse.escape(captions[name] ?? name)
      html +=
        "<figure><img src=\"\(name)\" width=\"\(Int(size.width.rounded()))\" "
        + "height=\"\(Int(size.height.rounded()))\" alt=\"\(caption)\"><figcaption>"
        + "\(caption)</figcaption></figure>\n"
      text += "[figure] \(name): \(captions[name] ?? name)\n"
    }
    func addAnswer(_ question: String, _ answerHTML: String) {
      html += "<h3>\(LogisticProse.escape(question))</h3>\n<p>\(answerHTML)</p>\n"
      text += "\n\(question)\n\(LogisticProse.plainText(answerHTML))\n"
    }
    addFigure("logistic_separator_path.svg")
    addFigure("logistic_nll.svg")
    addFigure("logistic_data.svg")
    addAnswer("Why are these plots oscillating?", oscillation.explanationHTML(epochs: main.epochs))
    if !rateRuns.isEmpty {
      let comparison = self.comparison
      addFigure("logistic_rates.svg")
      let table = comparison.rateTable()
      html += table.html() + "\n"
      text += "\n" + table.text() + "\n"
      addAnswer(
        "Compare these results. What are the relative advantages of the different rates?",
        comparison.rateAnswerHTML())
      if !stochasticRuns.isEmpty {
        addFigure("logistic_sgd_iterations.svg")
        addFigure("logistic_gd_vs_sgd.svg")
        addAnswer(
          "Is stochastic gradient descent faster than gradient descent?",
          comparison.stochasticAnswerHTML())
      }
    }
    return ReportSection(
      title: "Part 3 — Logistic regression", html: html, text: text, figures: written)
  }
}
