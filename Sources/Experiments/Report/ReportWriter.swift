import Foundation
import Plotting

/// Writes `index.html` and its figures into a report folder, replacing the previous report only
/// once the new one is complete: everything is built in a sibling staging folder and swapped in
/// with renames, so an interrupted run leaves the old report intact.
///
/// The writer only ever replaces a folder that it wrote itself: every report folder holds a
/// manifest (`.classify-report`) listing its files, and a folder without one, or holding any file
/// the manifest does not list (a user's notes dropped in later), is refused, never deleted.
public struct ReportWriter {
  /// The final folder, e.g. `report/`.
  public let folder: URL

  /// The manifest's file name inside a report folder.
  public static let manifestName = ".classify-report"
  static let manifestHeader = "classify report folder — files written by `classify report`:"

  /// Creates a writer for `folder`.
  public init(folder: URL) { self.folder = folder.standardizedFileURL }

  /// What went wrong while writing the report.
  public struct WriteError: Error, CustomStringConvertible, Equatable {
    /// The path involved.
    public let path: String
    /// The reason, in words.
    public let reason: String
    /// The fix.
    public var fix = "Check that the folder is writable and the disk has space."
    /// The path, the reason and the fix.
    public var description: String { "cannot write the report at \(path): \(reason). \(fix)" }
  }

  /// Checks that `folder` may be written: absent, an empty folder, or a report folder this tool
  /// wrote whose files are all its own. Called before any work, so a refusal costs nothing.
  public func checkReplaceable() throws(WriteError) {
    let fileManager = FileManager.default
    var isDirectory: ObjCBool = false
    guard fileManager.fileExists(atPath: folder.path, isDirectory: &isDirectory) else { return }
    let refuse = { (reason: String) -> WriteError in
      WriteError(
        path: folder.path, reason: reason,
        fix: "Choose another --output (a new folder), or move those files away first.")
    }
    guard isDirectory.boolValue else {
      throw refuse("it is a file, not a report folder, and classify never overwrites it")
    }
    guard let listed = Self.manifest(in: folder) else {
      // Not ours: only the top level is listed (the folder may be large, e.g. `--output .`).
      let entries: [String]
      do { entries = try fileManager.contentsOfDirectory(atPath: folder.path).sorted() } catch {
        throw WriteError(path: folder.path, reason: "the folder cannot be listed")
      }
      if entries.isEmpty { return }
      let examples = entries.prefix(3).joined(separator: ", ")
      throw refuse(
        "the folder holds files that classify did not write (\(examples)\(entries.count > 3 ? ", …" : "")) "
          + "and has no \(Self.manifestName) manifest, so it is not replaced "
          + "(a report folder from a classify before 0.2 has none either: remove it yourself once)")
    }
    let present: Set<String>
    do { present = try Self.files(under: folder) } catch {
      throw WriteError(path: folder.path, reason: "the folder cannot be listed")
    }
    let foreign = present.subtracting(listed).subtracting([Self.manifestName])
    guard foreign.isEmpty else {
      let examples = foreign.sorted().prefix(3).joined(separator: ", ")
      throw refuse(
        "the report folder also holds files that classify did not write (\(examples)\(foreign.count > 3 ? ", …" : "")); "
          + "replacing it would delete them")
    }
  }

  /// Builds the report: `build(staging)` renders every section, writing figures into the staging
  /// folder it is given; then the page is written and the folder swapped in.
  ///
  /// - Throws: `WriteError` when `folder` is not replaceable (see `checkReplaceable`) or a write
  ///   fails; whatever `build` throws. The previous report is intact after any failure.
  public func write(title: String, build: (URL) throws -> [ReportSection]) throws -> URL {
    try write(title: title, build: build, finish: { _, _ in })
  }

  /// `write(title:build:)` with a last step `finish(staging, sections)` that writes more files
  /// (the PDF) into the staging folder before the swap.
  public func write(
    title: String, build: (URL) throws -> [ReportSection],
    finish: (URL, [ReportSection]) throws -> Void
  ) throws -> URL {
    try checkReplaceable()
    let fileManager = FileManager.default
    let parent = folder.deletingLastPathComponent()
    let unique = UUID().uuidString.prefix(8)
    let staging = parent.appendingPathComponent(".\(folder.lastPathComponent).staging-\(unique)")
    do {
      try fileManager.createDirectory(at: parent, withIntermediateDirectories: true)
      try fileManager.createDirectory(at: staging, withIntermediateDirectories: false)
    } catch {
      throw WriteError(path: staging.path, reason: "the staging folder cannot be created")
    }
    // The staging folder is ours alone (a fresh unique name), so removing it is safe.
    defer { try? fileManager.removeItem(at: staging) }
    let sections = try build(staging)
    let page = Self.page(title: title, sections: sections)
    do {
      try Data(page.utf8).write(to: staging.appendingPathComponent("index.html"))
    } catch {
      throw WriteError(
        path: folder.appendingPathComponent("index.html").path, reason: "writing failed")
    }
    try finish(staging, sections)
    do {
      let written = try Self.files(under: staging).sorted()
      let manifest = ([Self.manifestHeader] + written).joined(separator: "\n") + "\n"
      try Data(manifest.utf8).write(to: staging.appendingPathComponent(Self.manifestName))
    } catch {
      throw WriteError(path: folder.path, reason: "the manifest cannot be written")
    }
    // Check again: the folder may have changed while the report was built.
    try checkReplaceable()
    let backup = parent.appendingPathComponent(".\(folder.lastPathComponent).previous-\(unique)")
    do {
      if fileManager.fileExists(atPath: folder.path) {
        try fileManager.moveItem(at: folder, to: backup)
      }
    } catch {
      throw WriteError(path: folder.path, reason: "the previous report cannot be moved aside")
    }
    do {
      try fileManager.moveItem(at: staging, to: folder)
    } catch {
      // Put the previous report back where it was.
      try? fileManager.moveItem(at: backup, to: folder)
      throw WriteError(path: folder.path, reason: "the new report cannot be moved into place")
    }
    // The backup is the previous report, checked above to hold only our own files.
    try? fileManager.removeItem(at: backup)
    return folder.appendingPathComponent("index.html")
  }

  /// The relative paths of every file (not folder) under `root`.
  static func files(under root: URL) throws -> Set<String> {
    let fileManager = FileManager.default
    var found = Set<String>()
    let entries = try fileManager.subpathsOfDirectory(atPath: root.path)
    for entry in entries {
      var isDirectory: ObjCBool = false
      let path = root.appendingPathComponent(entry).path
      if fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        continue
      }
      found.insert(entry)
    }
    return found
  }

  /// The files a report folder's manifest lists, or nil when it has none (not ours).
  static func manifest(in folder: URL) -> Set<String>? {
    let url = folder.appendingPathComponent(manifestName)
    guard let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8)
    else { return nil }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    guard lines.first == manifestHeader else { return nil }
    lines.removeFirst()
    return Set(lines)
  }

  /// The self-contained page: inline CSS, a table of contents, one `<section>` per part.
  static func page(title: String, sections: [ReportSection]) -> String {
    let anchors = sections.indices.map { "part-\($0 + 1)" }
    let contents = zip(anchors, sections).map {
      "<li><a href=\"#\($0)\">\(escapeHTML($1.title))</a></li>"
    }.joined()
    let body = zip(anchors, sections).map { anchor, section in
      "<section id=\"\(anchor)\">\n<h2>\(escapeHTML(section.title))</h2>\n\(section.html)\n</section>"
    }.joined(separator: "\n")
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(escapeHTML(title))</title>
      <style>
      body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1a1a1a; }
      h1 { border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
      h2 { margin-top: 2.5rem; border-bottom: 1px solid #eee; }
      h3 { margin-top: 1.5rem; }
      figure { margin: 1rem 0; text-align: center; }
      figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
      figcaption { font-size: .9rem; color: #555; }
      table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
      th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: right; }
      th { background: #f6f6f6; }
      td:first-child, th:first-child { text-align: left; }
      .answer { background: #f4f8ff; border-left: 4px solid #4a7bd0; padding: .5rem 1rem; margin: 1rem 0; }
      .math { font-family: "STIX Two Math", "Cambria Math", Georgia, serif; }
      pre { background: #f8f8f8; padding: .8rem; overflow-x: auto; font-size: .85rem; }
      </style>
      </head>
      <body>
      <h1>\(escapeHTML(title))</h1>
      <p>Generated by <code>classify report</code>. Every number, table and figure below was computed by this run.</p>
      <ol>\(contents)</ol>
      \(body)
      </body>
      </html>

      """
  }
}

/// Escapes `&`, `<`, `>` and quotes for HTML text and attributes.
public func escapeHTML(_ text: String) -> String { escapeMarkup(text) }
