import NN
import TensorCore

/// torchvision's ResNet (`torchvision.models.resnet18 … resnet152`), layer for layer and key for
/// key, so torchvision checkpoints load unchanged.
///
/// Stem: `conv1` 7×7/2 (no bias) → `bn1` → ReLU → `maxpool` 3×3/2 pad 1; four stages `layer1…4`
/// of residual blocks with `baseWidth·(1, 2, 4, 8)` planes and strides (1, 2, 2, 2); global
/// average pooling; `fc`. Shapes: `x: [N, 3, H, W]` → `features: [N, 8·baseWidth·expansion]`
/// (2048 for ResNet-50) → `logits: [N, classCount]`. `baseWidth` 64 is torchvision's; smaller
/// widths give the same structure for tests.
public final class ResNet: Layer {
  /// The supported depths and their blocks per stage.
  public static let stages: [Int: (ResidualBlockKind, [Int])] = [
    18: (.basic, [2, 2, 2, 2]), 34: (.basic, [3, 4, 6, 3]), 50: (.bottleneck, [3, 4, 6, 3]),
    101: (.bottleneck, [3, 4, 23, 3]), 152: (.bottleneck, [3, 8, 36, 3]),
  ]

  /// 18, 34, 50, 101 or 152.
  public let depth: Int
  /// The stem convolution.
  public let conv1: Conv2d
  /// The stem batch norm.
  public let bn1: BatchNorm2d
  /// The four residual stages.
  public let stages: [ResidualStage]
  /// The classifier.
  public let fc: Linear
  /// Training mode; set with `train()`/`eval()`.
  public var isTraining = true

  /// What can go wrong when building a ResNet from user options.
  public struct ConfigurationError: Error, CustomStringConvertible {
    /// The message.
    public let description: String
  }

  /// A randomly initialised ResNet, initialised as torchvision does (Kaiming-normal fan-out
  /// convolutions, BN γ = 1 and β = 0, `nn.Linear`'s default for `fc`).
  public init(depth: Int = 50, classCount: Int = 1000, baseWidth: Int = 64, seed: UInt64 = 0) throws
  {
    guard let (kind, blocks) = Self.stages[depth] else {
      throw ConfigurationError(
        description: "ResNet depth \(depth) is not one of 18, 34, 50, 101, 152")
    }
    guard classCount >= 1, baseWidth >= 1 else {
      throw ConfigurationError(description: "classCount and baseWidth must be positive")
    }
    var generator = SeededGenerator(seed: seed)
    self.depth = depth
    conv1 = Conv2d(
      inputChannels: 3, outputChannels: baseWidth, kernelSize: 7, stride: 2, padding: 3,
      bias: false,
      generator: &generator)
    kaimingNormalFanOut(conv1, generator: &generator)
    bn1 = BatchNorm2d(featureCount: baseWidth)
    var channels = baseWidth
    var built: [ResidualStage] = []
    for (index, count) in blocks.enumerated() {
      let planes = baseWidth << index
      var blocks: [ResidualBlock] = []
      for block in 0..<count {
        let residual = ResidualBlock(
          kind: kind, inputChannels: channels, planes: planes,
          stride: block == 0 && index > 0 ? 2 : 1, generator: &generator)
        channels = planes * kind.expansion
        blocks.append(residual)
      }
      built.append(ResidualStage(blocks))
    }
    stages = built
    fc = Linear(inputFeatures: channels, outputFeatures: classCount, generator: &generator)
  }

  /// The width of `features(_:)`: 2048 for ResNet-50/101/152, 512 for ResNet-18/34.
  public var featureCount: Int { fc.inputFeatures }

  /// The stem, the four stages and `fc` under torchvision's names.
  public var children: [(String, any Layer)] {
    [("conv1", conv1), ("bn1", bn1)]
      + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
      + [("fc", fc)]
  }

  /// The backbone up to global average pooling: `[N, 3, H, W]` → `[N, featureCount]`.
  ///
  /// Inside, activations are channel-major (`[C, N, H, W]`, see `Conv2d.channelMajor`): every
  /// convolution, forward and backward, is then one GEMM over the whole batch, and batch norm and
  /// ReLU are fused. Tested against torchvision block by block and on the whole network.
  public func features(_ input: Tensor) -> Tensor {
    precondition(input.rank == 4, "ResNet: input must be [N, 3, H, W], got \(input.shape)")
    var x = bn1.channelMajor(conv1.channelMajor(input.permuted([1, 0, 2, 3])), fusedReLU: true)
    let (channels, batch) = (x.shape[0], x.shape[1])
    x = x.reshaped(to: [1, channels * batch, x.shape[2], x.shape[3]])
      .maxPooled2d(kernelSize: 3, stride: 2, padding: 1)
    x = x.reshaped(to: [channels, batch, x.shape[2], x.shape[3]])
    for block in stages.flatMap(\.blocks) { x = block.channelMajor(x) }
    return x.reshaped(to: [x.shape[0], batch, -1]).mean(alongAxis: 2).transposed()
  }

  /// Logits: `fc(features(x))`.
  public func callAsFunction(_ input: Tensor) -> Tensor { fc(features(input)) }
}
