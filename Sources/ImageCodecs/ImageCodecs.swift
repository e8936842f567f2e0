import CImageCodecs

/// Image decoding and encoding through libpng and libjpeg-turbo.
public enum ImageCodecs {
  /// The libpng version this build links against.
  public static var pngVersion: String { String(cString: classify_png_version()) }
}
