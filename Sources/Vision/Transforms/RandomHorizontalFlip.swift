import TensorCore

/// Mirrors the image left–right with probability `probability`.
///
/// Equivalent to `torchvision.transforms.RandomHorizontalFlip(p)`: flips when a uniform draw
/// in `[0, 1)` is below `p` (`torch.rand(1) < p`), one draw per call.
public struct RandomHorizontalFlip: Transform {
  /// The probability of flipping, in `[0, 1]`.
  public let probability: Float

  /// A flip with probability `probability` (torchvision's default 0.5).
  public init(probability: Float = 0.5) {
    self.probability = probability
  }

  /// `flip` or `flip:P`.
  public var description: String { probability == 0.5 ? "flip" : "flip:\(probability)" }

  /// Flips `image: [C, H, W]` with probability `probability`.
  public func apply(_ image: Tensor, generator: inout SeededGenerator) throws -> Tensor {
    try requireImage(image)
    return generator.nextUnitFloat() < probability ? Self.flipped(image) : image
  }

  /// The image mirrored along its last axis, `torchvision.transforms.functional.hflip`
  /// (`img.flip(-1)`).
  ///
  /// - Parameter image: `[…, W]`.
  public static func flipped(_ image: Tensor) -> Tensor {
    let width = image.shape.last ?? 1
    guard width > 1 else { return image }
    let source = image.scalars
    var result = [Float](repeating: 0, count: source.count)
    var row = 0
    while row < source.count {
      for x in 0..<width { result[row + x] = source[row + width - 1 - x] }
      row += width
    }
    return Tensor(shape: image.shape, scalars: result)
  }
}
