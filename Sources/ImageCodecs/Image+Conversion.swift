extension Image {
  /// The same image with `channels` samples per pixel (1, 3 or 4), converted as PIL's
  /// `Image.convert` does, so that `converted(to: 3)` equals torchvision's default loader
  /// (`Image.open(f).convert("RGB")`):
  ///
  /// - gray → RGB replicates the gray value; gray → RGBA also sets alpha to 255;
  /// - RGBA → RGB **drops alpha** (no compositing: transparent pixels keep their stored color,
  ///   exactly as PIL's `convert("RGB")`);
  /// - RGB → RGBA adds alpha 255;
  /// - RGB(A) → gray is PIL's ITU-R 601-2 luma `L = (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16`
  ///   (`L = R·299/1000 + G·587/1000 + B·114/1000`, rounded), ignoring alpha.
  public func converted(to channels: Int) -> Image {
    precondition([1, 3, 4].contains(channels), "converted: \(channels) channels (1, 3 or 4)")
    if channels == self.channels { return self }
    let count = width * height
    var output = [UInt8](repeating: 255, count: count * channels)
    let source = self.channels
    for index in 0..<count {
      let input = index * source
      let target = index * channels
      if source == 1 {
        let gray = pixels[input]
        for channel in 0..<3 { output[target + channel] = gray }  // alpha (if any) stays 255
      } else if channels == 1 {
        let red = UInt32(pixels[input])
        let green = UInt32(pixels[input + 1])
        let blue = UInt32(pixels[input + 2])
        output[target] = UInt8((red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16)
      } else {
        for channel in 0..<3 { output[target + channel] = pixels[input + channel] }
      }
    }
    return Image(width: width, height: height, channels: channels, pixels: output)
  }
}
