import Foundation
import Plotting

extension BackpropExperiment.Result {
  /// The table comparing every ∂E/∂w from back-propagation with both independent checks.
  public var checkTable: Table {
    var table = Table(
      columns: [
        Table.Column("weight"), Table.Column("backprop", alignment: .right),
        Table.Column("finite difference", alignment: .right),
        Table.Column("autograd (Float)", alignment: .right),
        Table.Column("rel. error", alignment: .right),
      ],
      caption:
        "∂E_n/∂w for x = (\(input.map { String(format: "%g", $0) }.joined(separator: ", "))), t = \(String(format: "%g", target))"
    )
    for layer in 1...network.depth {
      for k in 0..<network.sizes[layer] {
        for j in 0..<network.sizes[layer - 1] {
          let ours = gradients.weights[layer - 1][k][j]
          let numeric = finiteDifferences[layer - 1][k][j]
          let engine = autograd[layer - 1][k][j]
          let error = Swift.abs(ours - numeric) / max(Swift.abs(ours), Swift.abs(numeric), 1e-4)
          table.append([
            "w_\(k + 1)\(j + 1)^(\(layer))", String(format: "%.8f", ours),
            String(format: "%.8f", numeric),
            String(format: "%.8f", engine), String(format: "%.1e", error),
          ])
        }
      }
    }
    return table
  }

  /// "3 inputs → 3 logistic → 3 logistic → 1 identity output".
  public var architectureDescription: String {
    let hidden = network.sizes.dropFirst().dropLast().map { "\($0) logistic" }
    return (["\(network.sizes[0]) inputs"] + hidden + ["1 identity output"]).joined(
      separator: " → ")
      + (network.biases == nil ? " (no biases)" : " (with biases)")
  }

  /// Part 2 for the report and the terminal; writes the learning-curve figure when trained.
  public func section(figuresIn folder: URL) throws -> ReportSection {
    let derivation = BackpropDerivation(result: self).lines()
    var figures: [String] = []
    var figureHTML = ""
    if !learningCurve.isEmpty {
      var axes = Axes(xLabel: "epoch", yLabel: "mean squared error ½(y − t)²")
      axes.addLine(y: learningCurve, label: "gradient descent with back-propagated gradients")
      let figure = Figure(title: "Part 2: training the network by back-propagation", axes: axes)
      try figure.writeSVG(to: folder.appendingPathComponent("backprop_learning_curve.svg"))
      try figure.writePNG(to: folder.appendingPathComponent("backprop_learning_curve.png"))
      figures = ["backprop_learning_curve.png", "backprop_learning_curve.svg"]
      figureHTML = """
        <figure><img src="backprop_learning_curve.png" alt="learning curve">
        <figcaption>Mean error per epoch over \(learningCurve.count) epochs of full-batch gradient descent on a
        synthetic regression task (t = sin 2x₁ + x₂x₃/2), using only the derivatives above.</figcaption></figure>
        """
    }
    let summary = """
      Back-propagated derivatives agree with central finite differences to \(String(format: "%.1e", maximumErrorFiniteDifferences)) \
      and with the tensor engine's autograd (Float32) to \(String(format: "%.1e", maximumErrorAutograd)) (max relative error).
      """
    var html =
      "<p>Network: \(escapeHTML(architectureDescription)); h(a) = 1/(1 + e<sup>−a</sup>) in hidden layers, "
    html +=
      "identity at the output; E<sub>n</sub>(w) = ½(y(x<sub>n</sub>, w) − t<sub>n</sub>)<sup>2</sup>.</p>\n"
    html += """
      <div class="answer"><p><b>Output layer.</b> ∂E<sub>n</sub>/∂a<sub>1</sub><sup>(L)</sup> ≡ δ<sub>1</sub><sup>(L)</sup> = y − t, and ∂E<sub>n</sub>/∂w<sub>1j</sub><sup>(L)</sup> = δ<sub>1</sub><sup>(L)</sup> z<sub>j</sub><sup>(L−1)</sup>.</p>
      <p><b>Penultimate layer.</b> ∂E<sub>n</sub>/∂a<sub>j</sub><sup>(L−1)</sup> ≡ δ<sub>j</sub><sup>(L−1)</sup> = h′(a<sub>j</sub><sup>(L−1)</sup>) w<sub>1j</sub><sup>(L)</sup> δ<sub>1</sub><sup>(L)</sup> with h′(a) = h(a)(1 − h(a)), and ∂E<sub>n</sub>/∂w<sub>jk</sub><sup>(L−1)</sup> = δ<sub>j</sub><sup>(L−1)</sup> z<sub>k</sub><sup>(L−2)</sup>.</p>
      <p><b>Weights from the inputs.</b> δ<sub>k</sub><sup>(1)</sup> = h′(a<sub>k</sub><sup>(1)</sup>) Σ<sub>j</sub> w<sub>jk</sub><sup>(2)</sup> δ<sub>j</sub><sup>(2)</sup>, and ∂E<sub>n</sub>/∂w<sub>ki</sub><sup>(1)</sup> = δ<sub>k</sub><sup>(1)</sup> x<sub>i</sub>.</p></div>
      """
    html +=
      "<p>For the sample x = (\(input.map { String(format: "%g", $0) }.joined(separator: ", "))), t = \(String(format: "%g", target)):</p>\n"
    for (heading, lines) in derivation {
      html +=
        "<h3>\(escapeHTML(heading))</h3>\n<p class=\"math\">"
        + lines.map(\.html).joined(separator: "<br>\n") + "</p>\n"
    }
    html +=
      "<h3>Checks</h3>\n<p>\(escapeHTML(summary))</p>\n" + checkTable.html() + "\n" + figureHTML
    var text =
      "Network: \(architectureDescription)\nE_n = ½(y − t)², h = logistic, identity output\n"
    for (heading, lines) in derivation {
      text += "\n\(heading)\n" + lines.map { "  " + $0.text }.joined(separator: "\n") + "\n"
    }
    text += "\n" + checkTable.text() + "\n" + summary + "\n"
    if let first = learningCurve.first, let last = learningCurve.last {
      text += String(
        format: "Training: mean E %.5f → %.5f over %d epochs.\n", first, last, learningCurve.count)
    }
    return ReportSection(
      title: "Part 2 — Error backpropagation", html: html, text: text, figures: figures)
  }
}
