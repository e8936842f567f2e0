import Foundation

/// Reader for STL-10's binary layout, as torchvision's `STL10(root, split=…)`:
/// `ROOT/stl10_binary/train_X.bin`, `train_y.bin`, `test_X.bin`, `test_y.bin`, `unlabeled_X.bin`
/// and `class_names.txt`.
///
/// Each image is 3 planes of 96×96 bytes stored column-major (the files come from MATLAB);
/// torchvision reads them as `reshape(-1, 3, 96, 96).transpose(0, 1, 3, 2)`, and so does this
/// reader: pixel (row y, column x) of plane c is byte `c·9216 + x·96 + y`. Labels are stored 1–10
/// and returned 0–9; the unlabeled split's labels are −1, as torchvision's.
public enum STL10 {
  /// Side of an STL-10 image.
  public static let side = 96
  /// Bytes of one image.
  public static let imageBytes = 3 * 96 * 96

  /// Reads `split` under `root`.
  ///
  /// - Throws: `DatasetError` naming the file: `.notFound`, `.missingFile`, `.badRecordSize`,
  ///   `.truncated`, `.labelOutOfRange`, `.malformed` (image and label counts differ).
  public static func load(root: URL, split: DatasetSplit) throws -> InMemoryImageDataset {
    let folder = root.appendingPathComponent("stl10_binary", isDirectory: true)
    let hint = DatasetCatalog.entry(for: .stl10).offlineHint(root: root)
    guard DatasetFiles.isDirectory(folder) else {
      throw DatasetError(path: folder.path, problem: .notFound, detail: "folder not found. " + hint)
    }
    let classNames = try DatasetFiles.lines(
      folder.appendingPathComponent("class_names.txt"), hint: hint)
    let imagesURL = folder.appendingPathComponent("\(split.rawValue)_X.bin")
    let raw = try DatasetFiles.read(imagesURL, hint: hint)
    guard !raw.isEmpty, raw.count % imageBytes == 0 else {
      throw DatasetError(
        path: imagesURL.path, problem: raw.count < imageBytes ? .truncated : .badRecordSize,
        detail:
          "\(raw.count) bytes is not a whole number of 27648-byte (3×96×96) images; truncated?")
    }
    let count = raw.count / imageBytes
    var labels = [Int](repeating: -1, count: count)
    if split != .unlabeled {
      let labelsURL = folder.appendingPathComponent("\(split.rawValue)_y.bin")
      let stored = try DatasetFiles.read(labelsURL, hint: hint)
      guard stored.count == count else {
        throw DatasetError(
          path: labelsURL.path, problem: .malformed,
          detail: "\(stored.count) labels for the \(count) images of \(imagesURL.lastPathComponent)"
        )
      }
      labels = stored.map { Int($0) - 1 }
      try DatasetFiles.checkLabels(labels, classCount: classNames.count, file: labelsURL)
    }
    let plane = side * side
    var pixels = [UInt8](repeating: 0, count: raw.count)
    for image in 0..<count {
      let base = image * imageBytes
      for y in 0..<side {
        for x in 0..<side {
          let target = base + (y * side + x) * 3
          for channel in 0..<3 {
            pixels[target + channel] = raw[base + channel * plane + x * side + y]
          }
        }
      }
    }
    return InMemoryImageDataset(
      width: side, height: side, channels: 3, pixels: pixels, labels: labels,
      classNames: classNames)
  }
}
