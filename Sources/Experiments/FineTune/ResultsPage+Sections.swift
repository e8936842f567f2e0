import Foundation
import Plotting

extension ResultsPage {
  /// The largest class count whose confusion matrix is drawn as a table (100 × 100 cells is
  /// still quick; ImageNet's 1000 × 1000 is not). Above it only the top confusions are listed.
  static let confusionTableLimit = 100

  /// Headline numbers and the configuration table.
  func summarySection(predictions: [Int]) -> String {
    let correct = zip(predictions, samples).filter { $0 == $1.label }
    let wrong = samples.count - correct.count
    func meanConfidence(_ right: Bool) -> String {
      let values = zip(predictions, samples).filter { ($0 == $1.label) == right }
        .map { Double($1.probabilities[$0]) }
      return values.isEmpty ? "–" : Self.percent(values.reduce(0, +) / Double(values.count))
    }
    let accuracy =
      samples.isEmpty
      ? "–" : Self.percent(Double(correct.count) / Double(samples.count), decimals: 2)
    let figures = [
      ("test accuracy", accuracy), ("test images", "\(samples.count)"), ("wrong", "\(wrong)"),
      ("classes", "\(classNames.count)"), ("mean confidence, right", meanConfidence(true)),
      ("mean confidence, wrong", meanConfidence(false)),
    ]
    var html = "<section id=\"summary\">\n<div class=\"figures\">\n"
    for (name, value) in figures {
      html += "<div class=\"figure\"><b>\(escapeMarkup(value))</b><span>\(name)</span></div>\n"
    }
    html += "</div>\n"
    if !settings.isEmpty {
      let table = Table(
        columns: [Table.Column("setting"), Table.Column("value")],
        rows: settings.map { [$0.name, $0.value] }, caption: "Configuration")
      html += "<div class=\"scroll\">\n" + table.html() + "</div>\n"
    }
    return html + "</section>\n"
  }

  /// The loss and accuracy curves as inline SVG, with the numbers in a folded table.
  func curvesSection() -> String {
    guard !history.isEmpty else { return "" }
    let figure = FineTuneMetrics.curvesFigure(
      history, title: "Training curves", keptEpoch: keptEpoch, unfreezeEpoch: unfreezeEpoch)
    var table = Table(
      columns: [
        .init("epoch", alignment: .right), .init("train loss", alignment: .right),
        .init("train accuracy", alignment: .right), .init("validation loss", alignment: .right),
        .init("validation accuracy", alignment: .right),
      ])
    for epoch in history {
      table.append([
        "\(epoch.epoch)", String(format: "%.4f", epoch.trainLoss),
        Self.percent(epoch.trainAccuracy, decimals: 2),
        epoch.validationLoss.map { String(format: "%.4f", $0) } ?? "–",
        epoch.validationAccuracy.map { Self.percent($0, decimals: 2) } ?? "–",
      ])
    }
    return "<section id=\"curves\">\n<h2>Training</h2>\n<div class=\"svg\">\(figure.svg())</div>\n"
      + "<details><summary>Per-epoch numbers</summary>\n<div class=\"scroll\">\n\(table.html())"
      + "</div>\n</details>\n</section>\n"
  }

  /// Recall (accuracy), precision and F1 per class; a row click filters the gallery to that
  /// class.
  func perClassSection(confusion: [[Int]]) -> String {
    let tall = classNames.count > 20 ? " tall" : ""
    var html = "<section id=\"per-class\">\n<h2>Per-class accuracy</h2>\n"
    html += "<p class=\"hint\">Click a row to show that class's test images.</p>\n"
    html += "<div class=\"scroll\(tall)\">\n<table class=\"per-class\">\n<thead><tr><th>class</th>"
    html += "<th class=\"num\">images</th><th class=\"num\">correct</th><th>accuracy</th>"
    html +=
      "<th class=\"num\">predicted as</th><th class=\"num\">precision</th><th class=\"num\">F1</th>"
      + "</tr></thead>\n<tbody>\n"
    let recalls = FineTuneMetrics.perClassAccuracy(confusion: confusion)
    let f1 = FineTuneMetrics.perClassF1(confusion: confusion)
    for (index, name) in classNames.enumerated() {
      let total = confusion[index].reduce(0, +)
      let predictedAs = confusion.reduce(0) { $0 + $1[index] }
      let correct = confusion[index][index]
      let bar =
        recalls[index].map {
          "<span class=\"bar\"><i style=\"width:\(Int(($0 * 100).rounded()))%\"></i></span> "
            + Self.percent($0)
        } ?? "–"
      let precision = predictedAs == 0 ? "–" : Self.percent(Double(correct) / Double(predictedAs))
      html +=
        "<tr data-t=\"\(index)\"><td>\(escapeMarkup(name))</td><td class=\"num\">\(total)</td>"
      html += "<td class=\"num\">\(correct)</td><td>\(bar)</td>"
      html += "<td class=\"num\">\(predictedAs)</td><td class=\"num\">\(precision)</td>"
      html += "<td class=\"num\">\(f1[index].map { String(format: "%.3f", $0) } ?? "–")</td></tr>\n"
    }
    return html + "</tbody>\n</table>\n</div>\n</section>\n"
  }

  /// The confusion matrix (rows: true class), each cell shaded by its share of the row, and the
  /// most frequent confusions; a click on either filters the gallery to that pair.
  func confusionSection(confusion: [[Int]]) -> String {
    var html = "<section id=\"confusion\">\n<h2>Confusion matrix</h2>\n"
    let classCount = classNames.count
    if classCount <= Self.confusionTableLimit {
      let narrow = classCount > 10 ? " narrow" : ""
      html += "<p class=\"hint\">Rows: true class; columns: predicted class; shade: share of the "
      html += "row. Click a cell to show those images.</p>\n"
      let tall = classCount > 20 ? " tall" : ""
      html += "<div class=\"scroll\(tall)\">\n<table class=\"confusion\(narrow)\">\n<thead><tr>"
      html += "<th>true \\ predicted</th>"
      for name in classNames {
        html += "<th class=\"column\"><span>\(escapeMarkup(name))</span></th>"
      }
      html += "</tr></thead>\n<tbody>\n"
      for (truth, row) in confusion.enumerated() {
        let total = max(1, row.reduce(0, +))
        html += "<tr><th>\(escapeMarkup(classNames[truth]))</th>"
        for (predicted, count) in row.enumerated() {
          html += confusionCell(
            count: count, share: Double(count) / Double(total), truth: truth, predicted: predicted)
        }
        html += "</tr>\n"
      }
      html += "</tbody>\n</table>\n</div>\n"
    } else {
      html += "<p class=\"hint\">\(classCount) classes: too many for a matrix; the most frequent "
      html += "confusions follow.</p>\n"
    }
    var pairs: [(truth: Int, predicted: Int, count: Int)] = []
    for (truth, row) in confusion.enumerated() {
      for (predicted, count) in row.enumerated() where predicted != truth && count > 0 {
        pairs.append((truth, predicted, count))
      }
    }
    pairs.sort {
      $0.count != $1.count
        ? $0.count > $1.count : ($0.truth, $0.predicted) < ($1.truth, $1.predicted)
    }
    if !pairs.isEmpty {
      html += "<h3>Most frequent confusions</h3>\n<ol class=\"confusions\">\n"
      for pair in pairs.prefix(10) {
        html += "<li><a href=\"#gallery\" data-t=\"\(pair.truth)\" data-p=\"\(pair.predicted)\">"
        html +=
          "\(escapeMarkup(classNames[pair.truth])) → \(escapeMarkup(classNames[pair.predicted]))"
        html += "</a>: \(pair.count)</li>\n"
      }
      html += "</ol>\n"
    }
    return html + "</section>\n"
  }

  /// One matrix cell: green on the diagonal, red off it, opacity rising with the row share
  /// (square root, so that a few confusions are still visible).
  func confusionCell(count: Int, share: Double, truth: Int, predicted: Int) -> String {
    let tooltip =
      "true \(classNames[truth]), predicted \(classNames[predicted]): \(count) "
      + "(\(Self.percent(share)) of the row)"
    var style = ""
    if count > 0 {
      let alpha = 0.08 + 0.82 * share.squareRoot()
      let color = truth == predicted ? "46,125,50" : "198,40,40"
      style = " style=\"background:rgba(\(color),\(String(format: "%.2f", alpha)))"
      style += alpha > 0.5 ? ";color:#fff\"" : "\""
    }
    let zero = count == 0 ? " zero" : ""
    return "<td class=\"cell\(zero)\" data-t=\"\(truth)\" data-p=\"\(predicted)\"\(style) "
      + "title=\"\(escapeMarkup(tooltip))\">\(count)</td>"
  }

  /// The gallery's controls and containers; the script fills them from the embedded data.
  static let gallerySection = """
    <section id="gallery">
    <h2>Test images</h2>
    <form id="rp-controls" class="controls" onsubmit="return false">
    <label>show <select id="rp-show"><option value="all">all</option><option value="wrong">wrong only</option><option value="right">right only</option></select></label>
    <label>true class <select id="rp-true"><option value="-1">any</option></select></label>
    <label>predicted <select id="rp-pred"><option value="-1">any</option></select></label>
    <label>confidence <input id="rp-lo" type="number" min="0" max="100" step="1" value="0"> – <input id="rp-hi" type="number" min="0" max="100" step="1" value="100"> %</label>
    <label>name <input id="rp-name" type="search" size="10" placeholder="contains"></label>
    <label>sort <select id="rp-sort"><option value="index">index</option><option value="conf-desc">confidence, high first</option><option value="conf-asc">confidence, low first</option><option value="true-asc">true-class probability, low first</option><option value="true-desc">true-class probability, high first</option></select></label>
    <label>per page <select id="rp-size"><option>50</option><option>100</option><option>200</option><option>500</option><option>1000</option></select></label>
    <button type="button" id="rp-reset">reset</button>
    </form>
    <nav class="pager"><button type="button" data-go="first">«</button><button type="button" data-go="prev">‹ prev</button><span id="rp-status"></span><button type="button" data-go="next">next ›</button><button type="button" data-go="last">»</button></nav>
    <noscript><p class="note">The gallery needs JavaScript; the tables above do not.</p></noscript>
    <div id="rp-cards" class="cards"></div>
    <nav class="pager"><button type="button" data-go="first">«</button><button type="button" data-go="prev">‹ prev</button><span class="rp-status-copy"></span><button type="button" data-go="next">next ›</button><button type="button" data-go="last">»</button></nav>
    </section>

    """
}
