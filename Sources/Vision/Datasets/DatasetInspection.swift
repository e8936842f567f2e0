import Downloader
import Foundation
import ImageCodecs
import TensorCore

/// Opens any catalogued dataset by kind, root and split (what the command line does).
public enum DatasetOpener {
  /// `split` of `kind` under `root`. For `.folder`, `root` is a folder of class folders (its
  /// `train/` and `val/` (or `test/`) sub-folders give the train and test splits when present)
  /// or a `.csv` file (train split only).
  public static func open(
    _ kind: DatasetKind, root: URL, split: DatasetSplit, skipBad: Bool = false
  ) throws -> any LabeledImageDataset {
    switch kind {
    case .cifar10: return try CIFAR.load(root: root, variant: .cifar10, split: split)
    case .cifar100:
      return try CIFAR.load(root: root, variant: .cifar100(coarse: false), split: split)
    case .mnist, .fashionMNIST, .kmnist: return try MNIST.load(root: root, kind: kind, split: split)
    case .stl10: return try STL10.load(root: root, split: split)
    case .folder:
      if root.pathExtension.lowercased() == "csv" {
        guard split == .train else {
          throw DatasetError(
            path: root.path, problem: .notFound, detail: "a CSV has only one split")
        }
        return try ImageFolderDataset(csv: root, skipBad: skipBad)
      }
      let (train, heldOut) = ImageFolderDataset.splitFolders(root: root)
      switch split {
      case .train: return try ImageFolderDataset(root: train, skipBad: skipBad)
      default:
        guard let heldOut else {
          throw DatasetError(
            path: root.path, problem: .notFound, detail: "no train/ + val/ (or test/) sub-folders")
        }
        // Labels follow the training folder's class names, matched by name.
        return try ImageFolderDataset(
          root: heldOut, classNames: try ImageFolderDataset.classFolders(of: train),
          skipBad: skipBad)
      }
    }
  }

  /// The splits `kind` has.
  public static func splits(of kind: DatasetKind) -> [DatasetSplit] {
    kind == .stl10 ? [.train, .test, .unlabeled] : [.train, .test]
  }
}

/// A summary of a dataset on disk: per-split and per-class counts, image sizes, and the MD5 of
/// each file torchvision lists.
public struct DatasetInspection: Sendable {
  /// One split's numbers.
  public struct SplitSummary: Sendable {
    /// The split.
    public let split: DatasetSplit
    /// Number of samples.
    public let count: Int
    /// Samples per class, by label.
    public let classCounts: [Int]
    /// Distinct image sizes seen, as `width×height×channels` (all images of in-memory sets;
    /// the first 64 of file-backed ones).
    public let imageShapes: [String]
    /// The classes that have samples in this split (an image folder's `val/` may lack some).
    public let classesPresent: [String]
    /// Undecodable images left out (image folders with `skipBad`), one error each.
    public let skipped: [String]
  }

  /// Whether a file torchvision lists has its MD5.
  public enum ChecksumStatus: String, Sendable {
    /// The MD5 matches torchvision's.
    case verified
    /// The file exists with another MD5 (a different or damaged file, or a fixture).
    case mismatch
    /// The file is absent.
    case absent
  }

  /// The dataset.
  public let kind: DatasetKind
  /// Class names.
  public let classNames: [String]
  /// The readable splits.
  public let splits: [SplitSummary]
  /// Splits that failed to open, with their errors.
  public let failures: [(split: DatasetSplit, error: String)]
  /// torchvision's files (relative to the root) and their status.
  public let checksums: [(path: String, status: ChecksumStatus)]

  /// Reads every split of `kind` under `root` and checks the MD5s of the files present.
  ///
  /// - Throws: the first split's error when no split opens at all.
  public static func inspect(_ kind: DatasetKind, root: URL, skipBad: Bool = false) throws
    -> DatasetInspection
  {
    var summaries = [SplitSummary]()
    var failures = [(split: DatasetSplit, error: String)]()
    var names = [String]()
    var firstError: (any Error)?
    for split in DatasetOpener.splits(of: kind) {
      do {
        let dataset = try DatasetOpener.open(kind, root: root, split: split, skipBad: skipBad)
        names = dataset.classNames
        summaries.append(try summary(dataset, split: split))
      } catch {
        firstError = firstError ?? error
        failures.append((split, "\(error)"))
      }
    }
    if summaries.isEmpty, let firstError { throw firstError }
    let checksums = DatasetCatalog.entry(for: kind).knownFiles.compactMap {
      file -> (path: String, status: ChecksumStatus)? in
      let url = root.appendingPathComponent(file.path)
      guard DatasetFiles.isFile(url) else { return (file.path, .absent) }
      guard let digest = try? Checksum.digests(ofFileAt: url).md5 else {
        return (file.path, .absent)
      }
      return (file.path, digest == file.md5 ? .verified : .mismatch)
    }
    return DatasetInspection(
      kind: kind, classNames: names, splits: summaries, failures: failures, checksums: checksums)
  }

  static func summary(_ dataset: any LabeledImageDataset, split: DatasetSplit) throws
    -> SplitSummary
  {
    var counts = [Int](repeating: 0, count: dataset.classNames.count)
    for index in 0..<dataset.count {
      let label = dataset.label(at: index)
      if label >= 0 && label < counts.count { counts[label] += 1 }
    }
    var shapes = [String]()
    if let memory = dataset as? InMemoryImageDataset {
      shapes = ["\(memory.width)×\(memory.height)×\(memory.channels)"]
    } else {
      for index in 0..<min(dataset.count, 64) {
        let image = try dataset.image(at: index)
        let shape = "\(image.width)×\(image.height)×\(image.channels)"
        if !shapes.contains(shape) { shapes.append(shape) }
      }
    }
    let present = zip(dataset.classNames, counts).filter { $0.1 > 0 }.map(\.0)
    let skipped = (dataset as? ImageFolderDataset)?.skipped.map { "\($0)" } ?? []
    return SplitSummary(
      split: split, count: dataset.count, classCounts: counts, imageShapes: shapes,
      classesPresent: present, skipped: skipped)
  }

  /// A grid of samples: one row per class (the first `maximumClasses`), up to `perClass` images
  /// each (the first of that class), every image scaled by nearest neighbour into a `cell`×`cell`
  /// square, with a 2-pixel gap; RGB.
  public static func sampleGrid(
    _ dataset: any LabeledImageDataset, perClass: Int = 8, cell: Int = 64, maximumClasses: Int = 20,
    augment: TransformPipeline? = nil, seed: UInt64 = 0
  ) throws -> Image {
    let classes = max(1, min(dataset.classNames.count, maximumClasses))
    var chosen = [[Int]](repeating: [], count: classes)
    for index in 0..<dataset.count {
      let label = dataset.label(at: index)
      let row = label < 0 ? 0 : label  // unlabeled samples fill the first row
      if row < classes && chosen[row].count < perClass { chosen[row].append(index) }
    }
    let gap = 2
    let width = gap + perClass * (cell + gap)
    let height = gap + classes * (cell + gap)
    var pixels = [UInt8](repeating: 255, count: width * height * 3)
    for (row, indices) in chosen.enumerated() {
      for (column, index) in indices.enumerated() {
        var image = try dataset.image(at: index).converted(to: 3)
        if let augment {
          // Each sample gets its own generator, so the preview shows what training would see.
          var generator = SeededGenerator(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
          image = Vision.toImage(try augment.apply(Vision.toTensor(image), generator: &generator))
        }
        let left = gap + column * (cell + gap)
        let top = gap + row * (cell + gap)
        for y in 0..<cell {
          let sourceY = y * image.height / cell
          for x in 0..<cell {
            let source = (sourceY * image.width + x * image.width / cell) * 3
            let target = ((top + y) * width + left + x) * 3
            pixels[target] = image.pixels[source]
            pixels[target + 1] = image.pixels[source + 1]
            pixels[target + 2] = image.pixels[source + 2]
          }
        }
      }
    }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
  }
}
