import Foundation
import NN
import TensorCore
import Vision

/// `Benchmarks forward-layers [SIZE] [BATCH] [REPEATS] [--precision fp32|bf16]`: every
/// convolution of the folded ResNet-50 timed on its own (the median of `REPEATS` calls on the
/// activation the network really feeds it), with its GEMM shape and GFLOP/s, grouped by shape:
/// where an engine change pays, and how close each layer runs to the CPU's peak.
func runForwardLayers(_ arguments: [String]) -> String {
  let (precision, values, problem) = profileArguments(arguments)
  if let problem { return problem }
  let size = values.count > 0 ? values[0] : 32
  let batch = values.count > 1 ? values[1] : 64
  let repeats = values.count > 2 ? values[2] : 5
  guard let model = try? ResNet(depth: 50) else { return "ResNet-50 could not be built" }
  model.fold(precision: precision)
  var generator = SeededGenerator(seed: 3)
  let input = Tensor.randomNormal([batch, 3, size, size], using: &generator)
  var rows: [String: (count: Int, seconds: Double, flops: Double)] = [:]
  var order: [String] = []
  func time(_ name: String, flops: Double, _ body: () -> Tensor) -> Tensor {
    var result = body()
    var samples: [Double] = []
    for _ in 0..<repeats {
      let start = Date()
      result = body()
      samples.append(Date().timeIntervalSince(start))
    }
    let seconds = samples.sorted()[samples.count / 2]
    if rows[name] == nil { order.append(name) }
    let previous = rows[name] ?? (0, 0, 0)
    rows[name] = (previous.count + 1, previous.seconds + seconds, previous.flops + flops)
    return result
  }
  func convolution(_ conv: Conv2d, _ x: Tensor, shortcut: Tensor? = nil) -> Tensor {
    let (kh, kw) = conv.kernelSize
    let output = conv(x).shape
    let (m, k, n) = (
      conv.outputChannels, conv.inputChannels * kh * kw, output[0] * output[1] * output[2]
    )
    let name =
      "\(kh)×\(kw)/\(conv.stride) \(conv.inputChannels)→\(conv.outputChannels) on \(x.shape[1])×\(x.shape[2])"
      + (shortcut == nil ? "" : " +shortcut") + "  (GEMM \(m)×\(k)×\(n))"
    return time(name, flops: 2 * Double(m) * Double(k) * Double(n)) {
      shortcut.map { conv(x, addingReLU: $0) } ?? conv(x)
    }
  }
  var x = convolution(model.conv1, input.permuted([0, 2, 3, 1]))
  x = time("max-pool 3×3/2", flops: 0) { x.maxPooled2d(kernelSize: 3, stride: 2, padding: 1) }
  for stage in model.stages {
    for block in stage.blocks {
      var out = x
      for conv in block.convolutions.dropLast() { out = convolution(conv, out) }
      let identity = block.downsample.map { convolution($0.conv, x) } ?? x
      guard let last = block.convolutions.last else { continue }
      x = convolution(last, out, shortcut: identity)
    }
  }
  var lines = [
    "forward-layers \(size)×\(size) batch \(batch), \(model.precision.rawValue), median of \(repeats):",
    "  ms total  calls  GFLOP/s  layer",
  ]
  let total = rows.values.reduce(0) { $0 + $1.seconds }
  for name in order {
    guard let row = rows[name] else { continue }
    let rate = row.flops > 0 ? String(format: "%7.1f", row.flops / row.seconds / 1e9) : "      –"
    lines.append(
      String(format: "  %8.2f  %5d  ", row.seconds * 1000, row.count) + rate + "  " + name)
  }
  let flops = rows.values.reduce(0) { $0 + $1.flops }
  lines.append(
    String(
      format: "  %8.2f  total, %.1f GFLOP/s, %.1f img/s", total * 1000, flops / total / 1e9,
      Double(batch) / total))
  return lines.joined(separator: "\n")
}
