import Foundation
import Kernels
import NN
import TensorCore

/// One convolution layer of ResNet-50 to time: `N` images of `C × H × H` (NHWC for us,
/// NCHW for PyTorch) through a `k×k` conv to `C_out`.
private struct ConvolutionCase {
  let name: String
  let batch, channels, size, outputChannels, kernel, stride, padding: Int
  let train: Bool

  var outputSize: Int { (size + 2 * padding - kernel) / stride + 1 }
  /// Multiply-adds × 2 of the forward pass (the backward pass is twice this).
  var flops: Double {
    2 * Double(batch * outputChannels * outputSize * outputSize * channels * kernel * kernel)
  }
}

/// Must match the CASES of scripts/bench/conv_torch.py.
private let convolutionCases: [ConvolutionCase] = [
  .init(
    name: "c32_stem7x7", batch: 64, channels: 3, size: 32, outputChannels: 64, kernel: 7, stride: 2,
    padding: 3, train: true),
  .init(
    name: "c32_l1_3x3", batch: 64, channels: 64, size: 8, outputChannels: 64, kernel: 3, stride: 1,
    padding: 1, train: true),
  .init(
    name: "c32_l1_1x1", batch: 64, channels: 64, size: 8, outputChannels: 256, kernel: 1, stride: 1,
    padding: 0, train: true),
  .init(
    name: "c32_l2_3x3s2", batch: 64, channels: 128, size: 8, outputChannels: 128, kernel: 3,
    stride: 2, padding: 1, train: true),
  .init(
    name: "c32_l3_1x1", batch: 64, channels: 1024, size: 2, outputChannels: 256, kernel: 1,
    stride: 1, padding: 0, train: true),
  .init(
    name: "c32_l4_3x3", batch: 64, channels: 512, size: 1, outputChannels: 512, kernel: 3,
    stride: 1, padding: 1, train: true),
  .init(
    name: "c32_l4_1x1", batch: 64, channels: 512, size: 1, outputChannels: 2048, kernel: 1,
    stride: 1, padding: 0, train: true),
  .init(
    name: "c224_stem7x7", batch: 16, channels: 3, size: 224, outputChannels: 64, kernel: 7,
    stride: 2, padding: 3, train: false),
  .init(
    name: "c224_l1_3x3", batch: 16, channels: 64, size: 56, outputChannels: 64, kernel: 3,
    stride: 1, padding: 1, train: false),
  .init(
    name: "c224_l1_1x1", batch: 16, channels: 256, size: 56, outputChannels: 64, kernel: 1,
    stride: 1, padding: 0, train: false),
  .init(
    name: "c224_l2_3x3", batch: 16, channels: 128, size: 28, outputChannels: 128, kernel: 3,
    stride: 1, padding: 1, train: false),
  .init(
    name: "c224_l3_1x1", batch: 16, channels: 1024, size: 14, outputChannels: 256, kernel: 1,
    stride: 1, padding: 0, train: false),
  .init(
    name: "c224_l3_3x3", batch: 16, channels: 256, size: 14, outputChannels: 256, kernel: 3,
    stride: 1, padding: 1, train: false),
  .init(
    name: "c224_l4_3x3", batch: 16, channels: 512, size: 7, outputChannels: 512, kernel: 3,
    stride: 1, padding: 1, train: false),
]

/// ResNet-50's convolution layers at batch 64 on 32×32 inputs (inference and training step) and
/// batch 16 on 224×224 (inference), plus BatchNorm and the stem's max-pool, each against
/// PyTorch (`scripts/bench/conv_torch.py`, same thread count, median inside Python).
/// Reports milliseconds, the speed-up and the GFLOP/s reached.
func runConvolutionBenchmark() -> String {
  var lines = ["## Convolution (threads: \(ComputeThreads.count))"]
  let reference = runReferenceScript(
    "scripts/bench/conv_torch.py", arguments: ["\(ComputeThreads.count)"])
  if reference.isEmpty {
    lines.append("(PyTorch reference unavailable: \(referencePython) with torch not found)")
  }
  var generator = SeededGenerator(seed: 5)
  var oursTotal = 0.0
  var torchTotal = 0.0
  for c in convolutionCases {
    // NHWC, the layout every convolution runs in (PyTorch's NCHW times the same op).
    let x = Tensor.randomNormal([c.batch, c.size, c.size, c.channels], using: &generator)
    let bound = 1 / Float(c.channels * c.kernel * c.kernel).squareRoot()
    let w = Tensor.randomUniform(
      [c.outputChannels, c.channels, c.kernel, c.kernel], lower: -bound, upper: bound,
      using: &generator)
    let repetitions = c.size >= 56 ? 5 : 11
    let forward = medianSeconds(repetitions: repetitions, warmup: 2) {
      _ = Autograd.withoutGradient {
        x.convolved2d(weight: w, stride: c.stride, padding: c.padding)
      }
    }
    lines.append(
      comparison("conv \(c.name) forward", ours: forward, reference: reference["fwd_\(c.name)"])
        + String(format: " — %.1f GFLOP/s", c.flops / forward / 1e9))
    if let torch = reference["fwd_\(c.name)"] {
      oursTotal += forward
      torchTotal += torch
    }
    guard c.train else { continue }
    let xLeaf = x.requiringGradient()
    let wLeaf = w.requiringGradient()
    let seed = Tensor.randomNormal(
      [c.batch, c.outputSize, c.outputSize, c.outputChannels], using: &generator)
    let step = medianSeconds(repetitions: repetitions, warmup: 2) {
      xLeaf.zeroGradient()
      wLeaf.zeroGradient()
      xLeaf.convolved2d(weight: wLeaf, stride: c.stride, padding: c.padding).backward(seed: seed)
    }
    lines.append(
      comparison(
        "conv \(c.name) forward+backward", ours: step, reference: reference["train_\(c.name)"])
        + String(format: " — %.1f GFLOP/s", 3 * c.flops / step / 1e9))
  }
  lines.append(
    String(
      format: "conv forward, sum over the cases: ours %.1f ms, PyTorch %.1f ms, speed-up ×%.2f",
      oursTotal * 1e3, torchTotal * 1e3, torchTotal / max(oursTotal, 1e-12)))

  let x = Tensor.randomNormal([64, 16, 16, 64], using: &generator)  // NHWC
  let bn = BatchNorm2d(featureCount: 64)
  lines.append(
    comparison(
      "BatchNorm2d train [64,64,16,16] forward",
      ours: medianSeconds { _ = Autograd.withoutGradient { bn(x) } },
      reference: reference["bn_train"]))
  bn.eval()
  lines.append(
    comparison(
      "BatchNorm2d eval [64,64,16,16]",
      ours: medianSeconds { _ = Autograd.withoutGradient { bn(x) } },
      reference: reference["bn_eval"]))
  lines.append(
    comparison(
      "MaxPool2d(3,2,1) [64,64,16,16]",
      ours: medianSeconds {
        _ = Autograd.withoutGradient { x.maxPooled2d(kernelSize: 3, stride: 2, padding: 1) }
      },
      reference: reference["maxpool"]))

  // Raw sgemm peak on a GEMM of the size of the 224 layer-1 3×3 conv, for scale.
  let (m, k, n) = (64, 576, 3136)
  let a = Tensor.randomNormal([m, k], using: &generator).scalars
  let b = Tensor.randomNormal([k, n], using: &generator).scalars
  let gemm = medianSeconds {
    _ = MatMulKernels.matmul(a, batchA: 1, b, batchB: 1, m: m, k: k, n: n)
  }
  let square = Tensor.randomNormal([1024, 1024], using: &generator).scalars
  let big = medianSeconds(repetitions: 5) {
    _ = MatMulKernels.matmul(square, batchA: 1, square, batchB: 1, m: 1024, k: 1024, n: 1024)
  }
  lines.append(
    String(
      format: "OpenBLAS sgemm: %.1f GFLOP/s at 64×576×3136, %.1f GFLOP/s at 1024³",
      2 * Double(m * k * n) / gemm / 1e9, 2 * 1024 * 1024 * 1024 / big / 1e9))
  return lines.joined(separator: "\n")
}
