import Kernels
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
///
/// `fc` is any layer, as in torchvision (`net.fc = nn.Sequential(...)`): a backbone with a
/// replaceable head. `folded()` is the same model for inference: batch norms folded into the
/// convolutions, ReLUs fused, no tape, and the same head object.
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
  /// The stem batch norm; nil once folded into `conv1`.
  public let bn1: BatchNorm2d?
  /// The four residual stages.
  public let stages: [ResidualStage]
  /// The head on the pooled features: torchvision's `Linear(featureCount, classes)` by default,
  /// replaceable by any layer that takes `[N, featureCount]`.
  public var fc: any Layer
  /// The width of `features(_:)`: 2048 for ResNet-50/101/152, 512 for ResNet-18/34.
  public let featureCount: Int
  /// Training mode; set with `train()`/`eval()`.
  public var isTraining = true
  /// The input pixels (images × H × W) one pass of a folded model's `features` takes at most.
  /// The activations of a ResNet-50 at 224×224 take ~19 MB per image and the GEMMs are already
  /// large at that size, so splitting costs no speed and bounds the memory. Measured at 224×224
  /// batch 16 (2 threads): 4 images per pass is as fast as 16 or faster, at 244 MiB peak instead
  /// of 430.
  public var pixelsPerPass = 4 * 224 * 224

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
    featureCount = channels
    fc = Linear(inputFeatures: channels, outputFeatures: classCount, generator: &generator)
  }

  private init(folding model: ResNet, precision: Precision) {
    depth = model.depth
    if let bn1 = model.bn1 {
      conv1 = Conv2d.fold(conv: model.conv1, batchNorm: bn1, fusedReLU: true, precision: precision)
    } else {
      conv1 = model.conv1.frozen(in: precision)
    }
    bn1 = nil
    stages = model.stages.map { $0.folded(precision: precision) }
    fc = model.fc
    featureCount = model.featureCount
    pixelsPerPass = model.pixelsPerPass
    isTraining = false
  }

  /// The same network for inference: every convolution with its batch norm folded in
  /// (`Conv2d.fold`, running statistics: evaluation-mode semantics whatever this model's mode)
  /// and ReLU fused into the convolution's epilogue, so a block costs one pass over memory per
  /// convolution instead of three and records no tape. The head is shared, not copied: a head
  /// trained on either model is the other's. Folding a folded model returns an equal one.
  ///
  /// `precision` is what the convolutions multiply in: `.bf16` rounds the weights to bfloat16
  /// here, once, and runs every GEMM with bf16 inputs and fp32 sums (features within ~1 % of
  /// fp32; up to twice as fast, depending on the CPU); on a CPU without bf16 instructions it is
  /// fp32 (see `precision` of the result).
  public func folded(precision: Precision = .fp32) -> ResNet {
    ResNet(folding: self, precision: precision)
  }

  /// Whether batch norms are folded into the convolutions (`folded()`).
  public var isFolded: Bool { bn1 == nil }

  /// What a folded model's convolutions multiply in (fp32 for a trainable model).
  public var precision: Precision { conv1.frozenPrecision ?? .fp32 }

  /// The stem, the four stages and `fc` under torchvision's names.
  public var children: [(String, any Layer)] {
    [("conv1", conv1)] + (bn1.map { [("bn1", $0)] } ?? [])
      + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
      + [("fc", fc)]
  }

  /// The backbone up to global average pooling: `[N, 3, H, W]` → `[N, featureCount]`.
  ///
  /// The NCHW batch is made channel-major (`[C, N, H, W]`, the layout of every spatial layer)
  /// once here, and the pooled features are `[N, C]` again: every convolution, forward and
  /// backward, is then one GEMM over the whole batch. A folded model takes large inputs in
  /// passes of at most `pixelsPerPass` pixels (exact: it has no batch statistics). Tested against
  /// torchvision block by block and on the whole network.
  public func features(_ input: Tensor) -> Tensor {
    precondition(
      input.rank == 4 && input.shape[1] == 3,
      "ResNet: input must be [N, 3, H, W], got \(input.shape)")
    let (batch, pixels) = (input.shape[0], input.shape[2] * input.shape[3])
    let perPass = Swift.max(1, pixelsPerPass / Swift.max(pixels, 1))
    guard isFolded, batch > perPass else { return pooledFeatures(input) }
    let parts = stride(from: 0, to: batch, by: perPass).map { first in
      pooledFeatures(input.slice(alongAxis: 0, first..<Swift.min(first + perPass, batch)))
    }
    return Tensor.concatenate(parts, alongAxis: 0)
  }

  private func pooledFeatures(_ input: Tensor) -> Tensor {
    var x = conv1(input.permuted([1, 0, 2, 3]))
    if let bn1 { x = bn1(x, fusedReLU: true) }
    x = x.maxPooled2d(kernelSize: 3, stride: 2, padding: 1)
    for stage in stages { x = stage(x) }
    return x.reshaped(to: [x.shape[0], x.shape[1], -1]).mean(alongAxis: 2).transposed()
  }

  /// Logits: `fc(features(x))`.
  public func callAsFunction(_ input: Tensor) -> Tensor { fc(features(input)) }
}
