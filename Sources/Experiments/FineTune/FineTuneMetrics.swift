import Foundation
import Plotting

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

  /// Class name, sample count, correct count and accuracy per class.
  public static func perClassTable(
    confusion: [[Int]], classNames: [String], split: String = "test"
  ) -> Table {
    var table = Table(
      columns: [
        .init("class"), .init("samples", alignment: .right), .init("correct", alignment: .right),
        .init("accuracy", alignment: .right),
      ],
      caption: "\(split.prefix(1).uppercased() + split.dropFirst()) accuracy per class")
    for (index, accuracy) in perClassAccuracy(confusion: confusion).enumerated() {
      table.append([
        name(index, classNames), "\(confusion[index].reduce(0, +))", "\(confusion[index][index])",
        accuracy.map { percent($0) } ?? "–",
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

  /// Training and validation loss and accuracy per epoch on one axes (accuracy is a fraction,
  /// so both fit the same scale for cross-entropy losses of a few nats).
  public static func curvesFigure(_ epochs: [HeadEpochMetrics], title: String = "Fine-tuning")
    -> Figure
  {
    var axes = Axes(xLabel: "epoch", yLabel: "loss / accuracy")
    let x = epochs.map { Double($0.epoch) }
    axes.addLine(x: x, y: epochs.map(\.trainLoss), label: "train loss", color: .palette(0))
    axes.addLine(
      x: x, y: epochs.map(\.trainAccuracy), label: "train accuracy", color: .palette(1),
      dash: .dashed)
    let validated = epochs.filter { $0.validationLoss != nil && $0.validationAccuracy != nil }
    if !validated.isEmpty {
      let vx = validated.map { Double($0.epoch) }
      axes.addLine(
        x: vx, y: validated.compactMap(\.validationLoss), label: "validation loss",
        color: .palette(2), marker: .circle)
      axes.addLine(
        x: vx, y: validated.compactMap(\.validationAccuracy), label: "validation accuracy",
        color: .palette(3), dash: .dashed, marker: .circle)
    }
    return Figure(title: title, axes: axes)
  }

  /// Writes `curvesFigure` as `<base>.svg` and `<base>.png`.
  public static func writeCurves(_ epochs: [HeadEpochMetrics], to base: URL) throws {
    let figure = curvesFigure(epochs)
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
