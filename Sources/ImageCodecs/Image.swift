/// An 8-bit raster image: `height` rows of `width` pixels, each `channels` interleaved samples.
///
/// Layout is row-major HWC, the layout of a PIL image as a NumPy array (`np.asarray(img)`):
/// the sample for channel `c` of the pixel in row `y`, column `x` is
/// `pixels[(y * width + x) * channels + c]`. Channels are 1 (gray), 3 (RGB) or 4 (RGBA).
public struct Image: Sendable, Equatable {
  /// Pixels per row.
  public let width: Int
  /// Number of rows.
  public let height: Int
  /// Samples per pixel: 1 (gray), 3 (RGB) or 4 (RGBA, straight alpha).
  public let channels: Int
  /// `height × width × channels` samples, row-major, channels interleaved.
  public let pixels: [UInt8]

  /// Creates an image from interleaved samples. `pixels.count` must be
  /// `width × height × channels` and `channels` one of 1, 3, 4 (programmer errors trap).
  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    precondition(width > 0 && height > 0, "Image: size \(width)x\(height) must be positive")
    precondition([1, 3, 4].contains(channels), "Image: \(channels) channels (expected 1, 3 or 4)")
    precondition(
      pixels.count == width * height * channels,
      "Image: \(pixels.count) samples do not fill \(width)x\(height)x\(channels)")
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// The sample of `channel` at row `y`, column `x`.
  public subscript(y: Int, x: Int, channel: Int) -> UInt8 {
    precondition(y >= 0 && y < height && x >= 0 && x < width, "Image: pixel (\(y), \(x)) outside")
    precondition(channel >= 0 && channel < channels, "Image: channel \(channel) of \(channels)")
    return pixels[(y * width + x) * channels + channel]
  }
}
