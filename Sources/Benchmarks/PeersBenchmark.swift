import Foundation
import Kernels
import NN
import TensorCore
import Vision

/// `Benchmarks peers [quick] [--rounds N]`: the frozen ResNet-50 backbone (to the 2048 pooled
/// features) at 32×32 batch 64 and 224×224 batch 16, ours in fp32 and bf16 against PyTorch (fp32,
/// bf16 autocast), ONNX Runtime (fp32) and OpenVINO (fp32, bf16) from `scripts/bench/peers.py`,
/// at the same thread count, in paired rounds: each round times ours and then every peer of the
/// case (or the peers first, every other round) within seconds, and its ratio is ours against
/// the fastest peer of that round. Each line gives every engine's median images per second over
/// the rounds, each peer's max relative error against PyTorch fp32, and the ratio's median and
/// range (above 1: we are faster). Then each engine's peak RSS at 224×224, in a process of its own.
func runPeersBenchmark(quick: Bool, rounds: Int) -> String {
  var lines = [
    "## ResNet-50 backbone against every peer (random weights, threads: \(threadsDescription()), \(rounds) paired rounds)"
  ]
  let cases = [
    PeerCase(precision: .fp32, size: 32, batch: 64),
    PeerCase(precision: .fp32, size: 224, batch: 16),
    PeerCase(precision: .bf16, size: 32, batch: 64),
    PeerCase(precision: .bf16, size: 224, batch: 16),
  ]
  var generator = SeededGenerator(seed: 3)
  var inputs: [Int: Tensor] = [:]
  for item in cases where inputs[item.size] == nil {
    inputs[item.size] = Tensor.randomNormal(
      [item.batch, 3, item.size, item.size], using: &generator)
  }
  var models: [Precision: ResNet] = [:]
  for precision in Precision.allCases {
    guard let model = try? ResNet(depth: 50) else { return "ResNet-50 could not be built" }
    model.fold(precision: precision)
    guard model.precision == precision else {
      lines.append("(ours \(precision.rawValue): this CPU lacks bf16 instructions, skipped)")
      continue
    }
    models[precision] = model
  }
  let session = ReferenceSession(
    script: "scripts/bench/peers.py",
    arguments: ["--threads", "\(ComputeThreads.count)"] + (quick ? ["--quick"] : []))
  if session == nil {
    lines.append(
      "(peers unavailable: \(referencePython) with torch, onnxruntime and openvino not found)")
  }
  var results = cases.map { _ in PeerCaseResult() }
  for round in 0..<rounds {
    for (index, item) in cases.enumerated() {
      guard let model = models[item.precision], let input = inputs[item.size] else { continue }
      let repetitions = item.size == 32 ? (quick ? 2 : 3) : (quick ? 1 : 2)
      let timeOurs = {
        medianSeconds(repetitions: repetitions, warmup: 1) { _ = model.features(input) }
      }
      let oursFirst = round % 2 == 0
      var mine = oursFirst ? timeOurs() : 0
      var fastest: (name: String, seconds: Double)?
      for peer in item.peers {
        guard
          let seconds = session?.seconds(peer.key, size: item.size, repetitions: repetitions)
        else { continue }
        results[index].peerSeconds[peer.name, default: []].append(seconds)
        if seconds < fastest?.seconds ?? .infinity { fastest = (peer.name, seconds) }
      }
      if !oursFirst { mine = timeOurs() }
      results[index].ourSeconds.append(mine)
      if let fastest {
        results[index].ratios.append(fastest.seconds / mine)
        results[index].fastestNames.append(fastest.name)
      }
    }
  }
  session?.close()
  for (index, item) in cases.enumerated() where !results[index].ourSeconds.isEmpty {
    lines.append(results[index].line(for: item, errors: session?.values ?? [:]))
  }
  lines += peakMemoryLines(precisions: Array(models.keys).sorted { $0.rawValue > $1.rawValue })
  return lines.joined(separator: "\n")
}

/// One case of the peers benchmark and the peers it is compared with (`peers.py`'s engine keys).
private struct PeerCase {
  let precision: Precision
  let size: Int
  let batch: Int

  var peers: [(key: String, name: String)] {
    precision == .fp32
      ? [
        ("onnxruntime_fp32", "ONNX Runtime"), ("openvino_fp32", "OpenVINO"),
        ("torch_fp32", "PyTorch"),
      ]
      : [("openvino_bf16", "OpenVINO"), ("torch_bf16", "PyTorch autocast")]
  }
}

/// Every round's seconds per batch of one case, ours and each peer's, and our ratio to that
/// round's fastest peer.
private struct PeerCaseResult {
  var ourSeconds: [Double] = []
  var peerSeconds: [String: [Double]] = [:]
  var ratios: [Double] = []
  var fastestNames: [String] = []

  /// `fp32 32×32 batch 64: ours R img/s (lo–hi); PEER R (lo–hi; error E); … — ×M (lo–hi) of the
  /// fastest peer of each round (NAME in k, … of n)`: medians over the rounds, and their ranges.
  func line(for item: PeerCase, errors: [String: Double]) -> String {
    let rates = { (seconds: [Double]) in seconds.map { Double(item.batch) / $0 } }
    func summary(_ values: [Double], _ format: String, _ suffix: String = "") -> String {
      let sorted = values.sorted()
      guard let low = sorted.first, let high = sorted.last else { return "–" }
      let middle =
        sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
      return String(format: "\(format)\(suffix) (\(format)–\(format)", middle, low, high)
    }
    var text = String(
      format: "%@ %d×%d batch %d: ours %@)", item.precision.rawValue, item.size, item.size,
      item.batch, summary(rates(ourSeconds), "%.1f", " img/s"))
    for peer in item.peers {
      guard let seconds = peerSeconds[peer.name] else { continue }
      let error = errors["\(peer.key)_\(item.size)_error"] ?? .nan
      text +=
        "; \(peer.name) \(summary(rates(seconds), "%.1f")); error \(String(format: "%.1e", error)))"
    }
    guard !ratios.isEmpty else { return text }
    let counts = Dictionary(fastestNames.map { ($0, 1) }, uniquingKeysWith: +)
      .sorted { $0.value > $1.value }
      .map { "\($0.key) in \($0.value)" }
      .joined(separator: ", ")
    return text
      + " — ×\(summary(ratios, "%.2f"))) of the fastest peer of each round (\(counts) of \(ratios.count))"
  }
}

/// Peak RSS at 224×224 batch 16, each engine in a process of its own (ours: this executable's
/// `forward-loop`; the peers: `scripts/bench/peer_memory.py`), and our ratio to the smallest
/// peer (below 0.5 meets the issue's "at most half of every peer's").
private func peakMemoryLines(precisions: [Precision]) -> [String] {
  var lines: [String] = []
  let peers = [
    "fp32": [("torch", "PyTorch"), ("onnxruntime", "ONNX Runtime"), ("openvino", "OpenVINO")],
    "bf16": [("torch", "PyTorch autocast"), ("openvino", "OpenVINO")],
  ]
  for precision in precisions {
    guard let mine = ownPeakMiB(precision: precision) else { continue }
    var text = String(
      format: "peak RSS %@ 224×224 batch 16: ours %.0f MiB", precision.rawValue, mine)
    var smallest = Double.infinity
    for (engine, name) in peers[precision.rawValue] ?? [] {
      let values = runReferenceScript(
        "scripts/bench/peer_memory.py",
        arguments: [engine, precision.rawValue, "--threads", "\(ComputeThreads.count)"])
      guard let peak = values["max_rss_mib"] else { continue }
      text += String(format: "; %@ %.0f MiB", name, peak)
      smallest = Swift.min(smallest, peak)
    }
    if smallest.isFinite {
      text += String(format: " — ×%.2f of the smallest peer", mine / smallest)
    }
    lines.append(text)
  }
  return lines
}

/// Our peak RSS for the same workload, from `forward-loop 224 16 3` in a child process.
private func ownPeakMiB(precision: Precision) -> Double? {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
  process.arguments = [
    "forward-loop", "224", "16", "3", "--precision", precision.rawValue,
    "--threads", "\(ComputeThreads.count)",
  ]
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  guard (try? process.run()) != nil else { return nil }
  let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  guard let range = text.range(of: "peak RSS ") else { return nil }
  return Double(text[range.upperBound...].prefix { $0.isNumber || $0 == "." })
}
