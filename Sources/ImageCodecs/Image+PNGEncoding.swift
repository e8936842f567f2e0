import CImageCodecs
import Foundation

extension Image {
  /// The image as 8-bit PNG bytes (gray, RGB or RGBA by `channels`), encoded in memory.
  ///
  /// - Throws: `ImageCodecError` with `.writeFailed` (`<memory>` as the path).
  public func pngData() throws -> Data {
    var message = [CChar](repeating: 0, count: 512)
    var length = 0
    var status = classify_png_encode(
      pixels, pixels.count, Int32(width), Int32(height), Int32(channels), nil, &length, &message,
      message.count)
    guard status == Int32(CLASSIFY_IMAGE_OK) else {
      throw ImageCodecError(path: "<memory>", status: status, message: message)
    }
    var bytes = [UInt8](repeating: 0, count: length)
    status = classify_png_encode(
      pixels, pixels.count, Int32(width), Int32(height), Int32(channels), &bytes, &length,
      &message, message.count)
    guard status == Int32(CLASSIFY_IMAGE_OK) else {
      throw ImageCodecError(path: "<memory>", status: status, message: message)
    }
    return Data(bytes.prefix(length))
  }

  /// Writes the image as an 8-bit PNG (gray, RGB or RGBA by `channels`) at `url`, atomically:
  /// a hidden temporary file in the same folder is written first and then renamed onto `url`,
  /// so readers never see a half-written file. The temporary file is removed on failure.
  ///
  /// - Throws: `ImageCodecError` with `.writeFailed` naming `url`.
  public func encodePNG(to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(
      ".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    var message = [CChar](repeating: 0, count: 512)
    let status = classify_png_write(
      temporary.path, pixels, pixels.count, Int32(width), Int32(height), Int32(channels),
      &message, message.count)
    guard status == Int32(CLASSIFY_IMAGE_OK) else {
      try? FileManager.default.removeItem(at: temporary)
      throw ImageCodecError(path: url.path, status: status, message: message)
    }
    if rename(temporary.path, url.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw ImageCodecError(
        path: url.path, problem: .writeFailed, detail: "renaming the temporary file: \(reason)")
    }
  }
}
