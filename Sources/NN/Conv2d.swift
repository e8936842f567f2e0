import TensorCore

/// A 2-D convolution layer, equivalent to `nn.Conv2d(in, out, kernel_size, stride, padding,
/// dilation, groups, bias)`: `y = conv(x, W) + b`, optionally followed by a fused ReLU.
///
/// Shapes: `x: [N, inputChannels, H, W]` → `y: [N, outputChannels, Ho, Wo]`,
/// `Ho = (H + 2·padding − dilation·(k − 1) − 1)/stride + 1`; `weight: [outputChannels,
/// inputChannels/groups, kH, kW]` (PyTorch's layout, so torchvision checkpoints load unchanged),
/// `bias: [outputChannels]`. State-dict keys: `weight`, `bias`.
///
/// Initialisation equals PyTorch's (`kaiming_uniform_(a=√5)`): `W, b ~ U(−1/√fanIn, 1/√fanIn)`
/// with `fanIn = inputChannels/groups · kH · kW`.
///
/// For inference, `Conv2d.fold(conv:batchNorm:fusedReLU:)` returns one convolution equal to
/// conv → BatchNorm (eval) → ReLU, so a ResNet block costs one GEMM pass and no extra
/// memory passes for normalisation or activation.
public final class Conv2d: Layer {
  /// `[outputChannels, inputChannels/groups, kH, kW]`.
  public let weight: Parameter
  /// `[outputChannels]`, or nil without bias.
  public let bias: Parameter?
  /// Step between windows, both axes.
  public let stride: Int
  /// Zero padding on every side.
  public let padding: Int
  /// Spacing between kernel taps.
  public let dilation: Int
  /// Channel groups.
  public let groups: Int
  /// Whether `max(·, 0)` is applied in the convolution's epilogue (not part of the state dict).
  public var fusedReLU: Bool
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true

  /// The number of input channels.
  public var inputChannels: Int { weight.shape[1] * groups }
  /// The number of output channels.
  public var outputChannels: Int { weight.shape[0] }
  /// The kernel's `(height, width)`.
  public var kernelSize: (height: Int, width: Int) { (weight.shape[2], weight.shape[3]) }

  /// A layer with PyTorch's default random initialisation drawn from `generator`.
  /// `bias` defaults to true, as in PyTorch (ResNet passes false).
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    dilation: Int = 1, groups: Int = 1, bias: Bool = true, generator: inout SeededGenerator
  ) {
    precondition(
      groups > 0 && inputChannels % groups == 0 && outputChannels % groups == 0,
      "Conv2d: channels \(inputChannels)→\(outputChannels) not divisible by groups \(groups)")
    let fanIn = inputChannels / groups * kernelSize * kernelSize
    let bound = 1 / Float(fanIn).squareRoot()
    weight = Parameter(
      .randomUniform(
        [outputChannels, inputChannels / groups, kernelSize, kernelSize], lower: -bound,
        upper: bound, using: &generator))
    self.bias =
      bias
      ? Parameter(.randomUniform([outputChannels], lower: -bound, upper: bound, using: &generator))
      : nil
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
    self.fusedReLU = false
  }

  /// A layer with the given `weight: [out, in/groups, kH, kW]` and optional `bias: [out]`.
  public init(
    weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
    groups: Int = 1, fusedReLU: Bool = false
  ) {
    precondition(
      weight.rank == 4, "Conv2d: weight must be [out, in/groups, kH, kW], got \(weight.shape)")
    precondition(
      bias.map { $0.shape == [weight.shape[0]] } ?? true,
      "Conv2d: bias must be [\(weight.shape[0])]")
    self.weight = Parameter(weight)
    self.bias = bias.map { Parameter($0) }
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
    self.fusedReLU = fusedReLU
  }

  /// The parameters under PyTorch's keys.
  public var ownParameters: [(String, Parameter)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `conv(x, W) + b` (then ReLU when `fusedReLU`) for `x: [N, C, H, W]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    input.convolved2d(
      weight: weight.tensor, bias: bias?.tensor, stride: stride, padding: padding,
      dilation: dilation, groups: groups, fusedReLU: fusedReLU)
  }
  /// The same convolution on channel-major activations, `[C, N, H, W]` → `[C_out, N, Ho, Wo]`
  /// (see `Tensor.convolvedChannelMajor`): what `ResNet` runs on in training. One group only.
  public func channelMajor(_ input: Tensor) -> Tensor {
    precondition(groups == 1, "Conv2d.channelMajor: grouped convolutions are not supported")
    return input.convolvedChannelMajor(
      weight: weight.tensor, bias: bias?.tensor, stride: stride, padding: padding,
      dilation: dilation, fusedReLU: fusedReLU)
  }

  /// One convolution equal to `conv` followed by `batchNorm` in evaluation mode (and ReLU when
  /// `fusedReLU`): with `s = γ/√(running_var + ε)`, `W'[o] = W[o]·s[o]` and
  /// `b'[o] = β[o] + (b[o] − running_mean[o])·s[o]`. For inference only: the result's
  /// parameters are new, frozen tensors, not tied to the originals.
  public static func fold(conv: Conv2d, batchNorm: BatchNorm2d, fusedReLU: Bool = false) -> Conv2d {
    let channels = conv.outputChannels
    precondition(
      batchNorm.featureCount == channels,
      "Conv2d.fold: BatchNorm2d has \(batchNorm.featureCount) features, conv has \(channels) outputs"
    )
    let gamma = batchNorm.weight.value.scalars
    let beta = batchNorm.bias.value.scalars
    let mean = batchNorm.runningMean.value.scalars
    let variance = batchNorm.runningVariance.value.scalars
    let oldBias = conv.bias?.value.scalars ?? [Float](repeating: 0, count: channels)
    var weights = conv.weight.value.scalars
    let perChannel = weights.count / channels
    var newBias = [Float](repeating: 0, count: channels)
    for channel in 0..<channels {
      let scale = gamma[channel] / (variance[channel] + batchNorm.epsilon).squareRoot()
      for index in (channel * perChannel)..<((channel + 1) * perChannel) {
        weights[index] *= scale
      }
      newBias[channel] = beta[channel] + (oldBias[channel] - mean[channel]) * scale
    }
    let folded = Conv2d(
      weight: Tensor(shape: conv.weight.shape, scalars: weights), bias: Tensor(newBias),
      stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups,
      fusedReLU: fusedReLU)
    folded.eval()
    folded.setRequiresGradient(false)
    return folded
  }
}
