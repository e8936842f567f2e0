import Foundation
import ImageCodecs

/// Images in class folders, as torchvision's `ImageFolder(root)`: `ROOT/<class>/**/*.png|jpg|jpeg`;
/// or the rows of a `path,label` CSV. Images are decoded on access and converted to RGB
/// (torchvision's default loader, `Image.open(f).convert("RGB")`).
///
/// Ordering matches torchvision exactly: classes are the sub-folder names sorted by code point
/// (`sorted(e.name for e in os.scandir(root) if e.is_dir())`, hidden folders included), labels
/// are their positions, and samples go class by class, each class's files walked recursively in
/// `sorted(os.walk(...))` order with file names sorted. Extensions are matched case-insensitively;
/// only PNG and JPEG are read (torchvision would also list `.bmp`, `.ppm`, `.tif`, `.webp`).
public struct ImageFolderDataset: LabeledImageDataset {
  /// The image files, in sample order.
  public let files: [URL]
  /// One label per file.
  public let labels: [Int]
  /// Class names in label order.
  public let classNames: [String]
  /// Images that failed to decode and were left out (only with `skipBad`), one error each.
  public let skipped: [DatasetError]

  /// The extensions read, lower-case.
  public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

  /// Indexes `root`'s class folders.
  ///
  /// - Parameter skipBad: Decode every image now and leave out (and list in `skipped`) those
  ///   that fail; otherwise images are decoded lazily and a bad one throws from `image(at:)`.
  /// - Throws: `DatasetError`: `.notFound` (no folder or no class folders), `.emptyClassFolder`
  ///   (a class without images, as torchvision's "Found no valid file for the classes …").
  public init(root: URL, skipBad: Bool = false) throws {
    try self.init(root: root, classNames: nil, skipBad: skipBad)
  }

  /// Indexes `root`'s class folders against the classes of another split (`classNames`, e.g.
  /// the training folder's): labels are matched by folder name, never by position, so `val/`
  /// with `{ant, dog}` against `train/` with `{cat, dog}` is refused instead of scoring ants as
  /// cats. A class of `classNames` without a folder here simply has no samples.
  ///
  /// - Throws: `DatasetError`: `.notFound`, `.emptyClassFolder`, and `.malformed` for a class
  ///   folder whose name is not in `classNames` (before any image is read).
  public init(root: URL, classNames known: [String]?, skipBad: Bool = false) throws {
    let classes = try Self.classFolders(of: root)
    let classNames = known ?? classes
    if let known {
      let unknown = classes.filter { !known.contains($0) }
      guard unknown.isEmpty else {
        throw DatasetError(
          path: root.appendingPathComponent(unknown[0]).path, problem: .malformed,
          detail: "class folder\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")) "
            + "\(unknown.count > 1 ? "are" : "is") not among the training classes (\(known.joined(separator: ", "))); "
            + "rename \(unknown.count > 1 ? "them" : "it") to a training class or add \(unknown.count > 1 ? "them" : "it") to train/"
        )
      }
    }
    var files = [URL]()
    var labels = [Int]()
    var empty = [String]()
    for name in classes {
      guard let label = classNames.firstIndex(of: name) else { continue }
      let found = Self.images(under: root.appendingPathComponent(name, isDirectory: true))
      if found.isEmpty { empty.append(name) }
      files += found
      labels += Array(repeating: label, count: found.count)
    }
    guard empty.isEmpty else {
      throw DatasetError(
        path: root.appendingPathComponent(empty[0]).path, problem: .emptyClassFolder,
        detail: "no .png, .jpg or .jpeg file for the class\(empty.count > 1 ? "es" : "") "
          + empty.joined(separator: ", ") + "; add images or remove the folder")
    }
    try self.init(files: files, labels: labels, classNames: classNames, skipBad: skipBad)
  }

  /// The class folder names of `root`, sorted as torchvision sorts them.
  ///
  /// - Throws: `DatasetError.notFound` when `root` is no folder or has no class folder.
  public static func classFolders(of root: URL) throws -> [String] {
    guard DatasetFiles.isDirectory(root) else {
      throw DatasetError(path: root.path, problem: .notFound, detail: "folder not found")
    }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    let classes = entries.filter { DatasetFiles.isDirectory(root.appendingPathComponent($0)) }
      .sorted(by: codePointOrder)
    guard !classes.isEmpty else {
      throw DatasetError(
        path: root.path, problem: .notFound,
        detail: "no class folders; expected ROOT/<class name>/<image>.png|jpg|jpeg")
    }
    return classes
  }

  /// Reads a CSV of `path,label` rows (an optional `path,label` header; paths relative to the
  /// CSV's folder). Label names are sorted into indices — numerically when every label is a
  /// non-negative integer, else by code point.
  ///
  /// - Throws: `DatasetError`: `.missingFile` (the CSV, or an image it lists, naming the line),
  ///   `.malformed` (a row without two fields).
  public init(csv: URL, skipBad: Bool = false) throws {
    let lines = try DatasetFiles.lines(csv, hint: "expected a CSV of path,label rows")
    let base = csv.deletingLastPathComponent()
    var rows = [(URL, String)]()
    for (number, line) in lines.enumerated() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(
          in: CharacterSet(charactersIn: "\""))
      }
      if number == 0, fields.first?.lowercased() == "path" { continue }
      guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
        throw DatasetError(
          path: csv.path, problem: .malformed,
          detail: "line \(number + 1) '\(line)' is not 'path,label'")
      }
      let file =
        fields[0].hasPrefix("/")
        ? URL(fileURLWithPath: fields[0]) : base.appendingPathComponent(fields[0])
      guard DatasetFiles.isFile(file) else {
        throw DatasetError(
          path: csv.path, problem: .missingFile,
          detail: "line \(number + 1): image \(file.path) not found")
      }
      rows.append((file, fields[1]))
    }
    guard !rows.isEmpty else {
      throw DatasetError(
        path: csv.path, problem: .malformed,
        detail: "the CSV lists no images; add path,label rows (one image per line)")
    }
    let names = Set(rows.map(\.1))
    let numeric = names.allSatisfy { UInt($0) != nil }
    let classes = names.sorted { numeric ? UInt($0) ?? 0 < UInt($1) ?? 0 : codePointOrder($0, $1) }
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    try self.init(
      files: rows.map(\.0), labels: rows.map { index[$0.1] ?? 0 }, classNames: classes,
      skipBad: skipBad)
  }

  private init(files: [URL], labels: [Int], classNames: [String], skipBad: Bool) throws {
    var keptFiles = [URL]()
    var keptLabels = [Int]()
    var skipped = [DatasetError]()
    for (file, label) in zip(files, labels) {
      if skipBad {
        do {
          _ = try Self.decode(file)
        } catch let error as DatasetError {
          skipped.append(error)
          continue
        }
      }
      keptFiles.append(file)
      keptLabels.append(label)
    }
    self.files = keptFiles
    self.labels = keptLabels
    self.classNames = classNames
    self.skipped = skipped
  }

  /// Whether `root` brings its own held-out split (`train/` with `val/` or `test/`); a CSV or a
  /// folder of class folders alone does not.
  public static func hasHeldOutSplit(root: URL) -> Bool {
    root.pathExtension.lowercased() != "csv" && splitFolders(root: root).heldOut != nil
  }

  /// The train and held-out folders of `root`: `ROOT/train` with `ROOT/val` (or `ROOT/test`)
  /// when `ROOT/train` exists, else `ROOT` alone (no held-out folder).
  public static func splitFolders(root: URL) -> (train: URL, heldOut: URL?) {
    let train = root.appendingPathComponent("train", isDirectory: true)
    guard DatasetFiles.isDirectory(train) else { return (root, nil) }
    let heldOut = ["val", "test"].map { root.appendingPathComponent($0, isDirectory: true) }
      .first(where: DatasetFiles.isDirectory)
    return (train, heldOut)
  }

  /// Number of images.
  public var count: Int { files.count }

  /// Image `index`, decoded and converted to RGB.
  ///
  /// - Throws: `DatasetError.undecodableImage` naming the file.
  public func image(at index: Int) throws -> Image { try Self.decode(files[index]) }

  /// The label of image `index`.
  public func label(at index: Int) -> Int { labels[index] }

  /// Number of images per class, indexed by label.
  public func classCounts() -> [Int] {
    var counts = [Int](repeating: 0, count: classNames.count)
    for label in labels { counts[label] += 1 }
    return counts
  }

  static func decode(_ file: URL) throws -> Image {
    do {
      return try Image.decode(contentsOf: file).converted(to: 3)
    } catch {
      throw DatasetError(
        path: file.path, problem: .undecodableImage,
        detail: "cannot decode the image (\(error)); remove it or pass --skip-bad")
    }
  }

  /// The PNG/JPEG files under `folder`, in `sorted(os.walk(folder))` order.
  static func images(under folder: URL) -> [URL] {
    guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    var found = [(directory: String, name: String)]()
    while let relative = walker.nextObject() as? String {
      let url = folder.appendingPathComponent(relative)
      guard imageExtensions.contains(url.pathExtension.lowercased()), DatasetFiles.isFile(url)
      else { continue }
      found.append((url.deletingLastPathComponent().path, url.lastPathComponent))
    }
    found.sort { lhs, rhs in
      lhs.directory == rhs.directory
        ? codePointOrder(lhs.name, rhs.name) : codePointOrder(lhs.directory, rhs.directory)
    }
    return found.map { URL(fileURLWithPath: $0.directory).appendingPathComponent($0.name) }
  }
}

/// Python's string order: by Unicode code point.
func codePointOrder(_ lhs: String, _ rhs: String) -> Bool {
  lhs.unicodeScalars.lexicographicallyPrecedes(rhs.unicodeScalars)
}
