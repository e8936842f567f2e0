import Foundation
import Plotting
import Vision

/// Accuracy, per-class accuracy, the confusion matrix, the metrics CSV and the training curves
/// of a fine-tuning run.
public enum FineTuneMetrics {
  /// Fraction of `predictions` equal to `labels` (0 for none).
  public static func accuracy(predictions: [Int], labels: [Int]) -> Double {
    guard !labels.isEmpty else { return 0 }
    return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
  }

  /// `matrix[true][predicted]` counts (`sklearn.metrics.confusion_matrix`'s orientation); labels
  /// or predictions outside `0..<classCount` are left out.
  public static func confusionMatrix(predictions: [Int], labels: [Int], classCount: Int)
    -> [[Int]]
  {
    var matrix = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
    for (predicted, truth) in zip(predictions, labels)
    where (0..<classCount).contains(predicted) && (0..<classCount).contains(truth) {
      matrix[truth][predicted] += 1
    }
    return matrix
  }

  /// Each class's recall: correct / samples of that class, nil for a class with no samples.
  public static func perClassAccuracy(confusion: [[Int]]) -> [Double?] {
    confusion.enumerated().map { index, row in
      let total = row.reduce(0, +)
      return total == 0 ? nil : Double(row[index]) / Double(total)
    }
  }

  /// Each class's precision: correct / images predicted as that class, nil when none was.
  public static func perClassPrecision(confusion: [[Int]]) -> [Double?] {
    confusion.indices.map { index in
      let predicted = confusion.reduce(0) { $0 + $1[index] }
      return predicted == 0 ? nil : Double(confusion[index][index]) / Double(predicted)
    }
  }

  /// Each class's F1, the harmonic mean of precision and recall (`sklearn`'s `f1_score` per
  /// class): `2·TP / (2·TP + FP + FN)`, nil for a class neither present nor predicted.
  public static func perClassF1(confusion: [[Int]]) -> [Double?] {
    confusion.indices.map { index in
      let truePositives = confusion[index][index]
      let actual = confusion[index].reduce(0, +)
      let predicted = confusion.reduce(0) { $0 + $1[index] }
      let denominator = actual + predicted
      return denominator == 0 ? nil : Double(2 * truePositives) / Double(denominator)
    }
  }

  /// Fraction of rows whose label is among the `k` highest probabilities (ties to the lower
  /// index, as every ranking here); nil when there are `k` classes or fewer (it would be 1).
  public static func topKAccuracy(probabilities: [[Float]], labels: [Int], k: Int) -> Double? {
    guard let width = probabilities.first?.count, width > k, !labels.isEmpty else { return nil }
    let hits = zip(probabilities, labels).filter { row, label in
      ImageClassifier.ranked(row).prefix(k).contains(label)
    }.count
    return Double(hits) / Double(labels.count)
  }

  /// Class name, sample count, correct count, accuracy (recall), precision and F1 per class.
  public static func perClassTable(
    confusion: [[Int]], classNames: [String], split: String = "test"
  ) -> Table {
    var table = Table(
      columns: [
        .init("class"), .init("samples", alignment: .right), .init("correct", alignment: .right),
        .init("accuracy (recall)", alignment: .right), .init("precision", alignment: .right),
        .init("F1", alignment: .right),
      ],
      caption: "\(split.prefix(1).uppercased() + split.dropFirst()) accuracy per class")
    let (precision, f1) = (
      perClassPrecision(confusion: confusion), perClassF1(confusion: confusion)
    )
    for (index, accuracy) in perClassAccuracy(confusion: confusion).enumerated() {
      table.append([
        name(index, classNames), "\(confusion[index].reduce(0, +))", "\(confusion[index][index])",
        accuracy.map { percent($0) } ?? "–", precision[index].map { percent($0) } ?? "–",
        f1[index].map { String(format: "%.3f", $0) } ?? "–",
      ])
    }
    return table
  }

  /// The confusion matrix with true classes as rows and predicted classes as columns.
  public static func confusionTable(confusion: [[Int]], classNames: [String]) -> Table {
    var columns: [Table.Column] = [.init("true \\ predicted")]
    columns += confusion.indices.map { .init(name($0, classNames), alignment: .right) }
    var table = Table(columns: columns, caption: "Confusion matrix (rows: true class)")
    for (index, row) in confusion.enumerated() {
      table.append([name(index, classNames)] + row.map(String.init))
    }
    return table
  }

  /// `epoch,train_loss,train_accuracy,validation_loss,validation_accuracy`, one line per epoch,
  /// empty cells where the epoch was not validated.
  public static func csv(_ epochs: [HeadEpochMetrics]) -> String {
    var text = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy\n"
    for metrics in epochs {
      let cells = [
        "\(metrics.epoch)", "\(metrics.trainLoss)", "\(metrics.trainAccuracy)",
        metrics.validationLoss.map { "\($0)" } ?? "",
        metrics.validationAccuracy.map { "\($0)" } ?? "",
      ]
      text += cells.joined(separator: ",") + "\n"
    }
    return text
  }

  /// Writes `csv(epochs)` atomically (temporary file + rename).
  public static func writeCSV(_ epochs: [HeadEpochMetrics], to url: URL) throws {
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(csv(epochs).utf8).write(to: url, options: .atomic)
  }

  /// One JSON object per epoch and line (`epoch`, `trainLoss`, `trainAccuracy`, and the
  /// validation numbers when measured), written atomically.
  public static func writeJSONLines(_ epochs: [HeadEpochMetrics], to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var text = ""
    for metrics in epochs {
      text += String(decoding: try encoder.encode(metrics), as: UTF8.self) + "\n"
    }
    try Data(text.utf8).write(to: url, options: .atomic)
  }

  /// Training curves in two panels: loss per epoch above, accuracy (%) per epoch below, train
  /// and validation in each, with the kept (best-validation) epoch and the first epoch of the
  /// backbone phase marked by vertical lines and one legend below both panels, off the data.
  /// `keptEpoch` and `unfreezeEpoch` are left out when nil (or outside the epochs shown).
  public static func curvesFigure(
    _ epochs: [HeadEpochMetrics], title: String = "Fine-tuning", keptEpoch: Int? = nil,
    unfreezeEpoch: Int? = nil
  ) -> FigureGrid {
    var loss = Figure(width: 640, height: 250, title: "Loss (cross-entropy)")
    loss.axes = Axes(xLabel: "", yLabel: "loss")
    var accuracy = Figure(width: 640, height: 270, title: "Accuracy")
    accuracy.axes = Axes(xLabel: "epoch", yLabel: "accuracy (%)")
    let x = epochs.map { Double($0.epoch) }
    let validated = epochs.filter { $0.validationLoss != nil && $0.validationAccuracy != nil }
    let vx = validated.map { Double($0.epoch) }
    // Markers where the epochs are few enough to tell apart.
    let marker: MarkerShape? = epochs.count <= 30 ? .circle : nil
    loss.axes.addLine(
      x: x, y: epochs.map(\.trainLoss), label: "train", color: .palette(0), marker: marker)
    accuracy.axes.addLine(
      x: x, y: epochs.map { 100 * $0.trainAccuracy }, label: "train", color: .palette(0),
      marker: marker)
    if !validated.isEmpty {
      loss.axes.addLine(
        x: vx, y: validated.compactMap(\.validationLoss), label: "validation", color: .palette(1),
        dash: .dashed, marker: .square)
      accuracy.axes.addLine(
        x: vx, y: validated.compactMap { $0.validationAccuracy.map { 100 * $0 } },
        label: "validation", color: .palette(1), dash: .dashed, marker: .square)
    }
    let shown = (epochs.map(\.epoch).min() ?? 0)...(epochs.map(\.epoch).max() ?? 0)
    for panel in [0, 1] {
      var axes = panel == 0 ? loss.axes : accuracy.axes
      axes.legend = .hidden
      if let unfreezeEpoch, shown.contains(unfreezeEpoch) {
        // The backbone phase starts with this epoch: the line sits half an epoch before it.
        axes.addVerticalLine(
          at: Double(unfreezeEpoch) - 0.5, color: .palette(3), dash: .dotted,
          label: "backbone unfrozen from epoch \(unfreezeEpoch)")
      }
      if let keptEpoch, shown.contains(keptEpoch) {
        axes.addVerticalLine(
          at: Double(keptEpoch), color: .palette(2),
          label: "kept model (epoch \(keptEpoch), best validation)")
      }
      if epochs.count <= 12 { axes.xTicks = x }
      if panel == 0 { loss.axes = axes } else { accuracy.axes = axes }
    }
    return FigureGrid(title: title, panels: [loss, accuracy], columns: 1, legend: .bottom)
  }

  /// Writes `curvesFigure` as `<base>.svg` and `<base>.png`, marking the kept epoch and the
  /// first epoch of the backbone phase when given.
  public static func writeCurves(
    _ epochs: [HeadEpochMetrics], to base: URL, keptEpoch: Int? = nil, unfreezeEpoch: Int? = nil
  ) throws {
    let figure = curvesFigure(epochs, keptEpoch: keptEpoch, unfreezeEpoch: unfreezeEpoch)
    try FileManager.default.createDirectory(
      at: base.deletingLastPathComponent(), withIntermediateDirectories: true)
    try figure.writeSVG(to: base.appendingPathExtension("svg"))
    try figure.writePNG(to: base.appendingPathExtension("png"))
  }

  private static func name(_ index: Int, _ classNames: [String]) -> String {
    index < classNames.count ? classNames[index] : "\(index)"
  }

  private static func percent(_ value: Double) -> String {
    String(format: "%.1f %%", 100 * value)
  }
}
