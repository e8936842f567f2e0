import Kernels
import NN
import TensorCore

/// What a residual stage is built from: torchvision's `BasicBlock` (two 3×3 convolutions,
/// ResNet-18/34) or `Bottleneck` (1×1 → 3×3 → 1×1, ResNet-50/101/152).
public enum ResidualBlockKind: Sendable {
  case basic, bottleneck

  /// Output channels per "plane": 1 for basic blocks, 4 for bottlenecks (torchvision's `expansion`).
  public var expansion: Int { self == .basic ? 1 : 4 }
}

/// Where a new ResNet's weights come from: torchvision's random initialisation drawn from a
/// seeded generator, or zeros for a model whose every weight is loaded next (`ResNet.load`,
/// strict): drawing a ResNet-50's 50 M random numbers (PyTorch's default, then Kaiming's) was
/// 0.45 s of a 1.15 s `classify predict`.
struct InitialWeights {
  /// The generator, or nil for zeros.
  var generator: SeededGenerator?

  /// A convolution without bias: Kaiming-normal (fan-out) as torchvision's `conv3x3`/`conv1x1`
  /// and stem, or zeros.
  mutating func convolution(
    _ input: Int, _ output: Int, kernel: Int, stride: Int = 1, padding: Int = 0
  ) -> Conv2d {
    guard var random = generator else {
      return Conv2d(
        weight: .zeros([output, input, kernel, kernel]), bias: nil, stride: stride,
        padding: padding)
    }
    let conv = Conv2d(
      inputChannels: input, outputChannels: output, kernelSize: kernel, stride: stride,
      padding: padding, bias: false, generator: &random)
    kaimingNormalFanOut(conv, generator: &random)
    generator = random
    return conv
  }

  /// `nn.Linear`'s default initialisation, or zeros.
  mutating func linear(_ input: Int, _ output: Int) -> Linear {
    guard var random = generator else {
      return Linear(weight: .zeros([output, input]), bias: .zeros([output]))
    }
    let linear = Linear(inputFeatures: input, outputFeatures: output, generator: &random)
    generator = random
    return linear
  }

  /// `conv3x3` of torchvision: 3×3, padding 1, no bias.
  mutating func conv3x3(_ input: Int, _ output: Int, stride: Int = 1) -> Conv2d {
    convolution(input, output, kernel: 3, stride: stride, padding: 1)
  }

  /// `conv1x1` of torchvision: 1×1, no bias.
  mutating func conv1x1(_ input: Int, _ output: Int, stride: Int = 1) -> Conv2d {
    convolution(input, output, kernel: 1, stride: stride)
  }
}

/// torchvision's ResNet initialisation of every convolution:
/// `kaiming_normal_(mode="fan_out", nonlinearity="relu")`, i.e. `N(0, 2/fan_out)` with
/// `fan_out = out_channels·kH·kW`.
/// Drawn into the weight's own storage: a second array per convolution left a ResNet-50 with
/// 28 MiB of freed pieces too small to reuse.
func kaimingNormalFanOut(_ conv: Conv2d, generator: inout SeededGenerator) {
  let shape = conv.weight.shape
  let standardDeviation = (2 / Float(shape[0] * shape[2] * shape[3])).squareRoot()
  conv.weight.update { values in
    // `0 +` as `Tensor.randomNormal`'s mean: −0 becomes +0, so the weights stay bit-identical.
    for index in values.indices { values[index] = 0 + standardDeviation * generator.nextNormal() }
  }
}

/// A residual block: `relu(body(x) + shortcut(x))`, torchvision's `BasicBlock`/`Bottleneck`.
///
/// The stride sits on the 3×3 convolution (torchvision's "ResNet V1.5"), and the shortcut is
/// `downsample = Sequential(conv1x1(stride), BatchNorm2d)` whenever the stride or the channel
/// count changes. State-dict keys: `conv1`, `bn1`, `conv2`, `bn2`, (`conv3`, `bn3`),
/// `downsample.0`, `downsample.1`. Activations are NHWC `[N, H, W, C]`, as for every
/// spatial layer; each body BN → ReLU pair and the final add → ReLU run fused.
///
/// A folded block (`folded()`) has its batch norms folded into the convolutions, which then carry
/// the body's ReLUs: no `bn*` layers and no tape, the same function in evaluation mode.
public final class ResidualBlock: Layer {
  /// Basic or bottleneck.
  public let kind: ResidualBlockKind
  /// The convolutions of the body, in order (2 or 3).
  public let convolutions: [Conv2d]
  /// The batch norms after each convolution; empty once folded.
  public let batchNorms: [BatchNorm2d]
  /// The projection shortcut, when shapes change.
  public let downsample: ProjectionShortcut?
  /// Training mode; set with `train()`/`eval()`.
  public var isTraining = true

  /// A block from `inputChannels` to `planes·expansion` channels.
  public convenience init(
    kind: ResidualBlockKind, inputChannels: Int, planes: Int, stride: Int,
    generator: inout SeededGenerator
  ) {
    var weights = InitialWeights(generator: generator)
    self.init(
      kind: kind, inputChannels: inputChannels, planes: planes, stride: stride, weights: &weights)
    generator = weights.generator ?? generator
  }

  /// A block whose weights come from `weights`.
  init(
    kind: ResidualBlockKind, inputChannels: Int, planes: Int, stride: Int,
    weights generator: inout InitialWeights
  ) {
    self.kind = kind
    let output = planes * kind.expansion
    switch kind {
    case .basic:
      convolutions = [
        generator.conv3x3(inputChannels, planes, stride: stride),
        generator.conv3x3(planes, planes),
      ]
    case .bottleneck:
      convolutions = [
        generator.conv1x1(inputChannels, planes),
        generator.conv3x3(planes, planes, stride: stride),
        generator.conv1x1(planes, output),
      ]
    }
    batchNorms = convolutions.map { BatchNorm2d(featureCount: $0.outputChannels) }
    if stride != 1 || inputChannels != output {
      downsample = ProjectionShortcut(
        conv: generator.conv1x1(inputChannels, output, stride: stride),
        norm: BatchNorm2d(featureCount: output))
    } else {
      downsample = nil
    }
  }

  private init(
    kind: ResidualBlockKind, convolutions: [Conv2d], downsample: ProjectionShortcut?
  ) {
    self.kind = kind
    self.convolutions = convolutions
    self.batchNorms = []
    self.downsample = downsample
    self.isTraining = false
  }

  /// The block with every batch norm folded into its convolution (running statistics, i.e.
  /// evaluation-mode semantics) and the body's ReLUs fused into the convolutions, which multiply
  /// in `precision`.
  public func folded(precision: Precision = .fp32) -> ResidualBlock {
    let last = convolutions.count - 1
    let body =
      batchNorms.isEmpty
      ? convolutions.map { $0.frozen(in: precision) }
      : zip(convolutions, batchNorms).enumerated().map { index, pair in
        Conv2d.fold(conv: pair.0, batchNorm: pair.1, fusedReLU: index < last, precision: precision)
      }
    return ResidualBlock(
      kind: kind, convolutions: body, downsample: downsample?.folded(precision: precision))
  }

  /// The block's layers under torchvision's names.
  public var children: [(String, any Layer)] {
    var named: [(String, any Layer)] = []
    for (index, conv) in convolutions.enumerated() {
      named.append(("conv\(index + 1)", conv))
      if index < batchNorms.count { named.append(("bn\(index + 1)", batchNorms[index])) }
    }
    if let downsample { named.append(("downsample", downsample)) }
    return named
  }

  /// `relu(body(x) + shortcut(x))` for `x: [N, H, W, C]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let last = convolutions.count - 1
    var out = input
    for (index, conv) in convolutions.enumerated() where index < last {
      out = conv(out)
      if index < batchNorms.count { out = batchNorms[index](out, fusedReLU: true) }
    }
    let identity = downsample.map { $0(input) } ?? input
    let final = convolutions[last]
    if batchNorms.isEmpty, !final.fusedReLU, !out.requiresGradient, !identity.requiresGradient,
      !final.weightRequiresGradient, !(final.bias?.tensor.requiresGradient ?? false)
    {
      // Folded, off the tape: the shortcut is summed and rectified as the last convolution
      // stores its output (no pass of its own).
      return final(out, addingReLU: identity)
    }
    out = final(out)
    if last < batchNorms.count { out = batchNorms[last](out, fusedReLU: false) }
    return out.addingReLU(identity)
  }
}

/// torchvision's `downsample = nn.Sequential(conv1x1(stride), BatchNorm2d)`, typed: the
/// shortcut of a block whose stride or width changes. Keys `0.*` (the convolution) and `1.*`
/// (the batch norm), as the `Sequential` it replaces; folded, only the convolution.
public final class ProjectionShortcut: Layer {
  /// The strided 1×1 convolution.
  public let conv: Conv2d
  /// Its batch norm; nil once folded into `conv`.
  public let norm: BatchNorm2d?
  /// Training mode; set with `train()`/`eval()`.
  public var isTraining = true

  /// The shortcut of `conv` then `norm`.
  public init(conv: Conv2d, norm: BatchNorm2d?) {
    self.conv = conv
    self.norm = norm
  }

  /// The shortcut with its batch norm folded into the convolution, which multiplies in
  /// `precision`.
  public func folded(precision: Precision = .fp32) -> ProjectionShortcut {
    let folded =
      norm.map { Conv2d.fold(conv: conv, batchNorm: $0, precision: precision) }
      ?? conv.frozen(in: precision)
    let shortcut = ProjectionShortcut(conv: folded, norm: nil)
    shortcut.isTraining = false
    return shortcut
  }

  /// `0` and `1`, as `nn.Sequential` names them.
  public var children: [(String, any Layer)] {
    [("0", conv)] + (norm.map { [("1", $0)] } ?? [])
  }

  /// `norm(conv(x))` for `x: [N, H, W, C]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let projected = conv(input)
    return norm.map { $0(projected) } ?? projected
  }
}

/// One of a ResNet's four stages (`layer1` … `layer4`): its residual blocks in order, keyed
/// `0`, `1`, … as torchvision's `nn.Sequential` of blocks. Typed, so the model is walked
/// without runtime casts.
public final class ResidualStage: Layer {
  /// The blocks, in order.
  public private(set) var blocks: [ResidualBlock]
  /// Training mode; set with `train()`/`eval()`.
  public var isTraining = true

  /// A stage of `blocks`.
  public init(_ blocks: [ResidualBlock]) { self.blocks = blocks }

  /// The stage with every block folded, its convolutions in `precision`.
  public func folded(precision: Precision = .fp32) -> ResidualStage {
    let stage = ResidualStage(blocks.map { $0.folded(precision: precision) })
    stage.isTraining = false
    return stage
  }

  /// Folds this stage in place (`folded(precision:)`, block by block): each block's trainable
  /// layers are dropped as soon as its folded twin exists, so only one block's weights are held
  /// twice at any time.
  public func fold(precision: Precision = .fp32) {
    for index in blocks.indices { blocks[index] = blocks[index].folded(precision: precision) }
    isTraining = false
  }

  /// The blocks under their positions.
  public var children: [(String, any Layer)] {
    blocks.enumerated().map { ("\($0.offset)", $0.element) }
  }

  /// Every block in turn on `x: [N, H, W, C]`.
  public func callAsFunction(_ input: Tensor) -> Tensor { blocks.reduce(input) { $1($0) } }
}
