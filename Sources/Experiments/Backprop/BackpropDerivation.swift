import Foundation

/// Writes Part 2's derivation in the assignment's notation: general formulas first, then their
/// values for the sample, layer by layer from the output back to the inputs.
struct BackpropDerivation {
  let result: BackpropExperiment.Result

  /// A symbol like `w_kj^(l)`, rendered for the terminal or as HTML sub/superscripts.
  struct Symbol {
    let base: String
    let index: String
    let layer: Int?

    var text: String {
      base + (index.isEmpty ? "" : "_\(index)") + (layer.map { "^(\($0))" } ?? "")
    }
    var html: String {
      base + (index.isEmpty ? "" : "<sub>\(index)</sub>")
        + (layer.map { "<sup>(\($0))</sup>" } ?? "")
    }
  }

  /// One line of the derivation in both renderings.
  struct Line {
    var text: String
    var html: String
  }

  static func number(_ value: Double) -> String { String(format: "%.6f", value) }

  /// The name of layer `l` in the assignment's words.
  func layerName(_ layer: Int) -> String {
    let depth = result.network.depth
    if layer == depth { return "Output layer (l = \(layer))" }
    if layer == depth - 1 { return "Penultimate layer (l = \(layer))" }
    if layer == 1 { return "Weights from the inputs (l = 1)" }
    return "Hidden layer l = \(layer)"
  }

  /// The derivation, one section per layer, output first.
  func lines() -> [(heading: String, lines: [Line])] {
    let network = result.network
    let depth = network.depth
    var sections: [(String, [Line])] = []
    // Forward pass.
    var forward: [Line] = []
    for layer in 1...depth {
      for k in 0..<network.sizes[layer] {
        let a = Symbol(base: "a", index: "\(k + 1)", layer: layer)
        let z = Symbol(base: "z", index: "\(k + 1)", layer: layer)
        let terms = (0..<network.sizes[layer - 1]).map { j -> (String, String) in
          let w = Symbol(base: "w", index: "\(k + 1)\(j + 1)", layer: layer)
          let input =
            layer == 1
            ? Symbol(base: "x", index: "\(j + 1)", layer: nil)
            : Symbol(base: "z", index: "\(j + 1)", layer: layer - 1)
          return ("\(w.text) \(input.text)", "\(w.html) \(input.html)")
        }
        var sumText = terms.map(\.0).joined(separator: " + ")
        var sumHTML = terms.map(\.1).joined(separator: " + ")
        if network.biases != nil {
          let b = Symbol(base: "b", index: "\(k + 1)", layer: layer)
          sumText += " + \(b.text)"
          sumHTML += " + \(b.html)"
        }
        let value = result.trace.activations[layer - 1][k]
        let output = result.trace.outputs[layer][k]
        let function = layer == depth ? "y = \(z.text) = \(a.text)" : "\(z.text) = h(\(a.text))"
        let functionHTML = layer == depth ? "y = \(z.html) = \(a.html)" : "\(z.html) = h(\(a.html))"
        forward.append(
          Line(
            text:
              "\(a.text) = \(sumText) = \(Self.number(value));  \(function) = \(Self.number(output))",
            html:
              "\(a.html) = \(sumHTML) = \(Self.number(value)); &nbsp; \(functionHTML) = \(Self.number(output))"
          ))
      }
    }
    sections.append(("Forward pass", forward))
    // Backward pass, output first.
    for layer in stride(from: depth, through: 1, by: -1) {
      var lines: [Line] = []
      let previousName = layer == 1 ? "x" : "z"
      let previousLayer: Int? = layer == 1 ? nil : layer - 1
      if layer == depth {
        let delta = Symbol(base: "δ", index: "1", layer: layer)
        let a = Symbol(base: "a", index: "1", layer: layer)
        lines.append(
          Line(
            text: "∂E_n/∂\(a.text) ≡ \(delta.text) = y − t  (identity output: ∂y/∂a = 1)",
            html:
              "∂E<sub>n</sub>/∂\(a.html) ≡ \(delta.html) = y − t &nbsp;(identity output: ∂y/∂a = 1)"
          ))
        lines.append(
          Line(
            text:
              "  = \(Self.number(result.trace.prediction)) − \(Self.number(result.target)) = \(Self.number(result.gradients.deltas[layer - 1][0]))",
            html:
              "= \(Self.number(result.trace.prediction)) − \(Self.number(result.target)) = <b>\(Self.number(result.gradients.deltas[layer - 1][0]))</b>"
          ))
      } else {
        let delta = Symbol(base: "δ", index: "j", layer: layer)
        let a = Symbol(base: "a", index: "j", layer: layer)
        let single = network.sizes[layer + 1] == 1
        let w = Symbol(base: "w", index: single ? "1j" : "kj", layer: layer + 1)
        let next = Symbol(base: "δ", index: single ? "1" : "k", layer: layer + 1)
        let sum = network.sizes[layer + 1] == 1 ? "" : "Σ_k "
        let sumHTML = network.sizes[layer + 1] == 1 ? "" : "Σ<sub>k</sub> "
        lines.append(
          Line(
            text:
              "∂E_n/∂\(a.text) ≡ \(delta.text) = h′(\(a.text)) \(sum)\(w.text) \(next.text),  h′(a) = h(a)(1 − h(a))",
            html:
              "∂E<sub>n</sub>/∂\(a.html) ≡ \(delta.html) = h′(\(a.html)) \(sumHTML)\(w.html) \(next.html), &nbsp; h′(a) = h(a)(1 − h(a))"
          ))
        for j in 0..<network.sizes[layer] {
          let z = result.trace.outputs[layer][j]
          let back = (0..<network.sizes[layer + 1]).reduce(0.0) {
            $0 + network.weights[layer][$1][j] * result.gradients.deltas[layer][$1]
          }
          let symbol = Symbol(base: "δ", index: "\(j + 1)", layer: layer)
          lines.append(
            Line(
              text:
                "  \(symbol.text) = \(Self.number(z * (1 - z))) × \(Self.number(back)) = \(Self.number(result.gradients.deltas[layer - 1][j]))",
              html:
                "\(symbol.html) = \(Self.number(z * (1 - z))) × \(Self.number(back)) = <b>\(Self.number(result.gradients.deltas[layer - 1][j]))</b>"
            ))
        }
      }
      let w = Symbol(base: "w", index: "kj", layer: layer)
      let delta = Symbol(base: "δ", index: "k", layer: layer)
      let input = Symbol(base: previousName, index: "j", layer: previousLayer)
      lines.append(
        Line(
          text:
            "∂E_n/∂\(w.text) = (∂E_n/∂a_k^(\(layer))) (∂a_k^(\(layer))/∂\(w.text)) = \(delta.text) \(input.text)",
          html:
            "∂E<sub>n</sub>/∂\(w.html) = (∂E<sub>n</sub>/∂a<sub>k</sub><sup>(\(layer))</sup>)(∂a<sub>k</sub><sup>(\(layer))</sup>/∂\(w.html)) = \(delta.html) \(input.html)"
        ))
      for k in 0..<network.sizes[layer] {
        let values = (0..<network.sizes[layer - 1]).map { j in
          Self.number(result.gradients.weights[layer - 1][k][j])
        }
        let row = Symbol(base: "∂E/∂w", index: "\(k + 1)·", layer: layer)
        lines.append(
          Line(
            text: "  \(row.text) = (\(values.joined(separator: ", ")))",
            html: "\(row.html) = (\(values.joined(separator: ", ")))"))
      }
      if let biasGradients = result.gradients.biases {
        let b = Symbol(base: "b", index: "k", layer: layer)
        let ak = Symbol(base: "a", index: "k", layer: layer)
        lines.append(
          Line(
            text:
              "∂E_n/∂\(b.text) = (∂E_n/∂\(ak.text)) (∂\(ak.text)/∂\(b.text)) = \(delta.text) · 1 = \(delta.text)",
            html:
              "∂E<sub>n</sub>/∂\(b.html) = (∂E<sub>n</sub>/∂\(ak.html))(∂\(ak.html)/∂\(b.html)) = \(delta.html) · 1 = \(delta.html)"
          ))
        let values = biasGradients[layer - 1].map(Self.number)
        let row = Symbol(base: "∂E/∂b", index: "", layer: layer)
        lines.append(
          Line(
            text: "  \(row.text) = (\(values.joined(separator: ", ")))",
            html: "\(row.html) = (\(values.joined(separator: ", ")))"))
      }
      sections.append((layerName(layer), lines))
    }
    return sections
  }
}
