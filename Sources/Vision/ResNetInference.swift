import NN
import TensorCore

/// A frozen, inference-only copy of a `ResNet`'s backbone: every convolution with its batch norm
/// folded in (`Conv2d.fold`) and ReLU fused into the convolution's epilogue, evaluated without a
/// tape. It computes exactly what `ResNet.features` computes in evaluation mode (up to float
/// rounding), with one pass over memory per convolution instead of three.
public struct ResNetInference: @unchecked Sendable {
  private struct Block {
    let body: [Conv2d]
    let shortcut: Conv2d?
    /// One per body convolution: its Winograd filters, transformed once.
    let caches: [WinogradFilterCache]
  }

  private let stem: Conv2d
  private let blocks: [Block]
  /// The width of `features(_:)`.
  public let featureCount: Int

  /// Folds `model`'s current parameters and running statistics (its mode does not matter:
  /// folding always uses the running statistics, i.e. evaluation-mode semantics).
  public init(_ model: ResNet) {
    stem = Conv2d.fold(conv: model.conv1, batchNorm: model.bn1, fusedReLU: true)
    var folded: [Block] = []
    for stage in model.stages {
      for block in stage.blocks {
        let count = block.convolutions.count
        let body = zip(block.convolutions, block.batchNorms).enumerated().map { index, pair in
          Conv2d.fold(conv: pair.0, batchNorm: pair.1, fusedReLU: index < count - 1)
        }
        // Typed: a block with a projection always folds it (no cast can fail silently).
        let shortcut = block.downsample.map { Conv2d.fold(conv: $0.conv, batchNorm: $0.norm) }
        folded.append(
          Block(
            body: body, shortcut: shortcut, caches: body.map { _ in WinogradFilterCache() }))
      }
    }
    blocks = folded
    featureCount = model.featureCount
  }

  /// `[N, 3, H, W]` → `[N, featureCount]`, evaluation-mode features without autograd.
  ///
  /// Activations stay channel-major (`[C, N, H, W]`) from the stem to the pooling: every
  /// convolution is then a GEMM over the whole batch whose output is the next layer's input
  /// (max pooling and the residual add work per plane or per element, so they do not care).
  ///
  /// Large inputs go through in sub-batches of at most `pixelsPerPass` input pixels (four
  /// 224×224 images): the activations of a ResNet-50 at 224×224 take ~19 MB per image, and the
  /// GEMMs are already large at that size, so splitting costs no speed and bounds the memory.
  public func features(_ input: Tensor) -> Tensor {
    let (batch, pixels) = (input.shape[0], input.shape[2] * input.shape[3])
    let perPass = Swift.max(1, pixelsPerPass / Swift.max(pixels, 1))
    guard batch > perPass else { return channelMajorFeatures(input) }
    let parts = stride(from: 0, to: batch, by: perPass).map { first in
      channelMajorFeatures(input.slice(alongAxis: 0, first..<Swift.min(first + perPass, batch)))
    }
    return Tensor.concatenate(parts, alongAxis: 0)
  }

  /// The input pixels (images × H × W) one pass of `features` takes at most. Measured at
  /// 224×224 batch 16 (2 threads): 4 images per pass is as fast as 16 or faster, at 244 MiB peak
  /// instead of 430.
  public var pixelsPerPass = 4 * 224 * 224

  private func channelMajorFeatures(_ input: Tensor) -> Tensor {
    Autograd.withoutGradient {
      func convolve(_ conv: Conv2d, _ x: Tensor, cache: WinogradFilterCache? = nil) -> Tensor {
        x.convolvedChannelMajor(
          weight: conv.weight.value, bias: conv.bias?.value, stride: conv.stride,
          padding: conv.padding, dilation: conv.dilation, fusedReLU: conv.fusedReLU,
          filterCache: cache)
      }
      var x = convolve(stem, input.permuted([1, 0, 2, 3]))
        .maxPooled2d(kernelSize: 3, stride: 2, padding: 1)
      for block in blocks {
        var out = convolve(block.body[0], x, cache: block.caches[0])
        for (conv, cache) in zip(block.body, block.caches).dropFirst() {
          out = convolve(conv, out, cache: cache)
        }
        if let shortcut = block.shortcut { x = convolve(shortcut, x) }
        out.addReLU(x)
        x = out
      }
      return x.mean(alongAxes: [2, 3]).transposed()
    }
  }
}
