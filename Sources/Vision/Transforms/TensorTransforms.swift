import TensorCore

/// `Vision.resize(_:shorterSide:)` or `Vision.resize(_:height:width:)` as a pipeline step
/// (`torchvision.transforms.Resize(size, antialias=True)` on a tensor).
public struct Resize: Transform {
  /// The shorter side's new length, when resizing by the shorter side.
  public let shorterSide: Int?
  /// The exact output size, when given.
  public let size: (height: Int, width: Int)?

  /// Resizes so that the shorter side becomes `shorterSide` (`Resize(256)`).
  public init(shorterSide: Int) {
    self.shorterSide = shorterSide
    self.size = nil
  }

  /// Resizes to exactly `height × width` (`Resize((h, w))`).
  public init(height: Int, width: Int) {
    self.shorterSide = nil
    self.size = (height, width)
  }

  /// `resize:N` or `resize:HxW`.
  public var description: String {
    if let size { return "resize:\(size.height)x\(size.width)" }
    return "resize:\(shorterSide ?? 0)"
  }

  /// Resizes `image: [C, H, W]`.
  public func apply(_ image: Tensor, generator: inout SeededGenerator) throws -> Tensor {
    try requireImage(image)
    guard image.shape[1] > 0 && image.shape[2] > 0 else {
      throw TransformError(transform: description, shape: image.shape, detail: "the image is empty")
    }
    if let size { return Vision.resize(image, height: size.height, width: size.width) }
    return Vision.resize(image, shorterSide: shorterSide ?? 1)
  }
}

/// `Vision.centerCrop(_:height:width:)` as a pipeline step (`transforms.CenterCrop`).
public struct CenterCrop: Transform {
  /// Output rows.
  public let height: Int
  /// Output columns.
  public let width: Int

  /// A centred `height × width` crop (zero-padded when larger than the image, as torchvision).
  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }

  /// `center:N` or `center:HxW`.
  public var description: String {
    "center:" + (height == width ? "\(height)" : "\(height)x\(width)")
  }

  /// Crops `image: [C, H, W]` to `[C, height, width]`.
  public func apply(_ image: Tensor, generator: inout SeededGenerator) throws -> Tensor {
    try requireImage(image)
    return Vision.centerCrop(image, height: height, width: width)
  }
}

/// `Vision.normalize(_:mean:standardDeviation:)` as a pipeline step (`transforms.Normalize`).
public struct Normalize: Transform {
  /// Per-channel mean.
  public let mean: [Float]
  /// Per-channel standard deviation (non-zero).
  public let standardDeviation: [Float]

  /// `(x − mean[c]) / standardDeviation[c]`.
  public init(mean: [Float], standardDeviation: [Float]) {
    self.mean = mean
    self.standardDeviation = standardDeviation
  }

  /// ImageNet's statistics, what torchvision's pretrained models expect.
  public static let imageNet = Normalize(
    mean: Vision.imageNetMean, standardDeviation: Vision.imageNetStandardDeviation)

  /// `normalize:imagenet` or `normalize:M/M/M:S/S/S`.
  public var description: String {
    if mean == Vision.imageNetMean && standardDeviation == Vision.imageNetStandardDeviation {
      return "normalize:imagenet"
    }
    func list(_ values: [Float]) -> String { values.map { "\($0)" }.joined(separator: "/") }
    return "normalize:\(list(mean)):\(list(standardDeviation))"
  }

  /// Standardizes `image: [C, H, W]` with `C == mean.count`.
  public func apply(_ image: Tensor, generator: inout SeededGenerator) throws -> Tensor {
    try requireImage(image, channels: [mean.count])
    return Vision.normalize(image, mean: mean, standardDeviation: standardDeviation)
  }
}
