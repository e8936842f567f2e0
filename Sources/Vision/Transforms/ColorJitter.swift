import TensorCore

/// Randomly changes brightness, contrast and saturation, in a random order.
///
/// Equivalent to `torchvision.transforms.ColorJitter(brightness, contrast, saturation)` (no
/// hue) on a float tensor in `[0, 1]`. Each strength `v` gives a factor drawn uniformly from
/// `[max(0, 1 − v), 1 + v]`; a strength of 0 leaves that adjustment out. Per call, as
/// torchvision's `get_params`: a random permutation of the three adjustments
/// (`torch.randperm`), then the brightness, contrast and saturation factors in that order;
/// then the adjustments in the permuted order. Each is a blend clamped to `[0, 1]`:
///
/// - brightness `b`: `clamp(b·x)` (blend with black, `F.adjust_brightness`)
/// - contrast `c`: `clamp(c·x + (1 − c)·mean(gray(x)))` (`F.adjust_contrast`)
/// - saturation `s`: `clamp(s·x + (1 − s)·gray(x))` (`F.adjust_saturation`)
///
/// with torchvision's `gray = 0.2989·R + 0.587·G + 0.114·B` (its `rgb_to_grayscale`; ITU-R 601
/// rounded as torchvision rounds it). One-channel images are their own gray image, and
/// saturation leaves them unchanged, as torchvision does.
public struct ColorJitter: Transform {
  /// One of the three adjustments.
  public enum Adjustment: Int, Sendable, CaseIterable {
    /// Blend with black.
    case brightness
    /// Blend with the mean gray level.
    case contrast
    /// Blend with the gray image.
    case saturation
  }

  /// Brightness strength `v ≥ 0` (factor in `[max(0, 1 − v), 1 + v]`).
  public let brightness: Float
  /// Contrast strength.
  public let contrast: Float
  /// Saturation strength.
  public let saturation: Float

  /// Jitter with the given strengths (torchvision's defaults are all 0: no change).
  public init(brightness: Float = 0, contrast: Float = 0, saturation: Float = 0) {
    self.brightness = brightness
    self.contrast = contrast
    self.saturation = saturation
  }

  /// `jitter:B:C:S`.
  public var description: String { "jitter:\(brightness):\(contrast):\(saturation)" }

  /// Jitters `image: [C, H, W]` (C = 1 or 3) with factors and order drawn from `generator`.
  public func apply(_ image: Tensor, generator: inout SeededGenerator) throws -> Tensor {
    try requireImage(image, channels: [1, 3])
    let (order, factors) = parameters(using: &generator)
    var result = image
    for adjustment in order {
      if let factor = factors[adjustment] {
        result = Self.adjust(result, adjustment, factor: factor)
      }
    }
    return result
  }

  /// One call's random parameters, torchvision's `ColorJitter.get_params`: the order (a
  /// Fisher–Yates permutation; torchvision permutes four, including hue, which we do not
  /// offer), then the brightness, contrast and saturation factors, leaving out zero strengths.
  public func parameters(using generator: inout SeededGenerator) -> (
    order: [Adjustment], factors: [Adjustment: Float]
  ) {
    var order = Adjustment.allCases
    generator.shuffle(&order)
    var factors: [Adjustment: Float] = [:]
    for (adjustment, strength) in zip(Adjustment.allCases, [brightness, contrast, saturation])
    where strength > 0 {
      factors[adjustment] = uniformFloat(
        Swift.max(0, 1 - strength), 1 + strength, using: &generator)
    }
    return (order, factors)
  }

  /// Applies one adjustment with a fixed factor: `F.adjust_brightness`, `F.adjust_contrast` or
  /// `F.adjust_saturation` on `image: [C, H, W]` (C = 1 or 3), clamped to `[0, 1]`.
  public static func adjust(_ image: Tensor, _ adjustment: Adjustment, factor: Float) -> Tensor {
    switch adjustment {
    case .brightness:
      return blend(image, factor: factor) { _ in 0 }
    case .contrast:
      let gray = grayscale(image)
      // torch.mean over float32; accumulated in Double here.
      let mean = Float(gray.reduce(0.0) { $0 + Double($1) } / Double(Swift.max(gray.count, 1)))
      return blend(image, factor: factor) { _ in mean }
    case .saturation:
      guard image.shape[0] == 3 else { return image }
      let gray = grayscale(image)
      return blend(image, factor: factor) { gray[$0] }
    }
  }

  /// torchvision's `_blend(x, other, ratio) = clamp(ratio·x + (1 − ratio)·other, 0, 1)` in
  /// Float32, with `other` given per position within a plane.
  static func blend(_ image: Tensor, factor: Float, other: (Int) -> Float) -> Tensor {
    let planeSize = image.shape[1] * image.shape[2]
    let complement = Float(1 - Double(factor))
    var scalars = image.scalars
    for plane in 0..<image.shape[0] {
      let base = plane * planeSize
      for index in 0..<planeSize {
        let value = factor * scalars[base + index] + complement * other(index)
        scalars[base + index] = Swift.min(Swift.max(value, 0), 1)
      }
    }
    return Tensor(shape: image.shape, scalars: scalars)
  }

  /// torchvision's `rgb_to_grayscale` for one image, `[H·W]`: `0.2989·R + 0.587·G + 0.114·B`
  /// in Float32, summed left to right; a one-channel image is returned as is.
  static func grayscale(_ image: Tensor) -> [Float] {
    let planeSize = image.shape[1] * image.shape[2]
    let scalars = image.scalars
    guard image.shape[0] == 3 else { return Array(scalars[0..<planeSize]) }
    return (0..<planeSize).map { index in
      Float(0.2989) * scalars[index] + Float(0.587) * scalars[planeSize + index]
        + Float(0.114) * scalars[2 * planeSize + index]
    }
  }
}
