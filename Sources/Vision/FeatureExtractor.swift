import Downloader
import Foundation
import ImageCodecs
import TensorCore

/// The backbone's features of a whole dataset split (or a subset of it), with the labels.
public struct ExtractedFeatures: Sendable {
  /// `[N, featureCount]`, row `i` from the `i`-th requested sample.
  public let features: Tensor
  /// The labels, one per row.
  public let labels: [Int]
}

/// Runs a frozen ResNet backbone over a dataset: the expensive half of Part 4, done once and
/// cached (`FeatureCache` in Experiments) so that training the head costs seconds per epoch.
///
/// Each image goes through the assignment's input transform, `transforms.ToTensor()` →
/// (optional `Resize(N)`) → `transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))`, then
/// batches go through the folded backbone's `features` (evaluation mode: batch norm with running
/// statistics folded in, no tape). The batch is the extractor's own, chosen from the image size
/// (`batchSize(height:width:)`), not the head's training batch: the features then never depend
/// on `--batch-size`. Grayscale images are replicated to RGB. Images are decoded and
/// transformed on background threads by a `DataLoader` (no shuffling), so rows keep the requested
/// order.
///
/// `@unchecked Sendable`: the folded backbone is never mutated after it is made (its layers are
/// classes, as every layer is, so the compiler cannot see that).
public struct FeatureExtractor: @unchecked Sendable {
  /// The folded, frozen backbone (`ResNet.folded()`).
  public let backbone: ResNet
  /// What the backbone's weights are, as `FeatureCacheKey.weights`.
  public let weightsFingerprint: String
  /// The shorter side images are resized to before normalising, or nil to keep their size.
  public let resize: Int?
  /// Images per forward pass, or nil for `batchSize(height:width:)` of the images' size.
  public let batchSize: Int?
  /// Background threads decoding and transforming images.
  public let workerCount: Int
  /// Random augmentation applied after the resize and before normalising (nil: none). Its
  /// randomness is a function of (`augmentationSeed`, copy, sample index), so each cached
  /// augmented copy is reproducible.
  public let augmentation: TransformPipeline?
  /// Seeds the augmentation.
  public let augmentationSeed: UInt64

  /// The assignment's per-channel normalisation, mean 0.5 and standard deviation 0.5.
  public static let assignmentNormalize = Normalize(
    mean: [0.5, 0.5, 0.5], standardDeviation: [0.5, 0.5, 0.5])

  /// An extractor over `backbone`, folded here (in fp32) if it is not yet.
  public init(
    backbone: ResNet, weightsFingerprint: String, resize: Int? = nil, batchSize: Int? = nil,
    workerCount: Int = 2, augmentation: TransformPipeline? = nil, augmentationSeed: UInt64 = 0
  ) {
    self.augmentation = augmentation.flatMap { $0.steps.isEmpty ? nil : $0 }
    self.augmentationSeed = augmentationSeed
    self.backbone = backbone.isFolded ? backbone : backbone.folded()
    self.weightsFingerprint = weightsFingerprint
    self.resize = resize
    self.batchSize = batchSize
    self.workerCount = workerCount
  }

  /// Images per forward pass on `height`×`width` inputs when none is given: 128 at 32×32, fewer
  /// as images grow (16 from 88×88 up), as `128·32·32 / (height·width)` clamped to 16…128.
  /// Measured on the folded ResNet-50 (2 threads, AMD Zen 5, session 21, interleaved): 32×32
  /// fp32 runs 2,086–2,231 img/s at batch 64 and 2,260–2,544 at 128 (256 is no faster and holds
  /// more); bf16 is +0–3 % at 128. From 64×64 up the batch changes nothing beyond noise
  /// (±3 %: a level's passes are already sized by `ResNet.activationsPerPass`), and at 224×224
  /// batch 16 is 3–5 % faster than 64, holding 28 MiB less.
  public static func batchSize(height: Int, width: Int) -> Int {
    let (pixels, overflow) = height.multipliedReportingOverflow(by: width)
    guard !overflow else { return 16 }
    return Swift.min(128, Swift.max(16, 128 * 32 * 32 / Swift.max(1, pixels)))
  }

  /// The images per forward pass over `dataset`'s `indices` (all when nil): `batchSize` when
  /// one was given, else that of the images' size after the resize (without `--resize`, the first
  /// image's: the images of a batch must be of one size anyway).
  ///
  /// - Throws: the dataset's error decoding that first image.
  public func batchSize(for dataset: any ImageSource, indices: [Int]? = nil) throws -> Int {
    if let batchSize { return batchSize }
    if let resize { return Self.batchSize(height: resize, width: resize) }
    guard let first = indices?.first ?? (dataset.count > 0 ? 0 : nil),
      (0..<dataset.count).contains(first)
    else { return Self.batchSize(height: 32, width: 32) }
    let image = try dataset.image(at: first)
    return Self.batchSize(height: image.height, width: image.width)
  }

  /// `sha256:<hex>` of a checkpoint file: equal files give equal fingerprints wherever they are.
  public static func fingerprint(weightsFile url: URL) throws -> String {
    "sha256:" + (try Checksum.digests(ofFileAt: url).sha256)
  }

  /// The fingerprint of a randomly initialised `ResNet(depth:baseWidth:seed:)`:
  /// `random:SEED`, with the architecture added (`random:resnet18-w4:SEED`) because a seed alone
  /// does not determine the weights.
  public static func randomFingerprint(depth: Int, baseWidth: Int = 64, seed: UInt64) -> String {
    "random:resnet\(depth)" + (baseWidth == 64 ? "" : "-w\(baseWidth)") + ":\(seed)"
  }

  /// The per-image steps after `ToTensor`.
  public var pipeline: TransformPipeline {
    var steps: [any Transform] = []
    if let resize {
      // Shorter side to `resize`, then the centre square (a no-op for square images such as
      // CIFAR's): images of any size batch together, as torchvision's Resize + CenterCrop.
      steps.append(Resize(shorterSide: resize))
      steps.append(CenterCrop(height: resize, width: resize))
    }
    if let augmentation { steps += augmentation.steps }
    steps.append(Self.assignmentNormalize)
    return TransformPipeline(steps)
  }

  /// The whole input transform as `FeatureCacheKey.transform`, e.g.
  /// `totensor,resize:224,normalize:0.5/0.5/0.5:0.5/0.5/0.5`; with augmentation, the seed and
  /// the augmented copy are part of it (`…,augment-seed:7,copy:2`).
  public func transformDescription(copy: Int = 0) -> String {
    // A bf16 backbone computes other features: its caches are never shared with fp32 ones (fp32
    // keys are as they always were), nor between its forms (the AMX and pairs forms round the
    // activations too and sum in different orders, the values form multiplies them in fp32).
    let form = Precision.bf16FormName
    let precision =
      backbone.precision == .fp32 ? "" : ",precision:\(backbone.precision.rawValue)-\(form)"
    let steps = (["totensor"] + pipeline.steps.map(\.description)).joined(separator: ",")
    guard augmentation != nil else { return steps + precision }
    return steps + ",augment-seed:\(augmentationSeed),copy:\(copy)" + precision
  }

  /// The width of each feature row.
  public var featureCount: Int { backbone.featureCount }

  /// The features of `dataset`'s samples `indices` (all of them when nil), in that order;
  /// `copy` selects the augmented copy (ignored without augmentation). `rows` restricts the work
  /// to positions of `indices` (a shard); the rows equal those of the full extraction.
  ///
  /// - Parameters:
  ///   - shouldStop: asked after each batch (Ctrl-C); true ends the work at that batch
  ///     boundary with `FeatureExtractionStopped`, never inside a kernel.
  ///   - progress: called after each batch with (images done, images in all).
  /// - Throws: `DataLoaderError` wrapping a dataset's decoding error (naming the file), or a
  ///   `TransformError`; `FeatureExtractorError` for an index outside the dataset;
  ///   `FeatureExtractionStopped` when `shouldStop` said so.
  public func extract(
    _ dataset: any ImageSource, indices: [Int]? = nil, rows range: Range<Int>? = nil,
    copy: Int = 0, progress: (_ done: Int, _ total: Int) -> Void = { _, _ in },
    shouldStop: () -> Bool = { false }
  ) throws -> ExtractedFeatures {
    let all = indices ?? Array(0..<dataset.count)
    let positions = range.map { $0.clamped(to: 0..<all.count) } ?? 0..<all.count
    let rows = Array(all[positions])
    if let bad = rows.first(where: { !(0..<dataset.count).contains($0) }) {
      throw FeatureExtractorError(
        description: "sample index \(bad) is outside the dataset's 0..<\(dataset.count)")
    }
    guard !rows.isEmpty else {
      return ExtractedFeatures(features: Tensor.zeros([0, featureCount]), labels: [])
    }
    let loader = try DataLoader(
      source: SubsetImageSource(base: dataset, indices: all),
      batchSize: try batchSize(for: dataset, indices: all),
      shuffle: false, seed: augmentationSeed, transform: pipeline, channels: 3,
      workerCount: workerCount)
    let batches = loader.epoch(
      augmentation == nil ? 0 : copy, visiting: positions == 0..<all.count ? nil : Array(positions))
    var scalars: [Float] = []
    scalars.reserveCapacity(rows.count * featureCount)
    var labels: [Int] = []
    labels.reserveCapacity(rows.count)
    while let batch = try nextBatch(batches) {
      scalars += backbone.features(batch.images).scalars
      labels += batch.labels
      progress(labels.count, rows.count)
      if labels.count < rows.count, shouldStop() {
        throw FeatureExtractionStopped(rowsDone: labels.count, rows: rows.count)
      }
    }
    return ExtractedFeatures(
      features: Tensor(shape: [labels.count, featureCount], scalars: scalars), labels: labels)
  }
}

/// The next batch; images of different sizes get the fix that applies here (`--resize`).
private func nextBatch(_ batches: EpochBatches) throws -> Batch? {
  do {
    return try batches.next()
  } catch DataLoaderError.inconsistentShape(let index, let shape, let expected) {
    throw FeatureExtractorError(
      description:
        "image \(index) is \(shape) but earlier images of its batch are \(expected): the images "
        + "differ in size; pass --resize N to resize their shorter side to N and crop the centre "
        + "N×N square (e.g. --resize 224)")
  }
}

/// Why features could not be extracted.
public struct FeatureExtractorError: Error, CustomStringConvertible, Equatable {
  /// The message.
  public let description: String
}

/// Feature extraction ended early at a batch boundary because a stop was requested (Ctrl-C).
public struct FeatureExtractionStopped: Error, CustomStringConvertible, Equatable {
  /// The rows finished before the stop.
  public let rowsDone: Int
  /// The rows asked for.
  public let rows: Int
  /// How far the extraction got before it stopped.
  public var description: String {
    "feature extraction stopped after \(rowsDone) of \(rows) images, as requested"
  }
}

/// `base` restricted to `indices`, in that order: the one subset of images (a split, a limit, a
/// shard) that feature extraction and the unfrozen training loop both read.
public struct SubsetImageSource: ImageSource {
  /// The full source.
  public let base: any ImageSource
  /// The positions in `base`, in the order they are served.
  public let indices: [Int]

  /// `base` at `indices`.
  public init(base: any ImageSource, indices: [Int]) {
    self.base = base
    self.indices = indices
  }

  /// The number of indices.
  public var count: Int { indices.count }
  /// Image `index` of the subset.
  public func image(at index: Int) throws -> Image { try base.image(at: indices[index]) }
  /// Label `index` of the subset.
  public func label(at index: Int) -> Int { base.label(at: indices[index]) }
}
