import TensorCore

/// How `RandomCrop` fills the border it adds around an image, as `torchvision.transforms.functional.pad`'s
/// `padding_mode`.
public enum PaddingMode: Sendable, Equatable, CustomStringConvertible {
  /// Every added sample is `fill` (`padding_mode="constant", fill=fill`; torchvision's default
  /// is 0).
  case constant(fill: Float)
  /// Mirror without repeating the edge: `… 2 1 | 0 1 2 … n−1 | n−2 n−3 …`
  /// (`padding_mode="reflect"`); the padding must be smaller than the side it pads.
  case reflect
  /// Repeat the edge sample (`padding_mode="edge"`, torch's `"replicate"`).
  case edge

  /// The spelling in a pipeline spec: `fill0.5`, `reflect`, `edge` (empty for zeros).
  public var description: String {
    switch self {
    case .constant(let fill): fill == 0 ? "" : "fill\(fill)"
    case .reflect: "reflect"
    case .edge: "edge"
    }
  }
}

/// Pads the image, then crops a `height × width` window at a uniformly random position.
///
/// Equivalent to `torchvision.transforms.RandomCrop(size, padding, fill, padding_mode)` on a
/// tensor: `F.pad(img, [padding], fill, padding_mode)`, then `top` uniform in
/// `0…H + 2·padding − height` and `left` uniform in `0…W + 2·padding − width` (both ends
/// included, `torch.randint(0, h − th + 1)`), then `F.crop(img, top, left, height, width)`.
/// The padded image is never materialised: each output sample is read from the input through
/// the padding mode's index map.
public struct RandomCrop: Transform {
  /// Output rows.
  public let height: Int
  /// Output columns.
  public let width: Int
  /// Samples added on each of the four sides before cropping.
  public let padding: Int
  /// How the added border is filled.
  public let paddingMode: PaddingMode

  /// A `height × width` crop after padding every side by `padding` (CIFAR's classic
  /// augmentation is `RandomCrop(height: 32, width: 32, padding: 4)`).
  public init(
    height: Int, width: Int, padding: Int = 0, paddingMode: PaddingMode = .constant(fill: 0)
  ) {
    self.height = height
    self.width = width
    self.padding = padding
    self.paddingMode = paddingMode
  }

  /// `crop:SIZE[:padP][:MODE]` as the pipeline grammar spells it.
  public var description: String {
    var text = "crop:" + (height == width ? "\(height)" : "\(height)x\(width)")
    if padding > 0 { text += ":pad\(padding)" }
    let mode = paddingMode.description
    if !mode.isEmpty { text += ":" + mode }
    return text
  }

  /// Crops `image: [C, H, W]` to `[C, height, width]` at a random position of the padded image.
  public func apply(_ image: Tensor, generator: inout SeededGenerator) throws -> Tensor {
    try requireImage(image)
    let paddedHeight = image.shape[1] + 2 * padding
    let paddedWidth = image.shape[2] + 2 * padding
    guard paddedHeight >= height && paddedWidth >= width else {
      throw TransformError(
        transform: description, shape: image.shape,
        detail:
          "the padded image is \(paddedHeight)x\(paddedWidth), smaller than the \(height)x\(width) crop; resize first or crop smaller"
      )
    }
    let top = uniformInteger(through: paddedHeight - height, using: &generator)
    let left = uniformInteger(through: paddedWidth - width, using: &generator)
    return try Self.crop(
      image, top: top, left: left, height: height, width: width, padding: padding,
      mode: paddingMode, name: description)
  }

  /// `F.crop(F.pad(image, [padding], fill, mode), top, left, height, width)`: the window whose
  /// top-left corner is (`top`, `left`) in the coordinates of the padded image.
  ///
  /// - Parameter image: `[…, H, W]`; the window must lie inside the padded image.
  /// - Returns: `[…, height, width]`.
  /// - Throws: `TransformError` when the window leaves the padded image or a reflect padding
  ///   is not smaller than the side it pads (torch refuses that too).
  public static func crop(
    _ image: Tensor, top: Int, left: Int, height: Int, width: Int, padding: Int = 0,
    mode: PaddingMode = .constant(fill: 0), name: String = "crop"
  ) throws -> Tensor {
    guard image.rank >= 2 else {
      throw TransformError(transform: name, shape: image.shape, detail: "expected […, H, W]")
    }
    let inputHeight = image.shape[image.rank - 2]
    let inputWidth = image.shape[image.rank - 1]
    guard
      padding >= 0, height > 0, width > 0, top >= 0, left >= 0,
      top + height <= inputHeight + 2 * padding, left + width <= inputWidth + 2 * padding
    else {
      throw TransformError(
        transform: name, shape: image.shape,
        detail:
          "the \(height)x\(width) window at (\(top), \(left)) does not fit the image padded by \(padding)"
      )
    }
    if mode == .reflect && padding > 0 && (padding >= inputHeight || padding >= inputWidth) {
      throw TransformError(
        transform: name, shape: image.shape,
        detail: "reflect padding \(padding) must be smaller than both sides; use edge or constant"
      )
    }
    if padding > 0 && (inputHeight == 0 || inputWidth == 0) {
      throw TransformError(transform: name, shape: image.shape, detail: "cannot pad an empty image")
    }
    // Source row/column of each output row/column; −1 where the constant fill shows.
    let rows = (0..<height).map { sourceIndex(top + $0 - padding, size: inputHeight, mode: mode) }
    let columns = (0..<width).map {
      sourceIndex(left + $0 - padding, size: inputWidth, mode: mode)
    }
    var fill: Float = 0
    if case .constant(let value) = mode { fill = value }
    let planeSize = inputHeight * inputWidth
    let planes = planeSize == 0 ? 0 : image.count / planeSize
    let source = image.scalars
    var result = [Float](repeating: fill, count: planes * height * width)
    for plane in 0..<planes {
      for (y, sourceY) in rows.enumerated() where sourceY >= 0 {
        let input = plane * planeSize + sourceY * inputWidth
        let output = (plane * height + y) * width
        for (x, sourceX) in columns.enumerated() where sourceX >= 0 {
          result[output + x] = source[input + sourceX]
        }
      }
    }
    var shape = image.shape
    shape[shape.count - 2] = height
    shape[shape.count - 1] = width
    return Tensor(shape: shape, scalars: result)
  }

  /// `F.pad(image, [padding], fill, mode)`: the whole padded image, `[…, H + 2p, W + 2p]`.
  public static func padded(_ image: Tensor, padding: Int, mode: PaddingMode) throws -> Tensor {
    guard image.rank >= 2 else {
      throw TransformError(transform: "pad", shape: image.shape, detail: "expected […, H, W]")
    }
    return try crop(
      image, top: 0, left: 0, height: image.shape[image.rank - 2] + 2 * padding,
      width: image.shape[image.rank - 1] + 2 * padding, padding: padding, mode: mode, name: "pad")
  }

  /// The input index that padded coordinate `index` (relative to the unpadded origin) reads,
  /// or −1 for the constant fill.
  static func sourceIndex(_ index: Int, size: Int, mode: PaddingMode) -> Int {
    if index >= 0 && index < size { return index }
    switch mode {
    case .constant: return -1
    case .edge: return Swift.min(Swift.max(index, 0), size - 1)
    case .reflect:
      // One reflection suffices: the padding is smaller than the side.
      return index < 0 ? -index : 2 * (size - 1) - index
    }
  }
}
