import Foundation
import TensorCore
import Vision

/// `Benchmarks forward-loop [SIZE] [BATCH] [ITERATIONS]`: the frozen ResNet-50 forward alone, in
/// a loop, for profilers (`perf record`); prints images per second.
func runForwardLoop(_ arguments: [String]) -> String {
  let values = arguments.compactMap { Int($0) }
  let size = values.count > 0 ? values[0] : 32
  let batch = values.count > 1 ? values[1] : 64
  let iterations = values.count > 2 ? values[2] : 20
  // Only the folded engine is kept, as `FeatureExtractor` does.
  let built: ResNetInference? = {
    guard let model = try? ResNet(depth: 50) else { return nil }
    model.eval()
    return ResNetInference(model)
  }()
  guard var inference = built else { return "ResNet-50 could not be built" }
  if let pixels = ProcessInfo.processInfo.environment["CLASSIFY_PASS_PIXELS"].flatMap(Int.init) {
    inference.pixelsPerPass = pixels
  }
  if ProcessInfo.processInfo.environment["CLASSIFY_NCHW"] != nil {
    ResNetInference.usesChannelMajorLayout = false
  }
  var generator = SeededGenerator(seed: 3)
  let input = Tensor.randomNormal([batch, 3, size, size], using: &generator)
  _ = inference.features(input)
  let start = Date()
  for _ in 0..<iterations { _ = inference.features(input) }
  let seconds = Date().timeIntervalSince(start)
  return String(
    format: "forward %d×%d batch %d: %.1f img/s over %d iterations", size, size, batch,
    Double(batch * iterations) / seconds, iterations)
    + String(format: "; peak RSS %.0f MiB", peakResidentMiB())
}
