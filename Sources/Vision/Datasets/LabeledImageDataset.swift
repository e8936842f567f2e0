import Foundation
import ImageCodecs

/// A finite, indexable set of labelled images, the equivalent of a torchvision map-style dataset
/// (`len(ds)`, `ds[i] -> (PIL image, target)`, `ds.classes`).
///
/// Indices run over `0..<count`. `image(at:)` returns an 8-bit HWC `Image` (`np.asarray(img)` of
/// the PIL image torchvision returns); `label(at:)` returns the class index, or −1 for an
/// unlabelled sample (STL-10's `unlabeled` split, as torchvision). A file-backed dataset's
/// `image(at:)` throws `DatasetError` (`.undecodableImage`, naming the file).
///
/// Every dataset is an `ImageSource`, so a `DataLoader` batches it directly.
public protocol LabeledImageDataset: ImageSource {
  /// Class names in label order (`ds.classes`).
  var classNames: [String] { get }
}

/// Images held in one contiguous `UInt8` block, NHWC: the layout of torchvision's
/// `CIFAR10.data` (`[N, 32, 32, 3]`) and of `MNIST.data` with a trailing channel axis.
///
/// Loaders slice `pixels` directly (sample `i` is `pixels[i * sampleSize ..< (i + 1) *
/// sampleSize]`), never decoding anything.
public struct InMemoryImageDataset: LabeledImageDataset, Equatable {
  /// Pixels per row.
  public let width: Int
  /// Rows per image.
  public let height: Int
  /// Samples per pixel (1 or 3).
  public let channels: Int
  /// `count × height × width × channels` samples, NHWC.
  public let pixels: [UInt8]
  /// One label per image (−1 when unlabelled).
  public let labels: [Int]
  /// Class names in label order.
  public let classNames: [String]

  /// Wraps an NHWC block; `pixels.count` must equal `labels.count × height × width × channels`
  /// (a programmer error otherwise — the readers validate files before building one).
  public init(
    width: Int, height: Int, channels: Int, pixels: [UInt8], labels: [Int], classNames: [String]
  ) {
    precondition(
      pixels.count == labels.count * width * height * channels,
      "InMemoryImageDataset: \(pixels.count) samples for \(labels.count) images of \(height)x\(width)x\(channels)"
    )
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
    self.labels = labels
    self.classNames = classNames
  }

  /// Number of images.
  public var count: Int { labels.count }

  /// `height × width × channels`: the stride of one image in `pixels`.
  public var sampleSize: Int { width * height * channels }

  /// Image `index` as an `Image` (a copy of its slice of `pixels`).
  public func image(at index: Int) -> Image {
    let start = index * sampleSize
    return Image(
      width: width, height: height, channels: channels,
      pixels: Array(pixels[start..<(start + sampleSize)]))
  }

  /// The label of image `index`.
  public func label(at index: Int) -> Int { labels[index] }

  /// The images at `indices`, in that order (a validation split, a class subset).
  public func subset(_ indices: [Int]) -> InMemoryImageDataset {
    var block = [UInt8]()
    block.reserveCapacity(indices.count * sampleSize)
    for index in indices {
      block.append(contentsOf: pixels[(index * sampleSize)..<((index + 1) * sampleSize)])
    }
    return InMemoryImageDataset(
      width: width, height: height, channels: channels, pixels: block,
      labels: indices.map { labels[$0] }, classNames: classNames)
  }

  /// The same images with gray replicated into R, G and B (for an ImageNet-shaped ResNet stem);
  /// `self` if already 3-channel. Equivalent to PIL's `img.convert("RGB")`.
  public func replicatingGrayToRGB() -> InMemoryImageDataset {
    guard channels == 1 else { return self }
    var block = [UInt8](repeating: 0, count: pixels.count * 3)
    for (index, value) in pixels.enumerated() {
      block[3 * index] = value
      block[3 * index + 1] = value
      block[3 * index + 2] = value
    }
    return InMemoryImageDataset(
      width: width, height: height, channels: 3, pixels: block, labels: labels,
      classNames: classNames)
  }

  /// Number of images per class, indexed by label (unlabelled images are not counted).
  public func classCounts() -> [Int] {
    var counts = [Int](repeating: 0, count: classNames.count)
    for label in labels where label >= 0 && label < counts.count { counts[label] += 1 }
    return counts
  }
}

/// Which part of a dataset to read.
public enum DatasetSplit: String, Sendable, CaseIterable {
  /// The training set (`train=True`).
  case train
  /// The test set (`train=False`).
  case test
  /// STL-10's unlabelled images (`split="unlabeled"`).
  case unlabeled
}
