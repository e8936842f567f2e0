import Foundation
import TensorCore

/// Blurs the image with a Gaussian kernel whose standard deviation is drawn per call.
///
/// Our own transform (written here, not ported), matching
/// `torchvision.transforms.GaussianBlur(kernel_size, sigma=(min, max))` on a tensor: σ uniform
/// in `[minimumSigma, maximumSigma]` (fixed when they are equal), then
/// `torchvision.transforms.functional.gaussian_blur(img, [k, k], [σ, σ])`:
///
///     x_i = −(k − 1)/2 + i,  i = 0…k−1
///     w_i = exp(−x_i² / 2σ²) / Σ_j exp(−x_j² / 2σ²)
///     out = (w ⊗ w) ⋆ reflect-pad(img, (k − 1)/2)
///
/// computed separably (rows, then columns: `k + k` taps per sample instead of `k²`), which
/// equals torchvision's 2-D convolution up to Float32 rounding because both the kernel and
/// reflect padding factor along the axes. Each channel is blurred independently
/// (torchvision's depthwise `conv2d(groups=C)`).
public struct GaussianBlur: Transform {
  /// The odd kernel side `k`.
  public let kernelSize: Int
  /// The smallest σ drawn.
  public let minimumSigma: Float
  /// The largest σ drawn.
  public let maximumSigma: Float

  /// A `kernelSize × kernelSize` blur with σ uniform in `sigma` (torchvision's default
  /// `(0.1, 2.0)`). `kernelSize` must be odd and positive and σ positive; the pipeline parser
  /// checks user input and reports the grammar (a programmer error here otherwise).
  public init(kernelSize: Int, sigma: ClosedRange<Float> = 0.1...2.0) {
    precondition(
      kernelSize > 0 && kernelSize % 2 == 1,
      "GaussianBlur: kernel size \(kernelSize) must be odd and positive")
    precondition(sigma.lowerBound > 0, "GaussianBlur: sigma \(sigma) must be positive")
    self.kernelSize = kernelSize
    self.minimumSigma = sigma.lowerBound
    self.maximumSigma = sigma.upperBound
  }

  /// `blur:K:SIGMA` or `blur:K:MIN-MAX`.
  public var description: String {
    "blur:\(kernelSize):"
      + (minimumSigma == maximumSigma ? "\(minimumSigma)" : "\(minimumSigma)-\(maximumSigma)")
  }

  /// Blurs `image: [C, H, W]` with a σ drawn from `generator` (no draw when σ is fixed).
  public func apply(_ image: Tensor, generator: inout SeededGenerator) throws -> Tensor {
    try requireImage(image)
    let sigma =
      minimumSigma == maximumSigma
      ? minimumSigma : uniformFloat(minimumSigma, maximumSigma, using: &generator)
    return try Self.blurred(image, kernelSize: kernelSize, sigma: sigma, name: description)
  }

  /// The normalised 1-D kernel `w_i = exp(−x_i²/2σ²) / Σ_j exp(−x_j²/2σ²)`,
  /// `x_i = −(k − 1)/2 + i` (torchvision's `_get_gaussian_kernel1d`), computed in Double.
  public static func kernel(size: Int, sigma: Float) -> [Float] {
    let half = Double(size - 1) / 2
    let weights = (0..<size).map { index -> Double in
      let x = (Double(index) - half) / Double(sigma)
      return Foundation.exp(-0.5 * x * x)
    }
    let total = weights.reduce(0, +)
    return weights.map { Float($0 / total) }
  }

  /// `gaussian_blur(image, [k, k], [σ, σ])` with reflect padding.
  ///
  /// - Parameter image: `[…, H, W]` with `(k − 1)/2 < H` and `< W` (reflect padding needs it).
  /// - Throws: `TransformError` when the image is too small for the kernel.
  public static func blurred(
    _ image: Tensor, kernelSize: Int, sigma: Float, name: String = "blur"
  ) throws -> Tensor {
    guard image.rank >= 2 else {
      throw TransformError(transform: name, shape: image.shape, detail: "expected […, H, W]")
    }
    let height = image.shape[image.rank - 2]
    let width = image.shape[image.rank - 1]
    let radius = kernelSize / 2
    guard radius < height && radius < width else {
      throw TransformError(
        transform: name, shape: image.shape,
        detail:
          "reflect padding by \(radius) needs both sides larger than \(radius); use a kernel of at most \(2 * Swift.min(height, width) - 1)"
      )
    }
    let weights = kernel(size: kernelSize, sigma: sigma)
    let planeSize = height * width
    let planes = planeSize == 0 ? 0 : image.count / planeSize
    // Source offsets of every tap, reflected at the borders, per output column / row.
    let columnTaps = (0..<width).map { x in
      (0..<kernelSize).map { RandomCrop.sourceIndex(x + $0 - radius, size: width, mode: .reflect) }
    }
    let rowTaps = (0..<height).map { y in
      (0..<kernelSize).map { RandomCrop.sourceIndex(y + $0 - radius, size: height, mode: .reflect) }
    }
    let source = image.scalars
    var horizontal = [Float](repeating: 0, count: source.count)
    var result = [Float](repeating: 0, count: source.count)
    for plane in 0..<planes {
      let base = plane * planeSize
      for y in 0..<height {
        let row = base + y * width
        for x in 0..<width {
          var sum: Float = 0
          let taps = columnTaps[x]
          for tap in 0..<kernelSize { sum += weights[tap] * source[row + taps[tap]] }
          horizontal[row + x] = sum
        }
      }
      for y in 0..<height {
        let taps = rowTaps[y]
        let row = base + y * width
        for x in 0..<width {
          var sum: Float = 0
          for tap in 0..<kernelSize {
            sum += weights[tap] * horizontal[base + taps[tap] * width + x]
          }
          result[row + x] = sum
        }
      }
    }
    return Tensor(shape: image.shape, scalars: result)
  }
}
