import Foundation
import NN
import TensorCore
import Vision

/// One cached block of backbone features: a dataset split (or augmented copy of it) through
/// the backbone, stored under its `key`. `classify finetune` computes every job it needs;
/// `classify features --shard i/n` computes one shard of each for a cluster.
public struct FeatureJob: Sendable {
  /// A short name for progress lines: `train`, `train copy 2/4`, `validation`, `test`.
  public let name: String
  /// What the features are computed from (its fingerprint names the cache file).
  public let key: FeatureCacheKey
  /// The images.
  public let dataset: any LabeledImageDataset
  /// The dataset's samples, in row order.
  public let indices: [Int]
  /// The augmented copy (0 without augmentation).
  public let copy: Int
  /// Whether the extractor applies the training augmentation.
  public let augmented: Bool
  /// Whether every image is mirrored first (the test-time augmentation's copy).
  public var flipped = false

  /// The cache file in `folder`.
  public func file(in folder: URL) -> URL {
    folder.appendingPathComponent(key.fileName)
  }

  /// Shard `index` of `count` in `folder`.
  public func shardFile(in folder: URL, index: Int, count: Int) -> URL {
    folder.appendingPathComponent("\(key.fingerprint).shard-\(index)-of-\(count).features")
  }
}

/// What a fine-tuning configuration opens before training: the datasets and the split, the
/// backbone and its fingerprint, the feature extractors and the feature jobs.
public struct FineTuneInputs {
  /// The training split (validation rows are taken from it).
  public let trainSet: any LabeledImageDataset
  /// The test split.
  public let testSet: any LabeledImageDataset
  /// The dataset's class names; the head has one output per class.
  public let classNames: [String]
  /// Training and validation indices into `trainSet`.
  public let split: ValidationSplit
  /// Test indices into `testSet`.
  public let testIndices: [Int]
  /// The network being fine-tuned, whose `fc` the run replaces by the head: the trainable model
  /// when the run unfreezes the backbone, else the folded one (a frozen run holds only the
  /// folded weights, half the memory).
  public let model: ResNet
  /// `sha256:…` of the weights file, or `random:…`.
  public let weightsFingerprint: String
  /// The evaluation-mode extractor (validation, test, and training without augmentation).
  public let extractor: FeatureExtractor
  /// The extractor with the training augmentation, when there is one.
  public let augmentedExtractor: FeatureExtractor?
  /// One job per cached training copy.
  public let trainJobs: [FeatureJob]
  /// The training rows without augmentation (to evaluate on; equals `trainJobs[0]` without
  /// augmentation).
  public let plainTrainJob: FeatureJob
  /// The validation job, when a fraction is held out.
  public let validationJob: FeatureJob?
  /// The test job.
  public let testJob: FeatureJob
  /// With `--tta`, the test images mirrored (their features averaged with `testJob`'s).
  public let flippedTestJob: FeatureJob?
  /// The extractor that mirrors every image first (with `--tta`).
  public let flippedExtractor: FeatureExtractor?
  /// With `--tta` and augmentation, the test images through the training augmentation, one job
  /// per cached copy (their predictions join the average too).
  public let augmentedTestJobs: [FeatureJob]

  /// Opens everything `configuration` names.
  ///
  /// - Throws: `FineTuneError` for an invalid configuration; the dataset's and the weights'
  ///   own errors (each naming the file and how to get it).
  public init(_ configuration: FineTuneConfiguration) throws {
    try configuration.validate()
    let kind = configuration.datasetKind ?? .cifar10
    let root = URL(fileURLWithPath: (configuration.root as NSString).expandingTildeInPath)
    trainSet = try DatasetOpener.open(kind, root: root, split: .train)
    classNames = trainSet.classNames
    guard classNames.count >= 2 else {
      throw FineTuneError(
        "\(root.path) has \(classNames.count) class(es); classification needs at least two")
    }
    // An image folder of class folders alone (no train/ and val/), or a CSV, has no test split:
    // one is carved from it by seed, as fastai's `valid_pct` does, and the rest is the training set.
    let carved = kind == .folder && !ImageFolderDataset.hasHeldOutSplit(root: root)
    let candidates: [Int]
    if carved {
      testSet = trainSet
      let carve = ValidationSplit(
        count: trainSet.count, fraction: configuration.testFraction,
        seed: configuration.training.seed &+ 0x7E57)
      candidates = carve.train
      testIndices = Array(
        carve.validation.prefix(configuration.testLimit ?? carve.validation.count))
    } else {
      testSet = try DatasetOpener.open(kind, root: root, split: .test)
      candidates = Array(0..<trainSet.count)
      testIndices = Array(0..<min(configuration.testLimit ?? testSet.count, testSet.count))
    }
    let used = min(configuration.limit ?? candidates.count, candidates.count)
    let within = ValidationSplit(
      count: used, fraction: configuration.validation, seed: configuration.training.seed)
    split = ValidationSplit(
      train: within.train.map { candidates[$0] },
      validation: within.validation.map { candidates[$0] })
    guard !split.train.isEmpty, !testIndices.isEmpty else {
      throw FineTuneError("\(root.path): the training or test split is empty")
    }

    // Before the backbone, the head or any feature is allocated.
    let copies = configuration.augment == nil ? 1 : configuration.augmentCopies
    try MemoryEstimate(
      configuration, classCount: classNames.count,
      rows: Double(split.train.count) * Double(copies) + Double(split.validation.count)
        + Double(testIndices.count)
    ).check()

    let model: ResNet
    (model, weightsFingerprint) = try Self.backbone(configuration)
    model.eval()
    // The features are cached in the configuration's precision (fp32 where the CPU lacks bf16);
    // an unfrozen phase trains, and validates, in fp32.
    // A frozen run keeps only the folded model: folded in place, its fp32 weights are released
    // block by block (a bf16 backbone then holds only its packed bf16 weights).
    let backbone: ResNet
    if configuration.unfreezeEpochs > 0 {
      backbone = model.folded(precision: configuration.precision)
    } else {
      model.fold(precision: configuration.precision)
      backbone = model
    }
    self.model = model  // the trainable model, or (frozen) the folded backbone itself
    // Extraction batches are the extractor's own (by image size), not the head's `--batch-size`.
    extractor = FeatureExtractor(
      backbone: backbone, weightsFingerprint: weightsFingerprint, resize: configuration.resize)
    if let augment = configuration.augment {
      augmentedExtractor = FeatureExtractor(
        backbone: backbone, weightsFingerprint: weightsFingerprint, resize: configuration.resize,
        augmentation: try TransformPipeline.parse(augment),
        augmentationSeed: configuration.training.seed)
    } else {
      augmentedExtractor = nil
    }
    // flip:1 mirrors every image (the draw is always below 1); its own cache key.
    flippedExtractor =
      configuration.tta
      ? FeatureExtractor(
        backbone: backbone, weightsFingerprint: weightsFingerprint, resize: configuration.resize,
        augmentation: try TransformPipeline.parse("flip:1"), augmentationSeed: 0)
      : nil

    // The key names the data's content, not only its path: edited or replaced data is a new
    // key, so a stale cache is never reused for it.
    let trainFingerprint = try DatasetFingerprint.of(trainSet)
    let testFingerprint = try DatasetFingerprint.of(testSet)
    let dataset = "\(kind.rawValue):\(root.path)#train:\(trainFingerprint)"
    let testDataset = "\(kind.rawValue):\(root.path)#test:\(testFingerprint)"
    let carving = carved ? "carved test \(configuration.testFraction), " : ""
    let subset =
      "[\(carving)first \(used), validation \(configuration.validation), seed \(configuration.training.seed), "
      + "split rule \(ValidationSplit.algorithm)]"
    let featureCount = extractor.featureCount
    let (plain, augmenting, fingerprint) = (extractor, augmentedExtractor, weightsFingerprint)
    func job(
      _ name: String, split: String, _ set: any LabeledImageDataset, _ indices: [Int],
      copy: Int = 0, augmented: Bool = false, dataset: String = dataset
    ) -> FeatureJob {
      let transform = ((augmented ? augmenting : nil) ?? plain).transformDescription(copy: copy)
      return FeatureJob(
        name: name,
        key: FeatureCacheKey(
          weights: fingerprint, dataset: dataset, split: split, transform: transform,
          featureCount: featureCount),
        dataset: set, indices: indices, copy: copy, augmented: augmented)
    }
    let (train, trainIndices, test) = (trainSet, split.train, testSet)
    trainJobs = (0..<copies).map { copy in
      job(
        copies == 1 ? "train" : "train copy \(copy + 1)/\(copies)", split: "train" + subset,
        train, trainIndices, copy: copy, augmented: augmenting != nil)
    }
    plainTrainJob = job("train", split: "train" + subset, train, trainIndices)
    validationJob =
      split.validation.isEmpty
      ? nil : job("validation", split: "validation" + subset, train, split.validation)
    let testSplit =
      (carved
        ? "test[carved \(configuration.testFraction), seed \(configuration.training.seed)]"
        : "test")
      + (configuration.testLimit.map { "[first \($0)]" } ?? "")
    testJob = job("test", split: testSplit, test, testIndices, dataset: testDataset)
    let testRows = testIndices
    augmentedTestJobs =
      configuration.tta && augmenting != nil
      ? (0..<copies).map { copy in
        job(
          "test copy \(copy + 1)/\(copies) (augmented)", split: testSplit, test, testRows,
          copy: copy, augmented: true, dataset: testDataset)
      } : []
    let flippingExtractor = flippedExtractor
    flippedTestJob = flippingExtractor.map { flipping in
      var flipped = FeatureJob(
        name: "test (mirrored)",
        key: FeatureCacheKey(
          weights: fingerprint, dataset: testDataset, split: testSplit,
          transform: flipping.transformDescription(), featureCount: featureCount),
        dataset: test, indices: testRows, copy: 0, augmented: false)
      flipped.flipped = true
      return flipped
    }
  }

  /// The backbone `weights` name (default: the configuration's) and its fingerprint: a seeded
  /// random ResNet of the configuration's depth and width (`random:…`), or a checkpoint file or
  /// catalogue name (`sha256:…` of the file). The one place a run, `evaluate` and `predict`
  /// turn weights into a model.
  static func backbone(_ configuration: FineTuneConfiguration, weights: String? = nil) throws
    -> (model: ResNet, fingerprint: String)
  {
    let source = weights ?? configuration.weights
    if source == "random" {
      let (depth, width, seed) = (
        configuration.depth, configuration.baseWidth, configuration.training.seed
      )
      return (
        try ResNet(depth: depth, baseWidth: width, seed: seed),
        FeatureExtractor.randomFingerprint(depth: depth, baseWidth: width, seed: seed)
      )
    }
    let file = try WeightsLocator.resolve(source)
    return (try ResNet.load(from: file), try FeatureExtractor.fingerprint(weightsFile: file))
  }

  /// Every job, in the order `classify finetune` runs them.
  public var allJobs: [FeatureJob] {
    trainJobs + [validationJob, testJob, flippedTestJob].compactMap { $0 } + augmentedTestJobs
  }

  /// The extractor a job runs with.
  public func extractor(for job: FeatureJob) -> FeatureExtractor {
    job.flipped
      ? (flippedExtractor ?? extractor)
      : job.augmented ? (augmentedExtractor ?? extractor) : extractor
  }

  /// The job's features from the cache in `folder`, computed and written (atomically) when the
  /// file is absent, damaged or from other weights, data or transforms.
  public func features(
    _ job: FeatureJob, cacheFolder folder: URL, progress: ((Int, Int) -> Void)? = nil,
    shouldStop: () -> Bool = { false }
  ) throws -> (cache: FeatureCache, reused: Bool) {
    try FeatureCache.cached(in: folder, key: job.key, classCount: classNames.count) {
      let result = try extractor(for: job).extract(
        job.dataset, indices: job.indices, copy: job.copy,
        progress: { done, total in progress?(done, total) }, shouldStop: shouldStop)
      return (result.features, result.labels)
    }
  }

  /// Computes shard `index` of `count` of `job` into its shard file in `folder` (skipped when a
  /// valid one is there) and returns the file.
  public func computeShard(
    _ job: FeatureJob, index: Int, count: Int, cacheFolder folder: URL,
    progress: ((Int, Int) -> Void)? = nil
  ) throws -> URL {
    let file = job.shardFile(in: folder, index: index, count: count)
    let rows = FeatureCache.shardRange(
      index: index, count: count, rows: job.indices.count,
      batch: try extractor(for: job).batchSize(for: job.dataset, indices: job.indices))
    if let existing = try? FeatureCache.read(from: file, expecting: job.key),
      existing.firstRow == rows.lowerBound, existing.labels.count == rows.count
    {
      return file
    }
    let result = try extractor(for: job).extract(
      job.dataset, indices: job.indices, rows: rows, copy: job.copy
    ) { done, total in progress?(done, total) }
    let shard = FeatureCache(
      key: job.key, features: result.features, labels: result.labels, firstRow: rows.lowerBound,
      totalRows: job.indices.count)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try shard.write(to: file)
    return file
  }
}
