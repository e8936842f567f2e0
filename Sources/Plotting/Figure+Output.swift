import CSVGRaster
import FileSafety
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Anything drawn as one standalone SVG document of a fixed size: a `Figure` or a `FigureGrid`.
public protocol SVGDocument: Sendable {
  /// Canvas width in SVG user units (pixels at PNG scale 1).
  var width: Double { get }
  /// Canvas height in SVG user units.
  var height: Double { get }
  /// The standalone SVG document.
  func svg() -> String
}

extension Figure: SVGDocument {}

extension SVGDocument {
  /// Writes `svg()` to `url` atomically (temporary file in the same folder, then rename).
  /// - Throws: `PlotError` naming the file when the folder is missing or the write fails.
  public func writeSVG(to url: URL) throws {
    try AtomicFile.write(to: url) { temporary in
      do {
        try Data(svg().utf8).write(to: temporary)
      } catch {
        throw PlotError(
          path: url.path, reason: "writing failed (the folder is not writable or the disk is full)")
      }
    }
  }

  /// Renders the figure to a PNG of `scale` × its size in pixels (librsvg + cairo), written atomically.
  /// - Throws: `PlotError` naming the file for a bad scale, a missing folder, or a rendering failure.
  public func writePNG(to url: URL, scale: Double = 2) throws {
    guard scale.isFinite, scale > 0, width * scale <= 32_000, height * scale <= 32_000 else {
      throw PlotError(
        path: url.path,
        reason: "scale \(scale) must be positive and keep the image under 32000 pixels")
    }
    let document = svg()
    try AtomicFile.write(to: url) { temporary in
      var message = [CChar](repeating: 0, count: 512)
      let status = classify_svg_to_png(
        document, document.utf8.count, temporary.path, scale, &message, message.count)
      if status != 0 {
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        throw PlotError(
          path: url.path, reason: "rendering PNG failed (\(String(decoding: bytes, as: UTF8.self)))"
        )
      }
    }
  }
}

/// Plotting's atomic writes: `FileSafety.AtomicFile`, its failures worded as `PlotError`s.
enum AtomicFile {
  /// Calls `body` with a temporary URL in the target's folder, then renames it onto `url`.
  static func write(to url: URL, _ body: (URL) throws -> Void) throws {
    do {
      try FileSafety.AtomicFile.write(to: url, body)
    } catch let failure as AtomicWriteFailure {
      switch failure {
      case .missingFolder(let folder):
        throw PlotError(path: url.path, reason: "the folder \(folder) does not exist")
      case .notAFolder(let folder):
        throw PlotError(path: url.path, reason: "\(folder) is not a folder")
      case .renameFailed(let reason):
        throw PlotError(path: url.path, reason: "renaming the temporary file failed (\(reason))")
      }
    }
  }

  /// Writes `text` as UTF-8 atomically.
  static func write(_ text: String, to url: URL) throws {
    try write(to: url) { temporary in
      do {
        try Data(text.utf8).write(to: temporary)
      } catch {
        throw PlotError(
          path: url.path, reason: "writing failed (the folder is not writable or the disk is full)")
      }
    }
  }
}
