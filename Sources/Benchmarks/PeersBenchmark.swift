import Foundation
import Kernels
import NN
import TensorCore
import Vision

/// `Benchmarks peers [quick]`: the frozen ResNet-50 backbone (to the 2048 pooled features) at
/// 32×32 batch 64 and 224×224 batch 16, ours in fp32 and bf16 against PyTorch (fp32, bf16
/// autocast), ONNX Runtime (fp32) and OpenVINO (fp32, bf16) from `scripts/bench/peers.py`, run in
/// the same invocation at the same thread count. Each line gives every engine's images per
/// second and our ratio to the fastest peer at that precision (above 1: we are faster), and each
/// peer's max relative error against PyTorch fp32; ours is timed before and after the peers.
/// Then each engine's peak RSS at 224×224, in a process of its own.
func runPeersBenchmark(quick: Bool) -> String {
  var lines = [
    "## ResNet-50 backbone against every peer (random weights, threads: \(threadsDescription()))"
  ]
  let cases = [(size: 32, batch: 64), (size: 224, batch: 16)]
  var generator = SeededGenerator(seed: 3)
  let inputs = cases.map {
    Tensor.randomNormal([$0.batch, 3, $0.size, $0.size], using: &generator)
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
  // Ours is timed before and after the peers and the two medians averaged: this host's speed
  // drifts by up to 30 % within a minute, and the peers take about a minute.
  func timeOurs() -> [String: Double] {
    var seconds: [String: Double] = [:]
    for (precision, model) in models {
      for (index, item) in cases.enumerated() {
        let repetitions = item.size == 32 ? (quick ? 3 : 7) : (quick ? 2 : 3)
        seconds["\(precision.rawValue)_\(item.size)"] = medianSeconds(
          repetitions: repetitions, warmup: 1
        ) { _ = model.features(inputs[index]) }
      }
    }
    return seconds
  }
  let before = timeOurs()
  let peers = runReferenceScript(
    "scripts/bench/peers.py",
    arguments: ["--threads", "\(ComputeThreads.count)"] + (quick ? ["--quick"] : []))
  if peers.isEmpty {
    lines.append(
      "(peers unavailable: \(referencePython) with torch, onnxruntime and openvino not found)")
  }
  let ours = before.merging(timeOurs()) { ($0 + $1) / 2 }
  let engines = [
    (
      "fp32",
      ["torch_fp32": "PyTorch", "onnxruntime_fp32": "ONNX Runtime", "openvino_fp32": "OpenVINO"]
    ),
    ("bf16", ["torch_bf16": "PyTorch autocast", "openvino_bf16": "OpenVINO"]),
  ]
  for (precision, names) in engines {
    for item in cases {
      guard let mine = ours["\(precision)_\(item.size)"] else { continue }
      let rate = { (seconds: Double) in Double(item.batch) / seconds }
      var text = String(
        format: "%@ %d×%d batch %d: ours %.1f img/s", precision, item.size, item.size, item.batch,
        rate(mine))
      var fastest: (name: String, seconds: Double)?
      for (key, name) in names.sorted(by: { $0.key < $1.key }) {
        guard let seconds = peers["\(key)_\(item.size)"] else { continue }
        let error = peers["\(key)_\(item.size)_error"] ?? .nan
        text += String(format: "; %@ %.1f img/s (error %.1e)", name, rate(seconds), error)
        if seconds < fastest?.seconds ?? .infinity { fastest = (name, seconds) }
      }
      if let fastest {
        text += String(
          format: " — ×%.2f of the fastest peer (%@)", fastest.seconds / mine, fastest.name)
      }
      lines.append(text)
    }
  }
  lines += peakMemoryLines(
    precisions: Precision.allCases.filter { ours["\($0.rawValue)_224"] != nil })
  return lines.joined(separator: "\n")
}

/// Peak RSS at 224×224 batch 16, each engine in a process of its own (ours: this executable's
/// `forward-loop`; the peers: `scripts/bench/peer_memory.py`), and our ratio to the smallest
/// peer (below 0.5 meets the "at most half of every peer's").
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
