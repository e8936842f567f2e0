import Foundation
import Plotting

extension LogisticResult {
  /// Why the main run oscillates, measured on it.
  public var oscillation: LogisticOscillation { LogisticOscillation(main, data: experiment.data) }

  /// The rate and GD-versus-SGD comparisons.
  public var comparison: LogisticComparison { LogisticComparison(self) }

  /// A summary of the main run: data, stopping, final NLL and weights.
  public var summary: String {
    let w = main.finalWeights
    return
      "Data: \(experiment.data.source), \(experiment.data.count) rows. Gradient descent with η = "
      + "\(logisticFormat(main.learningRate, 3)) from w = (0.1, 0, 0) ran \(main.epochs) epochs (stopped by "
      + "\(main.stopReason == .tolerance ? "the tolerance rule, |ΔNLL| < \(experiment.tolerance)" : main.stopReason.rawValue)"
      + ") and ended at NLL \(logisticFormat(main.finalNegativeLogLikelihood, 4)), w = \(w), i.e. the separator "
      + "x₂ = \(logisticFormat(w.slope, 4))·x₁ \(w.intercept < 0 ? "−" : "+") \(logisticFormat(Swift.abs(w.intercept), 4))."
  }

  /// Writes the figures into `folder` and returns the report section referring to them by file
  /// name (the SVGs; PNGs are written beside them). Throws when a figure cannot be written.
  public func section(figuresIn folder: URL) throws -> ReportSection {
    let written = try writeFigures(to: folder)
    let svgs = written.filter { $0.hasSuffix(".svg") }
    let captions: [String: String] = [
      "logistic_separator_path.svg":
        "Separator path in slope–intercept space (provided code's Figure 2)",
      "logistic_nll.svg": "Negative log-likelihood per epoch (provided code's Figure 3)",
      "logistic_data.svg": "The data and the final separator",
      "logistic_rates.svg": "NLL per epoch for each learning rate (Part 3.2)",
      "logistic_sgd_iterations.svg": "Stochastic gradient descent: NLL per iteration (Part 3.3)",
      "logistic_gd_vs_sgd.svg": "Gradient descent vs SGD, per epoch",
    ]
    var html = "<p>\(escape(summary))</p>\n"
    var text = summary + "\n\n"
    func addFigure(_ name: String) {
      guard svgs.contains(name) else { return }
      html +=
        "<figure><img src=\"\(name)\" alt=\"\(escape(captions[name] ?? name))\"><figcaption>"
        + "\(escape(captions[name] ?? name))</figcaption></figure>\n"
      text += "[figure] \(name): \(captions[name] ?? name)\n"
    }
    func addAnswer(_ question: String, _ answer: String) {
      html += "<h3>\(escape(question))</h3>\n<p>\(escape(answer))</p>\n"
      text += "\n\(question)\n\(answer)\n"
    }
    addFigure("logistic_separator_path.svg")
    addFigure("logistic_nll.svg")
    addFigure("logistic_data.svg")
    addAnswer("Why are these plots oscillating?", oscillation.explanation(epochs: main.epochs))
    if !rateRuns.isEmpty {
      let comparison = self.comparison
      addFigure("logistic_rates.svg")
      let table = comparison.rateTable()
      html += table.html() + "\n"
      text += "\n" + table.text() + "\n"
      addAnswer(
        "Compare these results. What are the relative advantages of the different rates?",
        comparison.rateAnswer())
      if !stochasticRuns.isEmpty {
        addFigure("logistic_sgd_iterations.svg")
        addFigure("logistic_gd_vs_sgd.svg")
        addAnswer(
          "Is stochastic gradient descent faster than gradient descent?",
          comparison.stochasticAnswer())
      }
    }
    return ReportSection(
      title: "Part 3 — Logistic regression", html: html, text: text, figures: written)
  }

  private func escape(_ string: String) -> String {
    string.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
