import Foundation
import Plotting

extension BackpropExperiment.Result {
  /// The symbol of every checked parameter, in table order: `w_kj^(l)` layer by layer, then
  /// `b_k^(l)` when the network has biases.
  var checkedParameters: [BackpropDerivation.Symbol] {
    var symbols: [BackpropDerivation.Symbol] = []
    for layer in 1...network.depth {
      for k in 0..<network.sizes[layer] {
        for j in 0..<network.sizes[layer - 1] {
          symbols.append(.init(base: "w", index: "\(k + 1)\(j + 1)", layer: layer))
        }
      }
    }
    if network.biases != nil {
      for layer in 1...network.depth {
        for k in 0..<network.sizes[layer] {
          symbols.append(.init(base: "b", index: "\(k + 1)", layer: layer))
        }
      }
    }
    return symbols
  }

  /// The sample as "x = (1, −0.5, 2), t = 0.5".
  var sampleDescription: String {
    "x = (\(input.map { String(format: "%g", $0) }.joined(separator: ", "))), t = \(String(format: "%g", target))"
  }

  /// The table comparing every ∂E/∂w (and ∂E/∂b with biases) from back-propagation with both
  /// independent checks.
  public var checkTable: Table {
    var table = Table(
      columns: [
        Table.Column("parameter"), Table.Column("backprop", alignment: .right),
        Table.Column("finite difference", alignment: .right),
        Table.Column("autograd (Float)", alignment: .right),
        Table.Column("rel. error", alignment: .right),
      ],
      caption: (network.biases == nil ? "∂E_n/∂w" : "∂E_n/∂w and ∂E_n/∂b")
        + " for \(sampleDescription)"
    )
    var values: [(ours: Double, numeric: Double, engine: Double)] = []
    for layer in 1...network.depth {
      for k in 0..<network.sizes[layer] {
        for j in 0..<network.sizes[layer - 1] {
          values.append(
            (
              gradients.weights[layer - 1][k][j], finiteDifferences[layer - 1][k][j],
              autograd[layer - 1][k][j]
            ))
        }
      }
    }
    if let ours = gradients.biases, let numeric = biasFiniteDifferences, let engine = biasAutograd {
      for layer in 1...network.depth {
        for k in 0..<network.sizes[layer] {
          values.append((ours[layer - 1][k], numeric[layer - 1][k], engine[layer - 1][k]))
        }
      }
    }
    for (symbol, value) in zip(checkedParameters, values) {
      let error =
        Swift.abs(value.ours - value.numeric)
        / max(Swift.abs(value.ours), Swift.abs(value.numeric), 1e-4)
      table.append([
        symbol.text, String(format: "%.8f", value.ours), String(format: "%.8f", value.numeric),
        String(format: "%.8f", value.engine), String(format: "%.1e", error),
      ])
    }
    return table
  }

  /// The check table as HTML, the parameters and the caption with sub- and superscripts.
  var checkTableHTML: String {
    let symbols = checkedParameters
    let caption =
      (network.biases == nil
        ? "∂E<sub>n</sub>/∂w" : "∂E<sub>n</sub>/∂w and ∂E<sub>n</sub>/∂b")
      + " for \(MarkupText.numbersHTML(sampleDescription))"
    let table = checkTable
    return table.html(captionHTML: caption) { row, column in
      column == 0
        ? (row < symbols.count ? symbols[row].html : nil)
        : MarkupText.numbersHTML(table.rows[row][column])
    }
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
      axes.legend = .hidden
      axes.addLine(y: learningCurve, label: "gradient descent with back-propagated gradients")
      let figure = Figure(
        width: 640, height: 420, title: "Part 2: training the network by back-propagation",
        axes: axes)
      try figure.writeSVG(to: folder.appendingPathComponent("backprop_learning_curve.svg"))
      try figure.writePNG(to: folder.appendingPathComponent("backprop_learning_curve.png"))
      figures = ["backprop_learning_curve.png", "backprop_learning_curve.svg"]
      figureHTML = """
        <figure><img src="backprop_learning_curve.png" width="640" height="420" alt="learning curve">
        <figcaption>Mean error per epoch over \(learningCurve.count) epochs of full-batch gradient descent on a
        synthetic regression task (t = sin 2x₁ + x₂x₃/2), using only the derivatives above.</figcaption></figure>
        """
    }
    let summary = """
      Back-propagated derivatives (\(network.biases == nil ? "every weight" : "every weight and bias")) agree with central finite differences to \(String(format: "%.1e", maximumErrorFiniteDifferences)) \
      and with the tensor engine's autograd (Float32) to \(String(format: "%.1e", maximumErrorAutograd)) (max relative error).
      """
    let hasBiases = network.biases != nil
    var html =
      "<p>Network: \(escapeHTML(architectureDescription)); h(a) = 1/(1 + e<sup>−a</sup>) in hidden layers, "
    html +=
      "identity at the output; E<sub>n</sub>(w) = ½(y(x<sub>n</sub>, w) − t<sub>n</sub>)<sup>2</sup>. "
      + "Layer l computes a<sub>k</sub><sup>(l)</sup> = Σ<sub>j</sub> w<sub>kj</sub><sup>(l)</sup> z<sub>j</sub><sup>(l−1)</sup>"
      + (hasBiases ? " + b<sub>k</sub><sup>(l)</sup>" : "")
      + " and z<sub>k</sub><sup>(l)</sup> = h(a<sub>k</sub><sup>(l)</sup>), with z<sup>(0)</sup> = x.</p>\n"
    html += """
      <div class="answer"><p><b>Output layer.</b> ∂E<sub>n</sub>/∂a<sub>1</sub><sup>(L)</sup> ≡ δ<sub>1</sub><sup>(L)</sup> = y − t, and ∂E<sub>n</sub>/∂w<sub>1j</sub><sup>(L)</sup> = δ<sub>1</sub><sup>(L)</sup> z<sub>j</sub><sup>(L−1)</sup>.</p>
      <p><b>Penultimate layer.</b> ∂E<sub>n</sub>/∂a<sub>j</sub><sup>(L−1)</sup> ≡ δ<sub>j</sub><sup>(L−1)</sup> = h′(a<sub>j</sub><sup>(L−1)</sup>) w<sub>1j</sub><sup>(L)</sup> δ<sub>1</sub><sup>(L)</sup> with h′(a) = h(a)(1 − h(a)), and ∂E<sub>n</sub>/∂w<sub>jk</sub><sup>(L−1)</sup> = δ<sub>j</sub><sup>(L−1)</sup> z<sub>k</sub><sup>(L−2)</sup>.</p>
      <p><b>Weights from the inputs.</b> δ<sub>k</sub><sup>(1)</sup> = h′(a<sub>k</sub><sup>(1)</sup>) Σ<sub>j</sub> w<sub>jk</sub><sup>(2)</sup> δ<sub>j</sub><sup>(2)</sup>, and ∂E<sub>n</sub>/∂w<sub>ki</sub><sup>(1)</sup> = δ<sub>k</sub><sup>(1)</sup> x<sub>i</sub>.</p>

      """
    if hasBiases {
      html +=
        "<p><b>Biases.</b> a<sub>k</sub><sup>(l)</sup> depends on b<sub>k</sub><sup>(l)</sup> with "
        + "∂a<sub>k</sub><sup>(l)</sup>/∂b<sub>k</sub><sup>(l)</sup> = 1, and b<sub>k</sub><sup>(l)</sup> "
        + "enters E<sub>n</sub> only through a<sub>k</sub><sup>(l)</sup>, so "
        + "∂E<sub>n</sub>/∂b<sub>k</sub><sup>(l)</sup> = (∂E<sub>n</sub>/∂a<sub>k</sub><sup>(l)</sup>)"
        + "(∂a<sub>k</sub><sup>(l)</sup>/∂b<sub>k</sub><sup>(l)</sup>) = δ<sub>k</sub><sup>(l)</sup>: "
        + "the δ of the unit itself, in every layer (a weight from a unit that always outputs 1). The δ "
        + "recursion is unchanged, since b does not depend on the units below.</p>\n"
    }
    html += "</div>\n"
    html +=
      "<p>For the sample \(MarkupText.numbersHTML(sampleDescription)):</p>\n"
    for (heading, lines) in derivation {
      html +=
        "<h3>\(escapeHTML(heading))</h3>\n<p class=\"math\">"
        + lines.map(\.html).joined(separator: "<br>\n") + "</p>\n"
    }
    html +=
      "<h3>Checks</h3>\n<p>\(MarkupText.numbersHTML(summary))</p>\n" + checkTableHTML + "\n"
      + figureHTML
    var text =
      "Network: \(architectureDescription)\nE_n = ½(y − t)², h = logistic, identity output\n"
      + "a_k^(l) = Σ_j w_kj^(l) z_j^(l−1)\(hasBiases ? " + b_k^(l)" : ""), z_k^(l) = h(a_k^(l)), z^(0) = x\n"
    if hasBiases {
      text +=
        "Biases: ∂a_k^(l)/∂b_k^(l) = 1, so ∂E_n/∂b_k^(l) = (∂E_n/∂a_k^(l)) (∂a_k^(l)/∂b_k^(l)) = δ_k^(l)\n"
    }
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
