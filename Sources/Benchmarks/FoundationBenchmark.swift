import Foundation
import Kernels
import TensorCore

/// sgemm through our wrapper vs raw cblas, element-wise throughput and autograd overhead,
/// side by side with PyTorch (scripts/bench/foundation_torch.py) when it is installed.
func runFoundationBenchmark() -> String {
  var lines: [String] = ["## Foundation (threads: \(ComputeThreads.count))"]
  let n = 512
  var generator = SeededGenerator(seed: 1)
  let a = Tensor.randomNormal([n, n], using: &generator)
  let b = Tensor.randomNormal([n, n], using: &generator)
  var c = [Float](repeating: 0, count: n * n)
  let raw = medianSeconds { BLAS.rawSquareSgemm(n: n, a: a.scalars, b: b.scalars, c: &c) }
  let wrapped = medianSeconds {
    _ = MatMulKernels.matmul(a.scalars, batchA: 1, b.scalars, batchB: 1, m: n, k: n, n: n)
  }
  let tensor = medianSeconds { _ = a.matmul(b) }
  let flops = 2 * Double(n * n * n)
  lines.append(
    String(
      format:
        "sgemm n=512: raw cblas %.1f GFLOP/s, wrapper %.1f GFLOP/s (overhead %.1f %%), Tensor.matmul %.1f GFLOP/s",
      flops / raw / 1e9, flops / wrapped / 1e9, (wrapped / raw - 1) * 100, flops / tensor / 1e9))

  let reference = runReferenceScript(
    "scripts/bench/foundation_torch.py", arguments: ["\(ComputeThreads.count)"])
  if let torchMatmul = reference["matmul512"] {
    lines.append(comparison("matmul 512×512 vs torch.mm", ours: tensor, reference: torchMatmul))
  }
  let count = 1 << 20
  let x = Tensor.randomNormal([count], using: &generator)
  let y = Tensor.randomNormal([count], using: &generator)
  let add = medianSeconds { _ = x + y }
  lines.append(String(format: "add 1M floats: %.2f Gelem/s", Double(count) / add / 1e9))
  lines.append(comparison("add 1M floats vs torch", ours: add, reference: reference["add1m"]))
  let rows = Tensor.randomNormal([1024, 1024], using: &generator)
  let bias = Tensor.randomNormal([1024], using: &generator)
  lines.append(
    comparison(
      "broadcast add [1024,1024]+[1024] vs torch", ours: medianSeconds { _ = rows + bias },
      reference: reference["broadcast_add"]))
  lines.append(
    comparison(
      "softmax [1024,1024] vs torch", ours: medianSeconds { _ = rows.softmax() },
      reference: reference["softmax"]))
  lines.append(
    comparison(
      "sigmoid 1M vs torch", ours: medianSeconds { _ = x.sigmoid() },
      reference: reference["sigmoid1m"]))

  // Autograd overhead: 100 tiny ops recorded and back-propagated, per op.
  let small = Tensor([1, 2, 3, 4]).requiringGradient()
  let perOp =
    medianSeconds {
      var z = small
      for _ in 0..<100 { z = z * 1.0001 }
      z.sum().backward()
    } / 100
  lines.append(
    comparison(
      "autograd forward+backward per tiny op vs torch", ours: perOp,
      reference: reference["autograd_per_op"], unit: "µs", scale: 1e6))
  return lines.joined(separator: "\n")
}
