import Experiments
import Foundation
import NN
import TensorCore
import Vision

/// `Benchmarks forward-loop [SIZE] [BATCH] [ITERATIONS] [ACTIVATIONS_PER_PASS] [--precision fp32|bf16]`:
/// the frozen ResNet-50 forward alone, in a loop, for profilers (`perf record`); prints images per
/// second and the precision it ran in (bf16 falls back to fp32, and says so, without the CPU's
/// bf16 instructions).
/// `ACTIVATIONS_PER_PASS` overrides `ResNet.activationsPerPass` (what sizes the folded model's
/// passes) for A/B runs.
func runForwardLoop(_ arguments: [String]) -> String {
  let (precision, values, problem) = profileArguments(arguments)
  if let problem { return problem }
  let size = values.count > 0 ? values[0] : 32
  let batch = values.count > 1 ? values[1] : 64
  let iterations = values.count > 2 ? values[2] : 20
  // Folded in place: only the folded model is kept, as `FineTuneInputs` does for the
  // feature cache.
  guard let inference = try? ResNet(depth: 50) else { return "ResNet-50 could not be built" }
  inference.fold(precision: precision)
  if values.count > 3 { inference.activationsPerPass = values[3] }
  var generator = SeededGenerator(seed: 3)
  let input = Tensor.randomNormal([batch, 3, size, size], using: &generator)
  _ = inference.features(input)
  let start = Date()
  for _ in 0..<iterations { _ = inference.features(input) }
  let seconds = Date().timeIntervalSince(start)
  return String(
    format: "forward %d×%d batch %d: %.1f img/s over %d iterations (%@%@)", size, size, batch,
    Double(batch * iterations) / seconds, iterations, inference.precision.rawValue,
    inference.precision == precision ? "" : ", as this CPU lacks bf16 instructions")
    + String(format: "; peak RSS %.0f MiB", peakResidentMiB())
}

/// `Benchmarks train-loop [ITERATIONS]`: full ResNet-50 training steps at 32×32 batch 64 in a
/// loop, for profilers; prints images per second.
func runTrainLoop(_ arguments: [String]) -> String {
  let iterations = arguments.compactMap { Int($0) }.first ?? 5
  guard let model = try? ResNet(depth: 50) else { return "ResNet-50 could not be built" }
  model.train()
  let optimizer = SGD(model.parameters, learningRate: 0.001, momentum: 0.9)
  var generator = SeededGenerator(seed: 3)
  let input = Tensor.randomNormal([64, 3, 32, 32], using: &generator)
  let labels = (0..<64).map { $0 % 10 }
  func step() {
    optimizer.zeroGradients()
    Loss.crossEntropy(logits: model(input), labels: labels).backward()
    optimizer.step()
  }
  step()
  let start = Date()
  for _ in 0..<iterations { step() }
  let seconds = Date().timeIntervalSince(start)
  return String(
    format: "training step 32×32 batch 64: %.1f img/s over %d iterations; peak RSS %.0f MiB",
    Double(64 * iterations) / seconds, iterations, peakResidentMiB())
}

/// `Benchmarks head-loop [EPOCHS]`: head-only epochs over 50,000 × 2048 random features, for
/// profilers; prints seconds per epoch.
func runHeadLoop(_ arguments: [String]) -> String {
  let epochs = arguments.compactMap { Int($0) }.first ?? 3
  var generator = SeededGenerator(seed: 6)
  let rows = 50_000
  let cache = FeatureCache(
    key: FeatureCacheKey(
      weights: "random", dataset: "benchmark", split: "train", transform: "none",
      featureCount: 2048),
    features: Tensor.randomUniform([rows, 2048], using: &generator),
    labels: (0..<rows).map { _ in Int(generator.next(upperBound: UInt64(10))) })
  var configuration = HeadTrainingConfiguration()
  configuration.epochs = epochs
  let trainer = HeadTrainer(specification: .assignment, configuration: configuration)
  let start = Date()
  guard (try? trainer.train(train: cache, validation: nil, classCount: 10)) != nil
  else { return "head training failed" }
  return String(
    format: "head epoch over 50,000 × 2048: %.3f s",
    Date().timeIntervalSince(start) / Double(epochs))
}

/// A profiling mode's arguments: `--precision fp32|bf16` (default fp32), the integers in order,
/// and the message to print instead when `--precision` names something else.
func profileArguments(_ arguments: [String]) -> (Precision, [Int], String?) {
  var arguments = arguments
  var precision = Precision.fp32
  if let index = arguments.firstIndex(of: "--precision"), index + 1 < arguments.count {
    guard let chosen = Precision(rawValue: arguments[index + 1]) else {
      return (.fp32, [], "--precision must be fp32 or bf16, got \(arguments[index + 1])")
    }
    precision = chosen
    arguments.removeSubrange(index...(index + 1))
  }
  return (precision, arguments.compactMap { Int($0) }, nil)
}
