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
  public private(set) var conv1: Conv2d
  /// The stem batch norm; nil once folded into `conv1`.
  public private(set) var bn1: BatchNorm2d?
  /// The four residual stages.
  public let stages: [ResidualStage]
  /// The head on the pooled features: torchvision's `Linear(featureCount, classes)` by default,
  /// replaceable by any layer that takes `[N, featureCount]`.
  public var fc: any Layer
  /// The width of `features(_:)`: 2048 for ResNet-50/101/152, 512 for ResNet-18/34.
  public let featureCount: Int
  /// Training mode; set with `train()`/`eval()`.
  public var isTraining = true
  /// The elements of the largest activation a folded model's `features` holds for one pass,
  /// per level (the stem, then each stage): each level takes as many images per pass as fit,
  /// and never fewer than the level before it. At 224×224 a ResNet-50's stem and first two
  /// stages (802,816 elements per image) run 2 images at a time, the third stage 4 and the last
  /// 8, as the maps shrink. Measured at 224×224 batch 16 (2 threads, interleaved): as fast as a
  /// uniform 4 images per pass (16.2–19.7 against 17.1–19.6 img/s) at 175 MiB peak instead of
  /// 195. Splitting is exact: a folded model has no batch statistics. One image at a time (AMD
  /// Zen 4, session 16) was bf16 +6 % on one thread but no faster on two, and cost fp32 4–6 % on
  /// two (a convolution packs its fp32 weight once per pass, per thread).
  public var activationsPerPass = 2 * 256 * 56 * 56

  /// What can go wrong when building a ResNet from user options.
  public struct ConfigurationError: Error, CustomStringConvertible {
    /// The message.
    public let description: String
  }

  /// A randomly initialised ResNet, initialised as torchvision does (Kaiming-normal fan-out
  /// convolutions, BN γ = 1 and β = 0, `nn.Linear`'s default for `fc`).
  public convenience init(
    depth: Int = 50, classCount: Int = 1000, baseWidth: Int = 64, seed: UInt64 = 0
  ) throws {
    var weights = InitialWeights(generator: SeededGenerator(seed: seed))
    try self.init(depth: depth, classCount: classCount, baseWidth: baseWidth, weights: &weights)
  }

  /// A ResNet whose weights come from `generator` (zeros for one that is loaded next).
  init(depth: Int, classCount: Int, baseWidth: Int, weights generator: inout InitialWeights) throws
  {
    guard let (kind, blocks) = Self.stages[depth] else {
      throw ConfigurationError(
        description: "ResNet depth \(depth) is not one of 18, 34, 50, 101, 152")
    }
    guard classCount >= 1, baseWidth >= 1 else {
      throw ConfigurationError(description: "classCount and baseWidth must be positive")
    }
    self.depth = depth
    conv1 = generator.convolution(3, baseWidth, kernel: 7, stride: 2, padding: 3)
    bn1 = BatchNorm2d(featureCount: baseWidth)
    var channels = baseWidth
    var built: [ResidualStage] = []
    for (index, count) in blocks.enumerated() {
      let planes = baseWidth << index
      var blocks: [ResidualBlock] = []
      for block in 0..<count {
        let residual = ResidualBlock(
          kind: kind, inputChannels: channels, planes: planes,
          stride: block == 0 && index > 0 ? 2 : 1, weights: &generator)
        channels = planes * kind.expansion
        blocks.append(residual)
      }
      built.append(ResidualStage(blocks))
    }
    stages = built
    featureCount = channels
    fc = generator.linear(channels, classCount)
  }

  private init(folding model: ResNet, precision: Precision) {
    depth = model.depth
    conv1 = model.foldedStem(precision: precision)
    bn1 = nil
    stages = model.stages.map { $0.folded(precision: precision) }
    fc = model.fc
    featureCount = model.featureCount
    activationsPerPass = model.activationsPerPass
    isTraining = false
  }

  /// The same network for inference: every convolution with its batch norm folded in
  /// (`Conv2d.fold`, running statistics: evaluation-mode semantics whatever this model's mode)
  /// and ReLU fused into the convolution's epilogue, so a block costs one pass over memory per
  /// convolution instead of three and records no tape. The head is shared, not copied: a head
  /// trained on either model is the other's. Folding a folded model returns an equal one.
  ///
  /// `precision` is what the convolutions multiply in: `.bf16` rounds the weights to bfloat16
  /// here, once, and runs every convolution with bf16 weights and fp32 sums (features within ~1 % of
  /// fp32; up to twice as fast, depending on the CPU); on a CPU without bf16 instructions it is
  /// fp32 (see `precision` of the result).
  public func folded(precision: Precision = .fp32) -> ResNet {
    ResNet(folding: self, precision: precision)
  }

  /// Folds this model in place: afterwards it is what `folded(precision:)` returns, and the
  /// trainable layers are gone. Where nothing else holds them, each block's fp32 weights are
  /// released as soon as its folded twin exists, so a bf16 fold (which keeps only packed bf16
  /// weights, `Conv2d.isCompact`) never holds the whole fp32 model beside its packed copy: at
  /// 224×224 batch 16 the folded ResNet-50's peak RSS is then set by its run, not its folding.
  /// For a model that is used only for inference from here on (`FeatureExtractor`'s backbone).
  public func fold(precision: Precision = .fp32) {
    conv1 = foldedStem(precision: precision)
    bn1 = nil
    for stage in stages { stage.fold(precision: precision) }
    isTraining = false
    // The freed fp32 weights' pages back to the system (bf16 at 224×224 batch 16: peak RSS 146
    // MiB instead of 156, the first forward adding its pages on top of them otherwise).
    MemoryPolicy.releaseFreeMemory()
  }

  /// The stem convolution with `bn1` and its ReLU folded in (or frozen as it is, once folded).
  private func foldedStem(precision: Precision) -> Conv2d {
    guard let bn1 else { return conv1.frozen(in: precision) }
    return Conv2d.fold(conv: conv1, batchNorm: bn1, fusedReLU: true, precision: precision)
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
  /// The NCHW batch is made NHWC (`[N, H, W, C]`, the layout of every spatial layer) once here,
  /// and the pooled features are `[N, C]`: every convolution then reads a pixel's channels
  /// contiguously, and the whole batch is one matrix `[N·H·W, C]`. A folded model takes large inputs in
  /// passes sized per level by `activationsPerPass` (exact: it has no batch statistics). Tested
  /// against torchvision block by block and on the whole network.
  public func features(_ input: Tensor) -> Tensor {
    precondition(
      input.rank == 4 && input.shape[1] == 3,
      "ResNet: input must be [N, 3, H, W], got \(input.shape)")
    let batch = input.shape[0]
    guard isFolded else { return pooled(stages.reduce(stem(input)) { $1($0) }) }
    let perPass = imagesPerPass(height: input.shape[2], width: input.shape[3])
    let last = stages.count
    // The output of `level` (0: the stem, then the stages) for `images`, NHWC: in
    // passes of `perPass[level]` images, each pass's input made by the level below in its own
    // (never larger) passes.
    func output(of level: Int, for images: Range<Int>) -> Tensor {
      let parts = stride(from: images.lowerBound, to: images.upperBound, by: perPass[level]).map {
        first in
        let pass = first..<Swift.min(first + perPass[level], images.upperBound)
        if level == 0 { return stem(input.slice(alongAxis: 0, pass)) }
        return stages[level - 1](output(of: level - 1, for: pass))
      }
      return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
    }
    let parts = stride(from: 0, to: batch, by: perPass[last]).map { first in
      pooled(output(of: last, for: first..<Swift.min(first + perPass[last], batch)))
    }
    return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
  }

  /// Images per pass for each level (the stem, then each stage) on `height`×`width` inputs: as
  /// many as keep the level's largest activation within `activationsPerPass`, at least 1 and at
  /// least as many as the level below.
  func imagesPerPass(height: Int, width: Int) -> [Int] {
    func side(_ n: Int, _ conv: Conv2d, _ kernel: Int) -> Int {
      Swift.max(1, (n + 2 * conv.padding - conv.dilation * (kernel - 1) - 1) / conv.stride + 1)
    }
    var (h, w) = (
      side(height, conv1, conv1.kernelSize.height), side(width, conv1, conv1.kernelSize.width)
    )
    var largest = [conv1.outputChannels * h * w]
    (h, w) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1)  // max pooling 3×3/2, padding 1
    for stage in stages {
      var biggest = 0
      for block in stage.blocks {
        for conv in block.convolutions {
          biggest = Swift.max(biggest, conv.inputChannels * h * w)
          (h, w) = (side(h, conv, conv.kernelSize.height), side(w, conv, conv.kernelSize.width))
          biggest = Swift.max(biggest, conv.outputChannels * h * w)
        }
      }
      largest.append(biggest)
    }
    var perPass: [Int] = []
    for elements in largest {
      let fit = Swift.max(1, activationsPerPass / Swift.max(elements, 1))
      perPass.append(Swift.max(fit, perPass.last ?? 1))
    }
    return perPass
  }

  /// The stem on NCHW images: NHWC, `conv1` (+ `bn1`) and ReLU, max pooling.
  private func stem(_ input: Tensor) -> Tensor {
    var x = conv1(input.permuted([0, 2, 3, 1]))
    if let bn1 { x = bn1(x, fusedReLU: true) }
    return x.maxPooled2d(kernelSize: 3, stride: 2, padding: 1)
  }

  /// Global average pooling of `[N, H, W, C]` into `[N, C]` features.
  private func pooled(_ x: Tensor) -> Tensor {
    x.reshaped(to: [x.shape[0], -1, x.shape[3]]).mean(alongAxis: 1)
  }

  /// Logits: `fc(features(x))`.
  public func callAsFunction(_ input: Tensor) -> Tensor { fc(features(input)) }
}
