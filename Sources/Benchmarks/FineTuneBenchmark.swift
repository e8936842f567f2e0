import Experiments
import Foundation
import Kernels
import NN
import TensorCore
import Vision

/// Issue #6's fine-tuning benchmarks against PyTorch (scripts/bench/finetune_torch.py), on a
/// ResNet-50 with random seeded weights and the assignment's head `Linear(2048, 32) →
/// Dropout(0.5) → Linear(32, 10)` (cross-entropy, SGD lr 0.001 momentum 0.9), inputs
/// normalised with mean 0.5 / std 0.5:
///
/// 1. the frozen-backbone train step at 32×32 batch 64 (ours: the BN-folded `ResNet.folded()`
///    features, then the head's forward, backward and SGD step; PyTorch: the backbone under
///    `no_grad` in eval mode, then the same head step), and the provided code's literal step
///    (whole net in train mode, backbone parameters frozen, BN on batch statistics);
/// 2. one shuffled head-only epoch (`HeadTrainer`) over 50,000 × 2048 cached features;
/// 3. the projected wall time of the full CIFAR-10 recipe: caching 60,000 images, 10 head
///    epochs and 1 unfrozen epoch on 50,000 images.
func runFineTuneBenchmark(quick: Bool) -> String {
  var lines = ["## Part 4 — fine-tuning (random weights, threads: \(threadsDescription()))"]
  guard let model = try? ResNet(depth: 50, seed: 6) else { return "ResNet-50 could not be built" }
  model.eval()
  let inference = model.folded()
  var generator = SeededGenerator(seed: 6)
  let raw = Tensor.randomUniform([64, 3, 32, 32], using: &generator)
  let labels = (0..<64).map { $0 % 10 }
  func normalized(_ x: Tensor) -> Tensor { (x - 0.5) / 0.5 }
  func makeHead(seed: UInt64) -> Sequential {
    HeadSpecification.assignment.build(
      inputFeatures: inference.featureCount, classCount: 10, seed: seed)
  }
  let repetitions = quick ? 3 : 7

  // The cost of caching: the frozen backbone's forward alone.
  let forward = medianSeconds(repetitions: repetitions, warmup: 1) {
    _ = inference.features(normalized(raw))
  }

  // 1. Frozen-backbone train step: features without a tape, then the head's step.
  let head = makeHead(seed: 0)
  head.train()
  let headOptimizer = SGD(head.parameters, learningRate: 0.001, momentum: 0.9)
  let frozen = medianSeconds(repetitions: repetitions, warmup: 1) {
    let features = inference.features(normalized(raw))
    headOptimizer.zeroGradients()
    Loss.crossEntropy(logits: head(features), labels: labels).backward()
    headOptimizer.step()
  }

  // The provided code's step, literally: train mode (BN batch statistics), frozen backbone.
  model.train()
  model.setRequiresGradient(false)
  let literalHead = makeHead(seed: 1)
  let literalOptimizer = SGD(literalHead.parameters, learningRate: 0.001, momentum: 0.9)
  let literal = medianSeconds(repetitions: quick ? 3 : 5, warmup: 1) {
    let features = model.features(normalized(raw))
    literalOptimizer.zeroGradients()
    Loss.crossEntropy(logits: literalHead(features), labels: labels).backward()
    literalOptimizer.step()
  }

  // 2. One head-only epoch on 50,000 × 2048 cached features (no validation, no checkpoint).
  let rows = 50_000
  let cache = FeatureCache(
    key: FeatureCacheKey(
      weights: "random:6", dataset: "benchmark", split: "train", transform: "none",
      featureCount: inference.featureCount),
    features: Tensor.randomUniform([rows, inference.featureCount], using: &generator),
    labels: (0..<rows).map { _ in Int(generator.next(upperBound: UInt64(10))) })
  var configuration = HeadTrainingConfiguration()
  configuration.epochs = 1
  let trainer = HeadTrainer(specification: .assignment, configuration: configuration)
  var failure: (any Error)?
  let headEpoch = medianSeconds(repetitions: quick ? 1 : 3, warmup: 1) {
    do {
      _ = try trainer.train(train: cache, validation: nil, classCount: 10)
    } catch { failure = error }
  }
  // The batches are small enough that threads may not pay: the same epoch on one thread.
  let threads = ComputeThreads.count
  ProcessSettings.applyForThisProcess(threads: 1)
  let headEpochSingle = medianSeconds(repetitions: quick ? 1 : 3, warmup: 1) {
    do {
      _ = try trainer.train(train: cache, validation: nil, classCount: 10)
    } catch { failure = error }
  }
  ProcessSettings.applyForThisProcess(threads: threads)
  if let failure { return "head epoch failed: \(failure)" }

  // 3. The unfrozen train step: the whole ResNet-50 and a head in train mode.
  model.setRequiresGradient(true)
  let fullHead = makeHead(seed: 2)
  model.fc = fullHead
  let optimizer = SGD(model.parameters, learningRate: 0.001, momentum: 0.9)
  let train = medianSeconds(repetitions: quick ? 1 : 3, warmup: 1) {
    optimizer.zeroGradients()
    Loss.crossEntropy(logits: model(normalized(raw)), labels: labels)
      .backward()
    optimizer.step()
  }

  let reference = runReferenceScript(
    "scripts/bench/finetune_torch.py",
    arguments: ["--threads", "\(ComputeThreads.count)"] + (quick ? ["--quick"] : []))
  lines.append(
    throughput(
      "backbone forward 32×32 batch 64 (caching)", images: 64, ours: forward,
      reference: reference["forward32"]))
  lines.append(
    throughput(
      "frozen-backbone train step 32×32 batch 64", images: 64, ours: frozen,
      reference: reference["frozen32"]))
  lines.append(
    throughput(
      "provided code's step (train-mode BN, frozen backbone) 32×32 batch 64", images: 64,
      ours: literal, reference: reference["literal32"]))
  if let literalReference = reference["literal32"] {
    lines.append(
      String(
        format: "  ours (frozen, BN folded) vs PyTorch as provided: %.1f vs %.1f img/s, ×%.2f",
        64 / frozen, 64 / literalReference, literalReference / frozen))
  }
  lines.append(
    comparison(
      "head-only epoch, 50,000×2048 features, batch 64", ours: headEpoch,
      reference: reference["head_epoch"], unit: "s", scale: 1))
  lines.append(
    comparison(
      "head-only epoch, 1 thread each", ours: headEpochSingle,
      reference: reference["head_epoch_1thread"], unit: "s", scale: 1))
  lines.append(
    throughput(
      "unfrozen train step 32×32 batch 64 (fwd + bwd + SGD)", images: 64, ours: train,
      reference: reference["train32"]))

  func projection(forward: Double, headEpoch: Double, train: Double) -> [Double] {
    let parts = [60_000 / 64 * forward, 10 * headEpoch, 50_000 / 64 * train]
    return parts + [parts.reduce(0, +)]
  }
  // Each side's head epochs at its faster thread count.
  let ours = projection(
    forward: forward, headEpoch: min(headEpoch, headEpochSingle), train: train)
  var references: [Double]?
  if let forward = reference["forward32"], let epoch = reference["head_epoch"],
    let train = reference["train32"]
  {
    let best = min(epoch, reference["head_epoch_1thread"] ?? epoch)
    references = projection(forward: forward, headEpoch: best, train: train)
  }
  lines.append(
    "projected CIFAR-10 recipe, head epochs at the faster thread count (ours | PyTorch | ratio):")
  let names = [
    "cache 60,000 images", "10 head epochs on 50,000", "1 unfrozen epoch on 50,000", "total",
  ]
  for (index, name) in names.enumerated() {
    let theirs = references.map {
      duration($0[index]) + String(format: " | ×%.2f", $0[index] / ours[index])
    }
    lines.append("  \(name): \(duration(ours[index])) | \(theirs ?? "PyTorch unavailable")")
  }
  return lines.joined(separator: "\n")
}

/// "93.1 s (1.55 min)".
private func duration(_ seconds: Double) -> String {
  String(format: "%.1f s (%.2f min)", seconds, seconds / 60)
}
