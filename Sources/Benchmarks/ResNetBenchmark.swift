import Foundation
import Kernels
import NN
import TensorCore
import Vision

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Peak resident memory of this process in MiB (`getrusage`).
func peakResidentMiB() -> Double {
  #if os(Linux)
    // VmHWM, this address space's own peak: ru_maxrss would also count the parent's resident
    // set at fork time, which Linux keeps across exec (a child of a 500 MiB process reads 500).
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kibibytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    {
      return kibibytes / 1024
    }
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
  #else
    var usage = rusage()
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576
  #endif
}

/// ResNet-50 forward (frozen backbone, folded) at 32×32 batch 64 and 224×224 batch 16,
/// and one full training step at 32×32 batch 64, each against PyTorch (scripts/bench/resnet_torch.py).
func runResNetBenchmark(quick: Bool) -> String {
  var lines = ["## ResNet-50 (random weights, threads: \(threadsDescription()))"]
  // The frozen backbone as `FeatureExtractor` holds it: the folded engine only (the
  // training-capable model it was folded from is released), so the forward's peak memory is
  // the engine's. The training step below builds its own model.
  guard let inference = try? ResNet(depth: 50).folded() else {
    return "ResNet-50 could not be built"
  }
  var generator = SeededGenerator(seed: 3)
  let small = Tensor.randomNormal([64, 3, 32, 32], using: &generator)
  let repetitions = quick ? 3 : 7
  let forwardSmall = medianSeconds(repetitions: repetitions, warmup: 1) {
    _ = inference.features(small)
  }
  let reference = runReferenceScript(
    "scripts/bench/resnet_torch.py", arguments: quick ? ["--quick"] : [])
  lines.append(
    throughput(
      "backbone forward 32×32 batch 64", images: 64, ours: forwardSmall,
      reference: reference["forward32"]))
  let large = Tensor.randomNormal([16, 3, 224, 224], using: &generator)
  let forwardLarge = medianSeconds(repetitions: quick ? 1 : 3, warmup: 1) {
    _ = inference.features(large)
  }
  lines.append(
    throughput(
      "backbone forward 224×224 batch 16", images: 16, ours: forwardLarge,
      reference: reference["forward224"]))
  let rssForward = peakResidentMiB()
  lines.append(
    String(
      format: "peak RSS after the forward runs: %.0f MiB (PyTorch: %@)", rssForward,
      reference["rss_mib"].map { String(format: "%.0f MiB", $0) } ?? "n/a"))

  guard let model = try? ResNet(depth: 50) else { return "ResNet-50 could not be built" }
  model.train()
  let optimizer = SGD(model.parameters, learningRate: 0.001, momentum: 0.9)
  let labels = (0..<64).map { $0 % 10 }
  let step = medianSeconds(repetitions: quick ? 1 : 3, warmup: 1) {
    optimizer.zeroGradients()
    Loss.crossEntropy(logits: model(small), labels: labels).backward()
    optimizer.step()
  }
  lines.append(
    throughput(
      "full training step 32×32 batch 64", images: 64, ours: step, reference: reference["train32"]))
  return lines.joined(separator: "\n")
}

func threadsDescription() -> String { "\(ComputeThreads.count)" }

/// "name: ours N img/s, PyTorch M img/s, ×ratio".
func throughput(_ name: String, images: Int, ours: Double, reference: Double?) -> String {
  let rate = Double(images) / ours
  guard let reference else {
    return String(format: "%@: ours %.1f img/s (PyTorch unavailable)", name, rate)
  }
  let referenceRate = Double(images) / reference
  return String(
    format: "%@: ours %.1f img/s, PyTorch %.1f img/s, ×%.2f", name, rate, referenceRate,
    rate / referenceRate)
}
