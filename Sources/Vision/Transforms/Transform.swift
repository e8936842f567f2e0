import TensorCore

/// One step of a data-augmentation pipeline on a float image tensor `[C, H, W]` (after
/// `Vision.toTensor`), the equivalent of a `torchvision.transforms` object applied to a tensor.
///
/// Randomness comes only from the generator passed in, never from a global, so the same
/// generator state gives the same output on any thread (the data loader seeds one generator per
/// sample from `(seed, epoch, index)`). Deterministic transforms ignore the generator.
public protocol Transform: Sendable, CustomStringConvertible {
  /// Applies the transform to `image: [C, H, W]`.
  ///
  /// - Throws: `TransformError` when the image does not fit the transform (too small to crop,
  ///   too small to reflect-pad, a channel count the transform does not support).
  func apply(_ image: Tensor, generator: inout SeededGenerator) throws -> Tensor
}

/// Why a transform could not be applied to an image; the description names the transform, the
/// image's shape and the fix.
public struct TransformError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The transform, as written in a pipeline spec (`crop:32:pad4`).
  public let transform: String
  /// The shape of the image it was given.
  public let shape: [Int]
  /// What was expected and the fix.
  public let detail: String

  /// Creates an error about `transform` applied to an image of `shape`.
  public init(transform: String, shape: [Int], detail: String) {
    self.transform = transform
    self.shape = shape
    self.detail = detail
  }

  /// `transform on [C, H, W]: detail`.
  public var description: String {
    "\(transform) on an image of shape \(shape): \(detail)"
  }
}

extension Transform {
  /// Checks that `image` is `[C, H, W]` with a channel count in `channels`; throws otherwise.
  func requireImage(_ image: Tensor, channels: Set<Int>? = nil) throws {
    guard image.rank == 3 else {
      throw TransformError(
        transform: description, shape: image.shape,
        detail: "expected one image [C, H, W]; apply transforms per sample, before batching")
    }
    if let channels, !channels.contains(image.shape[0]) {
      throw TransformError(
        transform: description, shape: image.shape,
        detail:
          "expected \(channels.sorted().map(String.init).joined(separator: " or ")) channels; convert the image first (Image.converted(to: 3))"
      )
    }
  }
}

/// Draws an integer uniformly from `0...upper` (`torch.randint(0, upper + 1)`'s role).
func uniformInteger(through upper: Int, using generator: inout SeededGenerator) -> Int {
  upper <= 0 ? 0 : Int(generator.next(upperBound: UInt64(upper + 1)))
}

/// Draws a `Float` uniformly from `[lower, upper)` (`torch.empty(1).uniform_(lower, upper)`).
func uniformFloat(_ lower: Float, _ upper: Float, using generator: inout SeededGenerator) -> Float {
  lower + (upper - lower) * generator.nextUnitFloat()
}
