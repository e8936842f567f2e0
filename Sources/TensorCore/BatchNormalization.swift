import Foundation
import Kernels

// Batch normalisation over the channel axis of NHWC activations (the last axis), forward and
// backward side by side.

extension Tensor {
  /// `[N, H, W, C]` (any leading axes): `rows` values of `C` channels each.
  private var channelLayout: (rows: Int, channels: Int) {
    precondition(rank >= 2, "batchNorm: input must be [N, …, C], got \(shape)")
    return (shape.dropLast().reduce(1, *), shape[rank - 1])
  }

  private static func checkChannels(_ name: String, _ tensor: Tensor, _ channels: Int) {
    precondition(
      tensor.shape == [channels], "batchNorm: \(name) must be [\(channels)], got \(tensor.shape)")
  }

  /// Batch normalisation with the batch's own statistics (training mode of `nn.BatchNorm2d`):
  /// `y = γ·(x − μ)/√(σ² + ε) + β` with `μ`, `σ²` the per-channel mean and **biased** variance
  /// over `N·H·W`, then `max(y, 0)` when `fusedReLU` (the BN → ReLU pair of a residual body in
  /// one pass). Returns the batch statistics too (off the tape) so a layer can update its
  /// running estimates.
  ///
  /// Shapes: `self: [N, H, W, C]` (NHWC; any leading axes), `weight`, `bias: [C]`.
  ///
  /// Backward (μ and σ depend on x): with `x̂ = (x − μ)/σ` and `M = N·H·W`,
  /// `∂x = γ/σ·(g − mean(g) − x̂·mean(g·x̂))`, `∂γ = Σ g·x̂`, `∂β = Σ g`.
  public func batchNormalized(
    weight: Tensor, bias: Tensor, epsilon: Float = 1e-5, fusedReLU: Bool = false
  ) -> (output: Tensor, mean: Tensor, variance: Tensor) {
    let (rows, channels) = channelLayout
    precondition(rows > 0, "batchNorm: no elements per channel in \(shape)")
    Tensor.checkChannels("weight", weight, channels)
    Tensor.checkChannels("bias", bias, channels)
    let (mean, variance) = BatchNormKernels.statistics(scalars, rows: rows, channels: channels)
    let output = normalize(
      mean: mean, variance: variance, weight: weight, bias: bias, epsilon: epsilon,
      training: true, fusedReLU: fusedReLU)
    return (output, Tensor(mean), Tensor(variance))
  }

  /// Batch normalisation with fixed statistics (evaluation mode of `nn.BatchNorm2d`):
  /// `y = γ·(x − mean)/√(variance + ε) + β`, then `max(y, 0)` when `fusedReLU`.
  /// The statistics are constants: no gradient flows to them.
  ///
  /// Backward: `∂x = g·γ/√(variance + ε)`, `∂γ = Σ g·x̂`, `∂β = Σ g`.
  public func batchNormalized(
    mean: Tensor, variance: Tensor, weight: Tensor, bias: Tensor, epsilon: Float = 1e-5,
    fusedReLU: Bool = false
  ) -> Tensor {
    let channels = channelLayout.channels
    for (name, tensor) in [
      ("mean", mean), ("variance", variance), ("weight", weight), ("bias", bias),
    ] {
      Tensor.checkChannels(name, tensor, channels)
    }
    return normalize(
      mean: mean.scalars, variance: variance.scalars, weight: weight, bias: bias,
      epsilon: epsilon, training: false, fusedReLU: fusedReLU)
  }

  private func normalize(
    mean: [Float], variance: [Float], weight: Tensor, bias: Tensor, epsilon: Float,
    training: Bool, fusedReLU: Bool
  ) -> Tensor {
    let (rows, channels) = channelLayout
    let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
    let gamma = weight.scalars
    let beta = bias.scalars
    var scale = [Float](repeating: 0, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    for channel in 0..<channels {
      scale[channel] = gamma[channel] * invStd[channel]
      shift[channel] = beta[channel] - mean[channel] * scale[channel]
    }
    let values = BatchNormKernels.scaleShift(
      scalars, scale: scale, shift: shift, rows: rows, channels: channels, relu: fusedReLU)
    let x = detached
    return Tensor.record(
      training ? "batchNorm(train)" : "batchNorm(eval)", shape: shape, scalars: values,
      inputs: [self, weight, bias]
    ) { g in
      let upstream =
        fusedReLU ? ElementwiseKernels.positiveMasked(g.scalars, by: values) : g.scalars
      let gradients = BatchNormKernels.backward(
        gradOutput: upstream, input: x.scalars, mean: mean, invStd: invStd, weight: gamma,
        rows: rows, channels: channels, training: training)
      return [
        Tensor(shape: x.shape, scalars: gradients.input),
        Tensor(shape: [channels], scalars: gradients.weight),
        Tensor(shape: [channels], scalars: gradients.bias),
      ]
    }
  }
}
