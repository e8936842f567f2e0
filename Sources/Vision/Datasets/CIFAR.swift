import Checkpoints
import Foundation

/// Readers for CIFAR-10 and CIFAR-100 in both official layouts, giving what torchvision's
/// `CIFAR10(root, train=…)` / `CIFAR100` give: `[N, 32, 32, 3]` uint8 images and labels.
///
/// - python (what torchvision downloads): `ROOT/cifar-10-batches-py/data_batch_1…5`,
///   `test_batch`, `batches.meta` (`label_names`); `ROOT/cifar-100-python/train`, `test`, `meta`
///   (`fine_label_names`, `coarse_label_names`). Each batch is a protocol-2 pickle of a dict with
///   `data` (uint8 `[n, 3072]`, each row the red, green, blue 32×32 planes) and `labels`
///   (`fine_labels`/`coarse_labels`); Python 2 byte-string keys and Python 3 keys both work.
/// - binary: `ROOT/cifar-10-batches-bin/data_batch_1…5.bin`, `test_batch.bin`,
///   `batches.meta.txt`, records of 1 label byte + 3072 pixel bytes;
///   `ROOT/cifar-100-binary/train.bin`, `test.bin`, `fine_label_names.txt`,
///   `coarse_label_names.txt`, records of coarse label, fine label, 3072 pixel bytes.
///
/// The python layout wins when both are present. Row counts come from the files (no 10,000
/// hard-coded).
public enum CIFAR {
  /// Which CIFAR.
  public enum Variant: Sendable, Equatable {
    /// CIFAR-10: 10 classes.
    case cifar10
    /// CIFAR-100 with its 100 fine labels (`coarse: false`, torchvision's only choice) or its
    /// 20 coarse superclasses.
    case cifar100(coarse: Bool)
  }

  /// Side of a CIFAR image.
  public static let side = 32
  /// Bytes of one image: 3 planes of 32×32.
  public static let imageBytes = 3 * 32 * 32

  /// Reads `split` (train or test) of `variant` under `root`.
  ///
  /// - Throws: `DatasetError` naming the file: `.notFound` when neither layout's folder exists
  ///   (with the download hint), `.missingFile`, `.truncated`, `.badRecordSize`,
  ///   `.labelOutOfRange`, `.malformed`.
  public static func load(root: URL, variant: Variant, split: DatasetSplit) throws
    -> InMemoryImageDataset
  {
    guard split != .unlabeled else {
      throw DatasetError(
        path: root.path, problem: .malformed,
        detail: "CIFAR has no unlabeled split; use train or test")
    }
    let python = root.appendingPathComponent(pythonFolder(variant))
    let binary = root.appendingPathComponent(binaryFolder(variant))
    if DatasetFiles.isDirectory(python) {
      return try loadPython(folder: python, variant: variant, split: split)
    }
    if DatasetFiles.isDirectory(binary) {
      return try loadBinary(folder: binary, variant: variant, split: split)
    }
    let kind: DatasetKind = variant == .cifar10 ? .cifar10 : .cifar100
    throw DatasetError(
      path: root.path, problem: .notFound,
      detail: "neither \(python.lastPathComponent)/ nor \(binary.lastPathComponent)/ is here. "
        + DatasetCatalog.entry(for: kind).offlineHint(root: root))
  }

  static func pythonFolder(_ variant: Variant) -> String {
    variant == .cifar10 ? "cifar-10-batches-py" : "cifar-100-python"
  }

  static func binaryFolder(_ variant: Variant) -> String {
    variant == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary"
  }

  /// The batch files of `split` in the python layout, in torchvision's order.
  static func pythonFiles(_ variant: Variant, split: DatasetSplit) -> [String] {
    switch (variant, split) {
    case (.cifar10, .train): (1...5).map { "data_batch_\($0)" }
    case (.cifar10, _): ["test_batch"]
    case (.cifar100, .train): ["train"]
    case (.cifar100, _): ["test"]
    }
  }

  static func binaryFiles(_ variant: Variant, split: DatasetSplit) -> [String] {
    pythonFiles(variant, split: split).map { $0 + ".bin" }
  }

  // MARK: python layout

  static func loadPython(folder: URL, variant: Variant, split: DatasetSplit) throws
    -> InMemoryImageDataset
  {
    let hint = "the python layout needs all of torchvision's cifar files (re-extract the archive)"
    let metaURL = folder.appendingPathComponent(variant == .cifar10 ? "batches.meta" : "meta")
    let meta = try unpickle(metaURL, hint: hint)
    let namesKey: String
    let labelsKey: String
    switch variant {
    case .cifar10: (namesKey, labelsKey) = ("label_names", "labels")
    case .cifar100(let coarse):
      (namesKey, labelsKey) =
        coarse ? ("coarse_label_names", "coarse_labels") : ("fine_label_names", "fine_labels")
    }
    let classNames = try strings(meta[namesKey], key: namesKey, file: metaURL)
    var pixels = [UInt8]()
    var labels = [Int]()
    for name in pythonFiles(variant, split: split) {
      let url = folder.appendingPathComponent(name)
      let batch = try unpickle(url, hint: hint)
      guard case .ndarray(let array)? = batch["data"] else {
        throw DatasetError(
          path: url.path, problem: .malformed,
          detail: "no numpy array under 'data' (found \(batch["data"]?.typeName ?? "nothing"))")
      }
      guard array.dtype.scalarType == .uint8, array.shape.count == 2,
        array.shape[1] == imageBytes, !array.isFortranOrder
      else {
        throw DatasetError(
          path: url.path, problem: .malformed,
          detail:
            "'data' is \(array.dtype.scalarType.rawValue) \(array.shape), expected uint8 [n, 3072]")
      }
      let rows = array.shape[0]
      guard rows > 0 else {
        throw DatasetError(
          path: url.path, problem: .malformed,
          detail: "'data' holds no images (shape \(array.shape)); re-extract the archive")
      }
      guard array.data.count == rows * imageBytes else {
        throw DatasetError(
          path: url.path, problem: .truncated,
          detail: "'data' holds \(array.data.count) bytes for \(rows) rows of 3072")
      }
      let batchLabels = try integers(batch[labelsKey], key: labelsKey, file: url)
      guard batchLabels.count == rows else {
        throw DatasetError(
          path: url.path, problem: .malformed,
          detail: "\(batchLabels.count) labels for \(rows) images")
      }
      try DatasetFiles.checkLabels(batchLabels, classCount: classNames.count, file: url)
      pixels.reserveCapacity(pixels.count + array.data.count)
      for row in 0..<rows {
        DatasetFiles.appendPlanarAsInterleaved(
          array.data, offset: row * imageBytes, pixelsPerImage: side * side, to: &pixels)
      }
      labels += batchLabels
    }
    return InMemoryImageDataset(
      width: side, height: side, channels: 3, pixels: pixels, labels: labels,
      classNames: classNames)
  }

  static func unpickle(_ url: URL, hint: String) throws -> PickleValue {
    let bytes = try DatasetFiles.read(url, hint: hint)
    do {
      return try Unpickler.load(bytes, allowing: .numpyArrays)
    } catch let error as PickleError {
      let truncated: Bool
      switch error.kind {
      case .truncated, .missingStop: truncated = true
      default: truncated = false
      }
      throw DatasetError(
        path: url.path, problem: truncated ? .truncated : .malformed,
        detail: "not a readable CIFAR pickle (\(error)); a partial download or a different file?")
    }
  }

  static func strings(_ value: PickleValue?, key: String, file: URL) throws -> [String] {
    guard let elements = value?.elements,
      case let names = elements.compactMap(\.stringValue), names.count == elements.count,
      !names.isEmpty
    else {
      throw DatasetError(
        path: file.path, problem: .malformed, detail: "no list of names under '\(key)'")
    }
    return names
  }

  static func integers(_ value: PickleValue?, key: String, file: URL) throws -> [Int] {
    guard let elements = value?.elements,
      case let numbers = elements.compactMap(\.integerValue), numbers.count == elements.count
    else {
      throw DatasetError(
        path: file.path, problem: .malformed,
        detail: "no list of integer labels under '\(key)' (found \(value?.typeName ?? "nothing"))")
    }
    return numbers
  }

  // MARK: binary layout

  static func loadBinary(folder: URL, variant: Variant, split: DatasetSplit) throws
    -> InMemoryImageDataset
  {
    let hint = "the binary layout needs all files of the cifar binary archive"
    let classNames: [String]
    let labelBytes: Int
    let labelOffset: Int
    switch variant {
    case .cifar10:
      classNames = try DatasetFiles.lines(
        folder.appendingPathComponent("batches.meta.txt"), hint: hint)
      (labelBytes, labelOffset) = (1, 0)
    case .cifar100(let coarse):
      classNames = try DatasetFiles.lines(
        folder.appendingPathComponent(coarse ? "coarse_label_names.txt" : "fine_label_names.txt"),
        hint: hint)
      (labelBytes, labelOffset) = (2, coarse ? 0 : 1)
    }
    let recordSize = labelBytes + imageBytes
    var pixels = [UInt8]()
    var labels = [Int]()
    for name in binaryFiles(variant, split: split) {
      let url = folder.appendingPathComponent(name)
      let bytes = try DatasetFiles.read(url, hint: hint)
      guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
        throw DatasetError(
          path: url.path, problem: bytes.count < recordSize ? .truncated : .badRecordSize,
          detail: "\(bytes.count) bytes is not a whole number of \(recordSize)-byte records "
            + "(\(labelBytes) label byte\(labelBytes == 1 ? "" : "s") + 3072 pixels); "
            + "truncated, or a CIFAR-\(variant == .cifar10 ? "100" : "10") file?")
      }
      let rows = bytes.count / recordSize
      var batchLabels = [Int]()
      batchLabels.reserveCapacity(rows)
      for row in 0..<rows {
        batchLabels.append(Int(bytes[row * recordSize + labelOffset]))
      }
      try DatasetFiles.checkLabels(batchLabels, classCount: classNames.count, file: url)
      for row in 0..<rows {
        DatasetFiles.appendPlanarAsInterleaved(
          bytes, offset: row * recordSize + labelBytes, pixelsPerImage: side * side, to: &pixels)
      }
      labels += batchLabels
    }
    return InMemoryImageDataset(
      width: side, height: side, channels: 3, pixels: pixels, labels: labels,
      classNames: classNames)
  }
}
