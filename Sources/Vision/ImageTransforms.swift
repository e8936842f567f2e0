import ImageCodecs
import TensorCore

extension Vision {
  /// Converts an 8-bit image to a float tensor in [0, 1]: `[C, H, W]`, sample / 255.
  ///
  /// Equivalent to `torchvision.transforms.ToTensor()` on a PIL image (`HWC uint8 → CHW
  /// float32 / 255`). Channels are kept as decoded (1, 3 or 4); use
  /// `image.converted(to: 3)` first for an RGB model.
  public static func toTensor(_ image: Image) -> Tensor {
    let planeSize = image.width * image.height
    let channels = image.channels
    var scalars = [Float](repeating: 0, count: planeSize * channels)
    let pixels = image.pixels
    for index in 0..<planeSize {
      for channel in 0..<channels {
        scalars[channel * planeSize + index] = Float(pixels[index * channels + channel]) / 255
      }
    }
    return Tensor(shape: [channels, image.height, image.width], scalars: scalars)
  }

  /// Per-channel standardization `(x − mean[c]) / standardDeviation[c]`, in Float32.
  ///
  /// Equivalent to `torchvision.transforms.Normalize(mean, std)` (`tensor.sub_(mean).div_(std)`).
  ///
  /// - Parameter image: `[…, C, H, W]` with `C == mean.count == standardDeviation.count`.
  public static func normalize(_ image: Tensor, mean: [Float], standardDeviation: [Float])
    -> Tensor
  {
    precondition(image.rank >= 3, "normalize: expected […, C, H, W], got \(image.shape)")
    let channels = image.shape[image.rank - 3]
    precondition(
      mean.count == channels && standardDeviation.count == channels,
      "normalize: \(mean.count) means and \(standardDeviation.count) deviations for \(channels) channels"
    )
    precondition(standardDeviation.allSatisfy { $0 != 0 }, "normalize: zero standard deviation")
    let planeSize = image.shape[image.rank - 2] * image.shape[image.rank - 1]
    var scalars = image.scalars
    for index in scalars.indices {
      let channel = (index / planeSize) % channels
      scalars[index] = (scalars[index] - mean[channel]) / standardDeviation[channel]
    }
    return Tensor(shape: image.shape, scalars: scalars)
  }

  /// The shorter side `imageNetEvaluation` resizes to.
  public static let imageNetResize = 256
  /// The square crop `imageNetEvaluation` takes.
  public static let imageNetCrop = 224

  /// The inverse of `toTensor`: `[C, H, W]` in [0, 1] → an 8-bit HWC image (values are clamped
  /// and rounded, as `ToPILImage` does after `mul(255)`). For previews of augmentations.
  public static func toImage(_ tensor: Tensor) -> Image {
    precondition(
      tensor.rank == 3 && [1, 3, 4].contains(tensor.shape[0]),
      "toImage: needs [C, H, W], got \(tensor.shape)")
    let (channels, height, width) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
    var pixels = [UInt8](repeating: 0, count: channels * height * width)
    let plane = height * width
    for channel in 0..<channels {
      for index in 0..<plane {
        let value = Swift.min(Swift.max(tensor.scalars[channel * plane + index], 0), 1)
        pixels[index * channels + channel] = UInt8((value * 255).rounded())
      }
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// torchvision's ImageNet evaluation preprocessing, `[3, 224, 224]` ready for a pretrained
  /// classifier:
  ///
  /// ```python
  /// img = Image.open(f).convert("RGB")              # image.converted(to: 3)
  /// T.Compose([T.ToTensor(), T.Resize(256, antialias=True), T.CenterCrop(224),
  ///            T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])(img)
  /// ```
  ///
  /// Gray images are replicated to RGB and alpha is dropped, as torchvision's default loader's
  /// `convert("RGB")` does. Resizing happens on the float tensor (see `resize(_:height:width:)`):
  /// torchvision's classic `Resize(256)` on a PIL image rounds to uint8 in between and differs
  /// by at most 1/255 before normalization.
  ///
  /// An image that is already 224 × 224 goes through ToTensor + Normalize only — a deliberate
  /// difference from torchvision, whose `Resize(256)` would enlarge it to 256 × 256 and crop the
  /// centre, so pre-cropped inputs are not zoomed a second time.
  public static func imageNetEvaluation(_ image: Image) -> Tensor {
    let rgb = image.converted(to: 3)
    var tensor = toTensor(rgb)
    if rgb.width != imageNetCrop || rgb.height != imageNetCrop {
      tensor = centerCrop(resize(tensor, shorterSide: imageNetResize), size: imageNetCrop)
    }
    return normalize(tensor, mean: imageNetMean, standardDeviation: imageNetStandardDeviation)
  }
}
