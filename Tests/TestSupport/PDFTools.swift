import Foundation

/// Reads PDFs back with poppler-utils (`pdftotext`, `pdfinfo`, `pdffonts`, `pdfimages`,
/// `pdftoppm`): independent of our renderer, so the tests check what a reader sees.
public enum PDFTools {
  /// The folder holding the poppler tools, when they are installed.
  public static let folder: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/local/bin"
    let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/opt/homebrew/bin"]
    return folders.first { folder in
      ["pdftotext", "pdfinfo", "pdffonts", "pdfimages", "pdftoppm"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: folder + "/" + $0)
      }
    }
  }()

  /// True when every tool is installed; the rendering tests are skipped otherwise.
  public static var available: Bool { folder != nil }

  /// Runs `tool` with `arguments` and returns its standard output.
  public static func run(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: (folder ?? "/usr/bin") + "/" + tool)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  /// The text of page `page` (1-based), or of every page when nil.
  public static func text(_ pdf: URL, page: Int? = nil) throws -> String {
    let range = page.map { ["-f", "\($0)", "-l", "\($0)"] } ?? []
    return try run("pdftotext", range + ["-layout", pdf.path, "-"])
  }

  /// `pdfinfo`'s fields, e.g. "Pages" → "3".
  public static func info(_ pdf: URL) throws -> [String: String] {
    var fields: [String: String] = [:]
    for line in try run("pdfinfo", [pdf.path]).split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      fields[String(line[..<colon])] = line[line.index(after: colon)...]
        .trimmingCharacters(in: .whitespaces)
    }
    return fields
  }

  /// The number of pages.
  public static func pageCount(_ pdf: URL) throws -> Int { Int(try info(pdf)["Pages"] ?? "") ?? 0 }

  /// Each font's name and whether it is embedded ("emb" column).
  public static func fonts(_ pdf: URL) throws -> [(name: String, embedded: Bool)] {
    let lines = try run("pdffonts", [pdf.path]).split(separator: "\n").dropFirst(2)
    return lines.map { line in
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      // name type… encoding emb sub uni object ID: "emb" is the fifth field from the end.
      let embedded = fields.count >= 5 && fields[fields.count - 5] == "yes"
      return (String(fields.first ?? ""), embedded)
    }
  }

  /// The number of raster images in the PDF.
  public static func rasterImageCount(_ pdf: URL) throws -> Int {
    try run("pdfimages", ["-list", pdf.path]).split(separator: "\n").count - 2
  }

  /// Page `page` rendered in grey at `dpi`: rows of lightness 0 (black) … 255 (white).
  public static func grayPixels(_ pdf: URL, page: Int, dpi: Int) throws -> [[UInt8]] {
    let stem = FileManager.default.temporaryDirectory
      .appendingPathComponent("typesetting-\(UUID().uuidString)")
    _ = try run(
      "pdftoppm",
      [
        "-gray", "-r", "\(dpi)", "-f", "\(page)", "-l", "\(page)", "-singlefile", pdf.path,
        stem.path,
      ])
    let file = stem.appendingPathExtension("pgm")
    defer { try? FileManager.default.removeItem(at: file) }
    let bytes = [UInt8](try Data(contentsOf: file))
    // Binary PGM: "P5", width, height, maximum, each after white space, then the pixels.
    var fields: [Int] = []
    var index = 2
    while fields.count < 3 {
      while bytes[index] == 0x20 || bytes[index] == 0x0A { index += 1 }
      var value = 0
      while bytes[index] >= 0x30, bytes[index] <= 0x39 {
        value = value * 10 + Int(bytes[index] - 0x30)
        index += 1
      }
      fields.append(value)
    }
    index += 1
    let (width, height) = (fields[0], fields[1])
    return (0..<height).map { row in
      Array(bytes[(index + row * width)..<(index + (row + 1) * width)])
    }
  }
}
