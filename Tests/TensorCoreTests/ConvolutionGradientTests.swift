import TestSupport
import Testing

@testable import TensorCore

/// Convolution, pooling and batch-norm backward passes against central finite differences.
@Suite("Convolution, pooling and BatchNorm backward against finite differences")
struct ConvolutionGradientTests {
  var generator = SeededGenerator(seed: 7)

  mutating func random(_ shape: [Int], scale: Float = 1) -> Tensor {
    Tensor.randomNormal(shape, standardDeviation: scale, using: &generator)
  }

  /// A fixed weighting turns any output into a scalar with a non-trivial gradient.
  func weighted(_ output: Tensor) -> Tensor {
    (output
      * Tensor(shape: output.shape, scalars: (0..<output.count).map { Float($0 % 7) * 0.3 - 0.8 }))
      .sum()
  }

  func expectGradientsMatch(
    _ report: GradientCheck.Report, tolerance: Double = 3e-3, _ name: String
  ) {
    #expect(report.maximumError < tolerance, "\(name): max error \(report.maximumError)")
  }

  @Test(
    "conv2d: input, weight and bias gradients",
    arguments: [
      // (N, C, H, W, C_out, k, stride, padding, dilation); the input is NHWC
      [2, 3, 5, 4, 4, 3, 1, 1, 1], [1, 2, 7, 7, 3, 3, 2, 1, 1],
      [2, 4, 3, 3, 2, 1, 1, 0, 1],
      [1, 3, 9, 8, 2, 7, 2, 3, 1], [2, 4, 6, 6, 4, 3, 1, 2, 2],
      [3, 3, 4, 4, 2, 1, 2, 0, 1],
    ])
  mutating func convolution(_ c: [Int]) {
    let x = random([c[0], c[2], c[3], c[1]])
    let w = random([c[4], c[1], c[5], c[5]], scale: 0.5)
    let b = random([c[4]])
    let report = GradientCheck.check([x, w, b]) { t in
      weighted(
        t[0].convolved2d(
          weight: t[1], bias: t[2], stride: c[6], padding: c[7], dilation: c[8]))
    }
    expectGradientsMatch(report, "conv2d \(c)")
  }

  @Test(
    "conv2d with an output scale (a folded batch norm): input, weight and bias gradients, the bias's unscaled"
  )
  mutating func outputScale() {
    let x = random([2, 5, 5, 2])
    let w = random([3, 2, 3, 3], scale: 0.5)
    let b = random([3])
    let scale = Tensor([1.7, -0.6, 0.3])
    let report = GradientCheck.check([x, w, b]) { t in
      weighted(t[0].convolved2d(weight: t[1], bias: t[2], outputScale: scale, padding: 1))
    }
    expectGradientsMatch(report, "conv2d with outputScale")
    // And the forward is s ⊙ conv + b.
    let plain = x.convolved2d(weight: w, padding: 1).scalars
    let scaled = x.convolved2d(weight: w, bias: b, outputScale: scale, padding: 1).scalars
    expectClose(
      scaled, plain.indices.map { plain[$0] * scale.scalars[$0 % 3] + b.scalars[$0 % 3] },
      absolute: 1e-5, relative: 1e-5)
  }

  @Test("conv2d with fused ReLU: the gradient is masked where the output is not positive")
  mutating func fusedReLU() {
    let x = random([2, 4, 4, 2])
    let w = random([3, 2, 3, 3], scale: 0.5)
    let b = random([3])
    let fused = GradientCheck.check([x, w, b], step: 1e-3) { t in
      weighted(t[0].convolved2d(weight: t[1], bias: t[2], padding: 1, fusedReLU: true))
    }
    let separate = GradientCheck.check([x, w, b], step: 1e-3) { t in
      weighted(t[0].convolved2d(weight: t[1], bias: t[2], padding: 1).relu())
    }
    for (a, e) in zip(fused.analytic, separate.analytic) {
      expectClose(a, e, absolute: 1e-5, relative: 1e-5)
    }
    expectGradientsMatch(fused, tolerance: 2e-2, "conv2d+ReLU")
  }

  @Test("max pooling routes the gradient to each window's maximum")
  mutating func maxPool() {
    // Distinct, well-separated values so a step of 1e-2 never changes a window's argmax.
    var order = Array(0..<(2 * 3 * 7 * 6))
    order.shuffle(using: &generator)
    let x = Tensor(shape: [2, 7, 6, 3], scalars: order.map { Float($0) * 0.1 })
    for (kernel, stride, padding) in [(3, 2, 1), (2, 2, 0), (3, 1, 1)] {
      let report = GradientCheck.check([x]) { t in
        weighted(t[0].maxPooled2d(kernelSize: kernel, stride: stride, padding: padding))
      }
      expectGradientsMatch(report, "maxPool \(kernel)/\(stride)/\(padding)")
    }
  }

  @Test("average and adaptive average pooling")
  mutating func averagePools() {
    let x = random([2, 7, 5, 3])
    for (kernel, stride, padding, include) in [(3, 2, 1, true), (3, 2, 1, false), (2, 1, 0, true)] {
      let report = GradientCheck.check([x]) { t in
        weighted(
          t[0].averagePooled2d(
            kernelSize: kernel, stride: stride, padding: padding, countIncludingPadding: include))
      }
      expectGradientsMatch(report, "avgPool \(kernel)/\(stride)/\(padding)/\(include)")
    }
    for (height, width) in [(1, 1), (3, 3), (2, 4), (7, 5)] {
      let report = GradientCheck.check([x]) { t in
        weighted(t[0].adaptiveAveragePooled2d(outputHeight: height, outputWidth: width))
      }
      expectGradientsMatch(report, "adaptiveAvgPool \(height)×\(width)")
    }
  }

  @Test("batch norm in training mode: gradients through the batch statistics")
  mutating func batchNormTraining() {
    let x = random([3, 3, 2, 4], scale: 2) + 0.5  // [N, H, W, C]
    let gamma = random([4]) + 1
    let beta = random([4])
    let report = GradientCheck.check([x, gamma, beta], step: 1e-2) { t in
      weighted(t[0].batchNormalized(weight: t[1], bias: t[2]).output)
    }
    expectGradientsMatch(report, tolerance: 5e-3, "batchNorm(train)")
  }

  @Test("batch norm in evaluation mode: an affine map per channel")
  mutating func batchNormEvaluation() {
    let x = random([2, 4, 4, 3])  // [N, H, W, C]
    let mean = random([3])
    let variance = random([3]).abs() + 0.5
    let gamma = random([3])
    let beta = random([3])
    let report = GradientCheck.check([x, gamma, beta]) { t in
      weighted(t[0].batchNormalized(mean: mean, variance: variance, weight: t[1], bias: t[2]))
    }
    expectGradientsMatch(report, "batchNorm(eval)")
  }

  @Test("only inputs on the tape receive gradients")
  mutating func onlyTapedInputs() {
    let x = random([1, 4, 4, 2])
    let w = random([3, 2, 3, 3]).requiringGradient()
    let y = x.convolved2d(weight: w, padding: 1).sum()
    y.backward()
    #expect(w.gradient?.shape == [3, 2, 3, 3])
    // Without recording, the result has no tape.
    let plain = Autograd.withoutGradient { x.convolved2d(weight: w, padding: 1) }
    #expect(!plain.requiresGradient)
  }
}
