import NN
import TensorCore

/// What a residual stage is built from: torchvision's `BasicBlock` (two 3×3 convolutions,
/// ResNet-18/34) or `Bottleneck` (1×1 → 3×3 → 1×1, ResNet-50/101/152).
public enum ResidualBlockKind: Sendable {
  case basic, bottleneck

  /// Output channels per "plane": 1 for basic blocks, 4 for bottlenecks (torchvision's `expansion`).
  public var expansion: Int { self == .basic ? 1 : 4 }
}

/// `conv3x3` of torchvision: 3×3, padding 1, no bias.
func conv3x3(_ input: Int, _ output: Int, stride: Int = 1, generator: inout SeededGenerator)
  -> Conv2d
{
  let conv = Conv2d(
    inputChannels: input, outputChannels: output, kernelSize: 3, stride: stride, padding: 1,
    bias: false, generator: &generator)
  kaimingNormalFanOut(conv, generator: &generator)
  return conv
}

/// `conv1x1` of torchvision: 1×1, no bias.
func conv1x1(_ input: Int, _ output: Int, stride: Int = 1, generator: inout SeededGenerator)
  -> Conv2d
{
  let conv = Conv2d(
    inputChannels: input, outputChannels: output, kernelSize: 1, stride: stride, bias: false,
    generator: &generator)
  kaimingNormalFanOut(conv, generator: &generator)
  return conv
}

/// torchvision's ResNet initialisation of every convolution:
/// `kaiming_normal_(mode="fan_out", nonlinearity="relu")`, i.e. `N(0, 2/fan_out)` with
/// `fan_out = out_channels·kH·kW`.
func kaimingNormalFanOut(_ conv: Conv2d, generator: inout SeededGenerator) {
  let shape = conv.weight.shape
  let fanOut = shape[0] * shape[2] * shape[3]
  let values = Tensor.randomNormal(
    shape, standardDeviation: (2 / Float(fanOut)).squareRoot(), using: &generator)
  conv.weight.assign(values.scalars)
}

/// A residual block: `relu(body(x) + shortcut(x))`, torchvision's `BasicBlock`/`Bottleneck`.
///
/// The stride sits on the 3×3 convolution (torchvision's "ResNet V1.5"), and the shortcut is
/// `downsample = Sequential(conv1x1(stride), BatchNorm2d)` whenever the stride or the channel
/// count changes. State-dict keys: `conv1`, `bn1`, `conv2`, `bn2`, (`conv3`, `bn3`),
/// `downsample.0`, `downsample.1`.
public final class ResidualBlock: Layer {
  /// Basic or bottleneck.
  public let kind: ResidualBlockKind
  /// The convolutions of the body, in order (2 or 3).
  public let convolutions: [Conv2d]
  /// The batch norms after each convolution.
  public let batchNorms: [BatchNorm2d]
  /// The projection shortcut, when shapes change.
  public let downsample: ProjectionShortcut?
  /// Training mode; set with `train()`/`eval()`.
  public var isTraining = true

  /// A block from `inputChannels` to `planes·expansion` channels.
  public init(
    kind: ResidualBlockKind, inputChannels: Int, planes: Int, stride: Int,
    generator: inout SeededGenerator
  ) {
    self.kind = kind
    let output = planes * kind.expansion
    switch kind {
    case .basic:
      convolutions = [
        conv3x3(inputChannels, planes, stride: stride, generator: &generator),
        conv3x3(planes, planes, generator: &generator),
      ]
    case .bottleneck:
      convolutions = [
        conv1x1(inputChannels, planes, generator: &generator),
        conv3x3(planes, planes, stride: stride, generator: &generator),
        conv1x1(planes, output, generator: &generator),
      ]
    }
    batchNorms = convolutions.map { BatchNorm2d(featureCount: $0.outputChannels) }
    if stride != 1 || inputChannels != output {
      downsample = ProjectionShortcut(
        conv: conv1x1(inputChannels, output, stride: stride, generator: &generator),
        norm: BatchNorm2d(featureCount: output))
    } else {
      downsample = nil
    }
  }

  /// The block's layers under torchvision's names.
  public var children: [(String, any Layer)] {
    var named: [(String, any Layer)] = []
    for (index, (conv, norm)) in zip(convolutions, batchNorms).enumerated() {
      named.append(("conv\(index + 1)", conv))
      named.append(("bn\(index + 1)", norm))
    }
    if let downsample { named.append(("downsample", downsample)) }
    return named
  }

  /// `relu(body(x) + shortcut(x))` for `x: [N, C, H, W]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    var out = input
    for (index, (conv, norm)) in zip(convolutions, batchNorms).enumerated() {
      out = norm(conv(out))
      if index < convolutions.count - 1 { out = out.relu() }
    }
    let identity = downsample.map { $0(input) } ?? input
    return out.addingReLU(identity)
  }

  /// The same block on channel-major activations `[C, N, H, W]`, with each body BN → ReLU pair
  /// and the final add → ReLU fused.
  public func channelMajor(_ input: Tensor) -> Tensor {
    var out = input
    for (index, (conv, norm)) in zip(convolutions, batchNorms).enumerated() {
      out = norm.channelMajor(conv.channelMajor(out), fusedReLU: index < convolutions.count - 1)
    }
    let identity = downsample.map { $0.norm.channelMajor($0.conv.channelMajor(input)) } ?? input
    return out.addingReLU(identity)
  }
}

/// torchvision's `downsample = nn.Sequential(conv1x1(stride), BatchNorm2d)`, typed: the
/// shortcut of a block whose stride or width changes. Keys `0.*` (the convolution) and `1.*`
/// (the batch norm), as the `Sequential` it replaces.
public final class ProjectionShortcut: Layer {
  /// The strided 1×1 convolution.
  public let conv: Conv2d
  /// Its batch norm.
  public let norm: BatchNorm2d
  /// Training mode; set with `train()`/`eval()`.
  public var isTraining = true

  /// The shortcut of `conv` then `norm`.
  public init(conv: Conv2d, norm: BatchNorm2d) {
    self.conv = conv
    self.norm = norm
  }

  /// `0` and `1`, as `nn.Sequential` names them.
  public var children: [(String, any Layer)] { [("0", conv), ("1", norm)] }

  /// `norm(conv(x))` for `x: [N, C, H, W]`.
  public func callAsFunction(_ input: Tensor) -> Tensor { norm(conv(input)) }
}

/// One of a ResNet's four stages (`layer1` … `layer4`): its residual blocks in order, keyed
/// `0`, `1`, … as torchvision's `nn.Sequential` of blocks. Typed, so the model is walked
/// without runtime casts.
public final class ResidualStage: Layer {
  /// The blocks, in order.
  public let blocks: [ResidualBlock]
  /// Training mode; set with `train()`/`eval()`.
  public var isTraining = true

  /// A stage of `blocks`.
  public init(_ blocks: [ResidualBlock]) { self.blocks = blocks }

  /// The blocks under their positions.
  public var children: [(String, any Layer)] {
    blocks.enumerated().map { ("\($0.offset)", $0.element) }
  }

  /// Every block in turn on `x: [N, C, H, W]`.
  public func callAsFunction(_ input: Tensor) -> Tensor { blocks.reduce(input) { $1($0) } }
}
