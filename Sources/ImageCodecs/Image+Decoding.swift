import CImageCodecs
import FileSafety
import Foundation

extension Image {
  /// Decodes the PNG or JPEG file at `url`; the format is detected from the first bytes, not
  /// the extension.
  ///
  /// PNG (libpng): gray → 1 channel; RGB → 3; RGBA, gray+alpha and anything with a tRNS chunk
  /// → 4; palette → 3; 1/2/4-bit gray scaled to 0…255; 16-bit samples keep their high byte
  /// (`v >> 8`, as PIL does for 16-bit RGB); interlaced images are de-interlaced; gamma and
  /// ICC chunks are ignored, as PIL and torchvision ignore them.
  /// JPEG (libjpeg-turbo, default settings — islow IDCT, fancy upsampling — exactly as PIL
  /// decodes): grayscale → 1 channel; YCbCr/RGB → 3; CMYK/YCCK → 3, converted like PIL's
  /// `convert("RGB")` with Adobe-inverted CMYK. EXIF orientation is not applied (nor does PIL).
  ///
  /// - Throws: `ImageCodecError` naming the file: unreadable (missing, a folder, a FIFO or
  ///   device — only regular files are opened), not an image, truncated, corrupt or unsupported
  ///   (more than 178,956,970 pixels, PIL's decompression-bomb limit, or more than
  ///   `maximumSamples` decoded bytes). The header's dimensions are checked against both limits
  ///   before any pixel memory is allocated.
  public static func decode(contentsOf url: URL) throws -> Image {
    if let problem = RegularFile.problem(at: url) {
      throw ImageCodecError(
        path: url.path, problem: .unreadable, detail: "the path \(problem); give an image file")
    }
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw ImageCodecError(
        path: url.path, problem: .unreadable,
        detail: "cannot read it (check its permissions and that the disk is readable)")
    }
    return try decode([UInt8](data), path: url.path)
  }

  /// The most bytes (width × height × channels) one decoded image may take: 2²⁸ (256 MiB).
  /// A 150 KB PNG can declare 65,535 × 65,535 pixels; this cap refuses it from its header
  /// instead of allocating gigabytes.
  public static let maximumSamples = Int(CLASSIFY_IMAGE_MAX_SAMPLES)

  /// Decodes PNG or JPEG bytes held in memory (e.g. read from a ZIP archive); `path` labels
  /// the data in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> Image {
    var message = [CChar](repeating: 0, count: 512)
    var width: Int32 = 0
    var height: Int32 = 0
    var channels: Int32 = 0
    var status = classify_image_info(
      bytes, bytes.count, &width, &height, &channels, &message, message.count)
    guard status == Int32(CLASSIFY_IMAGE_OK) else {
      throw ImageCodecError(path: path, status: status, message: message)
    }
    var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * Int(channels))
    status = classify_image_decode(
      bytes, bytes.count, &pixels, pixels.count, &message, message.count)
    guard status == Int32(CLASSIFY_IMAGE_OK) else {
      throw ImageCodecError(path: path, status: status, message: message)
    }
    return Image(width: Int(width), height: Int(height), channels: Int(channels), pixels: pixels)
  }
}

extension ImageCodecError {
  /// Maps a status code of the C shim and its NUL-terminated message.
  init(path: String, status: Int32, message: [CChar]) {
    let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    let detail = String(decoding: bytes, as: UTF8.self)
    let problem: Problem
    switch Int(status) {
    case CLASSIFY_IMAGE_NOT_AN_IMAGE: problem = .notAnImage
    case CLASSIFY_IMAGE_TRUNCATED: problem = .truncated
    case CLASSIFY_IMAGE_CORRUPT: problem = .corrupt
    case CLASSIFY_IMAGE_WRITE_FAILED: problem = .writeFailed
    default: problem = .unsupported
    }
    self.init(path: path, problem: problem, detail: detail)
  }
}
