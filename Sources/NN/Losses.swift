import TensorCore

/// Loss functions, each the mean over the batch like PyTorch's default `reduction="mean"`.
public enum Loss {
  /// Cross-entropy from logits (`F.cross_entropy`): `mean_n(−log softmax(z_n)[t_n])`.
  /// Computed through log-softmax, so it is finite for any finite logits.
  /// Shapes: `logits: [N, C]`, `labels: N` integers in `0..<C`.
  ///
  /// With `labelSmoothing` ε (`F.cross_entropy(label_smoothing=ε)`), the target is
  /// `(1 − ε)·onehot(t) + ε/C`: `mean_n((1 − ε)·(−log p_n[t_n]) + ε·mean_c(−log p_n[c]))`.
  ///
  /// With `classWeights` w (`F.cross_entropy(weight=w)`), class c's terms are weighted by w_c and
  /// the sum is divided by `Σ_n w[t_n]` instead of N, as PyTorch's weighted mean.
  public static func crossEntropy(
    logits: Tensor, labels: [Int], labelSmoothing: Float = 0, classWeights: [Float]? = nil
  ) -> Tensor {
    precondition(
      logits.rank == 2 && logits.shape[0] == labels.count,
      "crossEntropy: logits \(logits.shape) vs \(labels.count) labels")
    let classes = logits.shape[1]
    precondition(
      labels.allSatisfy { $0 >= 0 && $0 < classes },
      "crossEntropy: label out of range 0..<\(classes)")
    precondition(
      labelSmoothing >= 0 && labelSmoothing <= 1,
      "crossEntropy: label smoothing \(labelSmoothing) not in [0, 1]")
    precondition(
      classWeights.map { $0.count == classes } ?? true,
      "crossEntropy: \(classWeights?.count ?? 0) class weights for \(classes) classes")
    let weight = { (c: Int) in classWeights?[c] ?? 1 }
    let spread = labelSmoothing / Float(max(classes, 1))
    var target = [Float](repeating: 0, count: logits.count)
    var total: Float = 0
    for (row, label) in labels.enumerated() {
      for c in 0..<classes { target[row * classes + c] = spread * weight(c) }
      target[row * classes + label] += (1 - labelSmoothing) * weight(label)
      total += weight(label)
    }
    let picked = (logits.logSoftmax(alongAxis: 1) * Tensor(shape: logits.shape, scalars: target))
      .sum()
    return -picked / (classWeights == nil ? Float(max(labels.count, 1)) : total)
  }

  /// Mean squared error (`F.mse_loss`): `mean((y − t)²)`.
  public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    precondition(
      prediction.shape == target.shape, "meanSquaredError: \(prediction.shape) vs \(target.shape)")
    return (prediction - target).squared().mean()
  }

  /// Binary cross-entropy from logits (`F.binary_cross_entropy_with_logits`):
  /// `mean(softplus(z) − t·z)`, the stable form of `−[t log σ(z) + (1−t) log(1−σ(z))]`.
  public static func binaryCrossEntropy(logits: Tensor, targets: Tensor) -> Tensor {
    precondition(
      logits.shape == targets.shape, "binaryCrossEntropy: \(logits.shape) vs \(targets.shape)")
    return (logits.softplus() - targets * logits).mean()
  }
}
