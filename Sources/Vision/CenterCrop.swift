import TensorCore

extension Vision {
  /// A `size × size` crop from the centre; see `centerCrop(_:height:width:)`.
  public static func centerCrop(_ image: Tensor, size: Int) -> Tensor {
    centerCrop(image, height: size, width: size)
  }

  /// A `height × width` crop from the centre, equivalent to
  /// `torchvision.transforms.functional.center_crop(x, [height, width])`.
  ///
  /// The top-left corner is `top = int(round((H − height) / 2.0))` and likewise `left`, with
  /// Python's round-half-to-even: an odd margin of 5 gives `top = 2`, of 3 gives `top = 2`.
  /// When the crop is larger than the image along an axis, the image is first padded with
  /// zeros, `(crop − size) // 2` before and `(crop − size + 1) // 2` after, as torchvision does.
  ///
  /// - Parameter image: `[…, H, W]`.
  /// - Returns: `[…, height, width]`.
  public static func centerCrop(_ image: Tensor, height: Int, width: Int) -> Tensor {
    precondition(image.rank >= 2, "centerCrop: expected […, H, W], got \(image.shape)")
    precondition(height > 0 && width > 0, "centerCrop: size \(height)x\(width) must be positive")
    let inputHeight = image.shape[image.rank - 2]
    let inputWidth = image.shape[image.rank - 1]
    let planes = inputHeight * inputWidth == 0 ? 0 : image.count / (inputHeight * inputWidth)
    // Offsets of the crop's corner in input coordinates; negative when padding.
    let top = cropOffset(input: inputHeight, crop: height)
    let left = cropOffset(input: inputWidth, crop: width)
    let source = image.scalars
    var result = [Float](repeating: 0, count: planes * height * width)
    for plane in 0..<planes {
      for y in 0..<height {
        let sourceY = top + y
        guard sourceY >= 0 && sourceY < inputHeight else { continue }
        let input = (plane * inputHeight + sourceY) * inputWidth
        let output = (plane * height + y) * width
        for x in 0..<width {
          let sourceX = left + x
          if sourceX >= 0 && sourceX < inputWidth { result[output + x] = source[input + sourceX] }
        }
      }
    }
    var shape = image.shape
    shape[shape.count - 2] = height
    shape[shape.count - 1] = width
    return Tensor(shape: shape, scalars: result)
  }

  /// torchvision's crop corner along one axis: pad `(crop − input) // 2` in front when the crop
  /// is larger, then `int(round((padded − crop) / 2.0))` (half to even).
  static func cropOffset(input: Int, crop: Int) -> Int {
    if crop >= input { return -((crop - input) / 2) }
    return Int((Double(input - crop) / 2).rounded(.toNearestOrEven))
  }
}
