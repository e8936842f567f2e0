import Foundation

/// Readers for MNIST, Fashion-MNIST and KMNIST in torchvision's layout: IDX files
/// `ROOT/MNIST/raw/train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-…` (or
/// `ROOT/FashionMNIST/raw`, `ROOT/KMNIST/raw`), each either uncompressed or as the downloaded
/// `.gz` (the uncompressed file wins when both exist, as torchvision reads that one).
///
/// IDX: a big-endian magic (2051 for `uint8 [n, rows, cols]` images, 2049 for `uint8 [n]`
/// labels), then the big-endian sizes, then the bytes. Images come out 1-channel `[n, 28, 28]`
/// (torchvision's `ds.data`), or 3-channel with `replicateToRGB` (PIL `convert("RGB")`, for a
/// ResNet stem).
public enum MNIST {
  /// torchvision's `classes` of each dataset.
  public static func classNames(_ kind: DatasetKind) -> [String] {
    switch kind {
    case .fashionMNIST:
      [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
        "Ankle boot",
      ]
    case .kmnist: ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
    default:
      [
        "0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
        "7 - seven",
        "8 - eight", "9 - nine",
      ]
    }
  }

  /// Reads `split` (train or test) of `kind` (`.mnist`, `.fashionMNIST` or `.kmnist`).
  ///
  /// - Throws: `DatasetError` naming the file: `.notFound`/`.missingFile` (with the URLs),
  ///   `.badMagic`, `.truncated`, `.badRecordSize`, `.labelOutOfRange`, `.badArchive` (gzip),
  ///   `.malformed` (image and label counts differ).
  public static func load(
    root: URL, kind: DatasetKind, split: DatasetSplit, replicateToRGB: Bool = false
  ) throws -> InMemoryImageDataset {
    let entry = DatasetCatalog.entry(for: kind)
    guard let rawFolder = entry.rawFolder else {
      throw DatasetError(
        path: root.path, problem: .malformed, detail: "\(kind.rawValue) is not an IDX dataset")
    }
    guard split != .unlabeled else {
      throw DatasetError(
        path: root.path, problem: .malformed,
        detail: "\(entry.displayName) has no unlabeled split; use train or test")
    }
    let folder = root.appendingPathComponent(rawFolder, isDirectory: true)
    guard DatasetFiles.isDirectory(folder) else {
      throw DatasetError(
        path: folder.path, problem: .notFound,
        detail: "folder not found. " + entry.offlineHint(root: root))
    }
    let prefix = split == .train ? "train" : "t10k"
    let hint = entry.offlineHint(root: root)
    // Each file is validated as soon as it is read: a bad images header is reported as such,
    // before the labels file is even looked for.
    let (imagesURL, imageBytes) = try readIDX(
      folder, "\(prefix)-images-idx3-ubyte", hint: hint, magic: 2051, dimensions: 3)
    let images = try parse(imageBytes, url: imagesURL, magic: 2051, dimensions: 3)
    let (labelsURL, labelBytes) = try readIDX(
      folder, "\(prefix)-labels-idx1-ubyte", hint: hint, magic: 2049, dimensions: 1)
    let labels = try parse(labelBytes, url: labelsURL, magic: 2049, dimensions: 1)
    guard images.sizes[0] == labels.sizes[0] else {
      throw DatasetError(
        path: labelsURL.path, problem: .malformed,
        detail:
          "\(labels.sizes[0]) labels for the \(images.sizes[0]) images of \(imagesURL.lastPathComponent)"
      )
    }
    let names = classNames(kind)
    let labelValues = labels.body.map(Int.init)
    try DatasetFiles.checkLabels(labelValues, classCount: names.count, file: labelsURL)
    let dataset = InMemoryImageDataset(
      width: images.sizes[2], height: images.sizes[1], channels: 1, pixels: images.body,
      labels: labelValues, classNames: names)
    return replicateToRGB ? dataset.replicatingGrayToRGB() : dataset
  }

  /// The most element bytes an IDX file may declare: 1 GiB (MNIST's training images are 47 MB,
  /// EMNIST's largest split 550 MB). A larger header is refused before anything is allocated or
  /// inflated.
  public static let maximumIDXBytes = 1 << 30

  /// The bytes of `name` in `folder`, or of `name.gz` gunzipped (inflating no further than the
  /// IDX header inside declares).
  static func readIDX(
    _ folder: URL, _ name: String, hint: String, magic: Int, dimensions: Int
  ) throws -> (URL, [UInt8]) {
    let plain = folder.appendingPathComponent(name)
    if DatasetFiles.isFile(plain) {
      try DatasetFiles.checkRegular(plain, hint: hint)
      let size = DatasetFiles.size(of: plain)
      guard size <= maximumIDXBytes + 4 * (1 + dimensions) else {
        throw DatasetError(
          path: plain.path, problem: .tooLarge,
          detail: "\(size) bytes is more than an IDX file may hold (\(maximumIDXBytes) bytes of "
            + "elements); is this the right file?")
      }
      return (plain, try DatasetFiles.read(plain, hint: hint))
    }
    let compressed = folder.appendingPathComponent(name + ".gz")
    guard DatasetFiles.isFile(compressed) else {
      throw DatasetError(
        path: plain.path, problem: .missingFile,
        detail: "neither \(name) nor \(name).gz is here. " + hint)
    }
    let bytes = try DatasetFiles.read(compressed, hint: hint)
    let inflated = try Gzip.decompress(bytes, path: compressed.path) { prefix in
      try declaredSize(prefix, url: compressed, magic: magic, dimensions: dimensions)
    }
    return (compressed, inflated)
  }

  /// The total size (header + elements) the IDX header at the start of `bytes` declares, or
  /// `nil` while `bytes` is shorter than the header. Every product is overflow-checked and
  /// capped at `maximumIDXBytes`; an extent of 0 is refused (an empty dataset or a 0×0 image).
  ///
  /// - Throws: `DatasetError` `.badMagic`, `.malformed` (a zero extent), `.tooLarge`.
  static func declaredSize(_ bytes: [UInt8], url: URL, magic: Int, dimensions: Int) throws
    -> Int?
  {
    guard bytes.count >= 4 else { return nil }
    func bigEndian(_ offset: Int) -> Int {
      bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
    }
    let found = bigEndian(0)
    guard found == magic else {
      let what =
        magic == 2051
        ? "an images file (uint8, 3 dimensions)" : "a labels file (uint8, 1 dimension)"
      throw DatasetError(
        path: url.path, problem: .badMagic,
        detail: "IDX magic number is \(found), expected \(magic) for \(what)")
    }
    let headerSize = 4 * (1 + dimensions)
    guard bytes.count >= headerSize else { return nil }
    let sizes = (0..<dimensions).map { bigEndian(4 * (1 + $0)) }
    let shown = sizes.map(String.init).joined(separator: "×")
    if let zero = sizes.firstIndex(of: 0) {
      let what = zero == 0 ? "0 records (an empty file)" : "images of size \(shown.dropFirst(2))"
      throw DatasetError(
        path: url.path, problem: .malformed,
        detail: "the IDX header announces \(shown): \(what); a corrupt or hand-made file? "
          + "Download the dataset again")
    }
    var total = 1
    for size in sizes {
      let (product, overflow) = total.multipliedReportingOverflow(by: size)
      guard !overflow, product <= maximumIDXBytes else {
        throw DatasetError(
          path: url.path, problem: .tooLarge,
          detail: "the IDX header announces \(shown) bytes, more than the \(maximumIDXBytes)-byte "
            + "limit; a corrupt file? Download the dataset again")
      }
      total = product
    }
    return headerSize + total
  }

  /// An IDX file's sizes and its element bytes, validated against its header.
  static func parse(_ bytes: [UInt8], url: URL, magic: Int, dimensions: Int) throws
    -> (sizes: [Int], body: [UInt8])
  {
    let headerSize = 4 * (1 + dimensions)
    guard bytes.count >= 4 else {
      throw DatasetError(path: url.path, problem: .truncated, detail: "only \(bytes.count) bytes")
    }
    guard let declared = try declaredSize(bytes, url: url, magic: magic, dimensions: dimensions)
    else {
      throw DatasetError(
        path: url.path, problem: .truncated,
        detail: "the \(headerSize)-byte IDX header is cut short")
    }
    let sizes = (0..<dimensions).map { axis in
      bytes[(4 * (1 + axis))..<(4 * (2 + axis))].reduce(0) { $0 << 8 | Int($1) }
    }
    let expected = declared - headerSize
    let actual = bytes.count - headerSize
    guard actual == expected else {
      throw DatasetError(
        path: url.path, problem: actual < expected ? .truncated : .badRecordSize,
        detail:
          "the header announces \(sizes.map(String.init).joined(separator: "×")) = \(expected) bytes, "
          + "the file holds \(actual)")
    }
    return (sizes, Array(bytes[headerSize...]))
  }
}
