import Foundation
import NN
import TensorCore
import Vision

/// Everything that determines a fine-tuning run (Part 4). Written to the run folder as
/// `config.json`; `--resume` refuses a folder whose configuration differs, and checkpoints carry
/// it so that `classify evaluate` and `classify predict` can rebuild the model.
///
/// Defaults are the provided code's model and optimiser (head `Linear(2048, 32) → Dropout(0.5) →
/// Linear(32, 10)`, SGD lr 0.001 momentum 0.9, 10 epochs) with three stated improvements: the
/// frozen backbone runs in evaluation mode, batches of 64, and CIFAR's native 32×32 input
/// (`resize: 224, batchSize: 4` reproduce the original).
public struct FineTuneConfiguration: Codable, Equatable, Sendable {
  /// How the backbone's batch norm behaves once it is unfrozen.
  public enum BackboneBatchNorm: String, Codable, Sendable, CaseIterable {
    /// Running statistics are used and kept; γ and β stay fixed.
    case frozen
    /// Batch statistics in the forward pass, running statistics updated, γ and β trained.
    case train
  }

  /// `DatasetKind` raw value (`cifar10`, `mnist`, `folder`, …).
  public var dataset: String = DatasetKind.cifar10.rawValue
  /// The dataset's folder (or CSV file for `folder`).
  public var root: String = "data/cifar10"
  /// Backbone weights: a catalogue name (`resnet50:v1`, `resnet50:v2`), a file, or `random`.
  /// The default is what the provided code's `resnet50(pretrained=True)` loads (IMAGENET1K_V1).
  public var weights: String = "resnet50:v1"
  /// ResNet depth for `random` weights.
  public var depth: Int = 50
  /// ResNet base width for `random` weights (64 is torchvision's; smaller for quick tests).
  public var baseWidth: Int = 64
  /// The head, in `HeadSpecification` grammar.
  public var head: String = HeadSpecification.assignment.description
  /// The head's SGD settings: epochs, batch size (also the backbone's), learning rate, momentum
  /// (also the backbone's), L2 as weight decay, validation cadence, and the seed of the split,
  /// initialisation, dropout, shuffling and augmentation. In `config.json` at the top level.
  public var training = HeadTrainingConfiguration()
  /// Fraction of the training images held out for validation (0: none).
  public var validation: Double = 0.1
  /// Resize the shorter side to this and crop the centre square (nil: native size).
  public var resize: Int?
  /// Use only the first N training images.
  public var limit: Int?
  /// Use only the first N test images.
  public var testLimit: Int?
  /// Training augmentation in `TransformPipeline` grammar (nil: none).
  public var augment: String?
  /// Augmented copies of the training features cached; epoch e trains on copy (e−1) mod K.
  public var augmentCopies: Int = 1
  /// Epochs of whole-network training after the head epochs (0: the backbone stays frozen).
  public var unfreezeEpochs: Int = 0
  /// The backbone's learning rate when unfrozen (nil: a tenth of the head's).
  public var backboneLearningRate: Float?
  /// Batch norm once unfrozen.
  public var backboneBatchNorm: BackboneBatchNorm = .frozen
  /// Once unfrozen, discriminative rates (fastai's `slice(lo, hi)`): the stem and the four
  /// stages train at rates spaced geometrically from the backbone's rate up to the head's.
  public var discriminativeRates = false
  /// How the rates move, batch by batch, over the unfrozen epochs.
  public var backboneSchedule: LearningRateSchedule = .constant
  /// Folder of cached features, shared across runs.
  public var featureCache: String = "runs/feature-cache"
  /// What the frozen backbone multiplies in while caching features: fp32 (exact) or bf16 (where
  /// the CPU has AVX512-BF16: up to twice as fast, depending on the CPU; features within ~1 %).
  /// Training is fp32.
  public var precision: Precision = .fp32
  /// Test-time augmentation: the test images are also classified mirrored, and the two
  /// predictions averaged (the results show the accuracy with and without).
  public var tta = false
  /// For an image folder without `train/` and `val/` (or a CSV): the fraction of its images held
  /// out as the test split, by seed.
  public var testFraction: Double = 0.2

  /// The assignment's settings on CIFAR-10 under `data/cifar10`.
  public init() {}

  private enum CodingKeys: String, CodingKey {
    case dataset, root, weights, depth, baseWidth, head, validation, resize, limit, testLimit
    case augment, augmentCopies, unfreezeEpochs, backboneLearningRate, backboneBatchNorm
    case featureCache, precision, tta, testFraction, discriminativeRates, backboneSchedule
  }

  /// Reads `config.json`: the training settings and the rest side by side in one object, as
  /// every run folder has stored them.
  public init(from decoder: any Decoder) throws {
    let defaults = FineTuneConfiguration()
    let values = try decoder.container(keyedBy: CodingKeys.self)
    training = try HeadTrainingConfiguration(from: decoder)
    dataset = try values.decodeIfPresent(String.self, forKey: .dataset) ?? defaults.dataset
    root = try values.decodeIfPresent(String.self, forKey: .root) ?? defaults.root
    weights = try values.decodeIfPresent(String.self, forKey: .weights) ?? defaults.weights
    depth = try values.decodeIfPresent(Int.self, forKey: .depth) ?? defaults.depth
    baseWidth = try values.decodeIfPresent(Int.self, forKey: .baseWidth) ?? defaults.baseWidth
    head = try values.decodeIfPresent(String.self, forKey: .head) ?? defaults.head
    validation =
      try values.decodeIfPresent(Double.self, forKey: .validation) ?? defaults.validation
    resize = try values.decodeIfPresent(Int.self, forKey: .resize)
    limit = try values.decodeIfPresent(Int.self, forKey: .limit)
    testLimit = try values.decodeIfPresent(Int.self, forKey: .testLimit)
    augment = try values.decodeIfPresent(String.self, forKey: .augment)
    augmentCopies =
      try values.decodeIfPresent(Int.self, forKey: .augmentCopies) ?? defaults.augmentCopies
    unfreezeEpochs =
      try values.decodeIfPresent(Int.self, forKey: .unfreezeEpochs) ?? defaults.unfreezeEpochs
    backboneLearningRate = try values.decodeIfPresent(Float.self, forKey: .backboneLearningRate)
    backboneBatchNorm =
      try values.decodeIfPresent(BackboneBatchNorm.self, forKey: .backboneBatchNorm)
      ?? defaults.backboneBatchNorm
    featureCache =
      try values.decodeIfPresent(String.self, forKey: .featureCache) ?? defaults.featureCache
    precision = try values.decodeIfPresent(Precision.self, forKey: .precision) ?? defaults.precision
    tta = try values.decodeIfPresent(Bool.self, forKey: .tta) ?? false
    discriminativeRates =
      try values.decodeIfPresent(Bool.self, forKey: .discriminativeRates) ?? false
    backboneSchedule =
      try values.decodeIfPresent(LearningRateSchedule.self, forKey: .backboneSchedule) ?? .constant
    testFraction =
      try values.decodeIfPresent(Double.self, forKey: .testFraction) ?? defaults.testFraction
  }

  /// Writes one flat object (the training settings beside the rest), as `config.json` has
  /// always been.
  public func encode(to encoder: any Encoder) throws {
    try training.encode(to: encoder)
    var values = encoder.container(keyedBy: CodingKeys.self)
    try values.encode(dataset, forKey: .dataset)
    try values.encode(root, forKey: .root)
    try values.encode(weights, forKey: .weights)
    try values.encode(depth, forKey: .depth)
    try values.encode(baseWidth, forKey: .baseWidth)
    try values.encode(head, forKey: .head)
    try values.encode(validation, forKey: .validation)
    try values.encodeIfPresent(resize, forKey: .resize)
    try values.encodeIfPresent(limit, forKey: .limit)
    try values.encodeIfPresent(testLimit, forKey: .testLimit)
    try values.encodeIfPresent(augment, forKey: .augment)
    try values.encode(augmentCopies, forKey: .augmentCopies)
    try values.encode(unfreezeEpochs, forKey: .unfreezeEpochs)
    try values.encodeIfPresent(backboneLearningRate, forKey: .backboneLearningRate)
    try values.encode(backboneBatchNorm, forKey: .backboneBatchNorm)
    try values.encode(featureCache, forKey: .featureCache)
    // Only when not the default: runs written before the option resume unchanged.
    if precision != .fp32 { try values.encode(precision, forKey: .precision) }
    if tta { try values.encode(tta, forKey: .tta) }
    if discriminativeRates { try values.encode(true, forKey: .discriminativeRates) }
    if backboneSchedule != .constant {
      try values.encode(backboneSchedule, forKey: .backboneSchedule)
    }
    if testFraction != 0.2 { try values.encode(testFraction, forKey: .testFraction) }
  }

  /// The parsed kind.
  public var datasetKind: DatasetKind? { DatasetKind(rawValue: dataset) }

  /// The backbone's learning rate in the unfrozen phase.
  public var effectiveBackboneLearningRate: Float {
    backboneLearningRate ?? training.learningRate / 10
  }

  /// The backbone's rate as a person writes it: as entered, or the tenth of the head's rate
  /// computed in decimal (`0.0001`, not Float's `0.000100000005`).
  public var backboneLearningRateText: String {
    backboneLearningRate.map { "\($0)" }
      ?? String(format: "%g", Double("\(training.learningRate)").map { $0 / 10 } ?? 0)
  }

  /// Whether `weights` asks for a seeded random initialisation.
  public var usesRandomWeights: Bool { weights == "random" }

  /// Checks every value, naming the option and the fix.
  public func validate() throws(FineTuneError) {
    let (epochs, batchSize, learningRate, momentum) =
      (training.epochs, training.batchSize, training.learningRate, training.momentum)
    let (weightDecay, validateEvery, seed) =
      (training.weightDecay, training.validateEvery, training.seed)
    func fail(_ message: String) -> FineTuneError { FineTuneError(message) }
    guard datasetKind != nil else {
      throw fail(
        "unknown dataset '\(dataset)'; use one of "
          + DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))
    }
    do { _ = try HeadSpecification(parsing: head) } catch { throw fail(error.description) }
    if let augment {
      do { _ = try TransformPipeline.parse(augment) } catch {
        throw fail("--augment: \(error)")
      }
    }
    let checks: [(Bool, String)] = [
      (epochs >= 1, "--epochs must be at least 1, got \(epochs)"),
      (batchSize >= 1, "--batch-size must be at least 1, got \(batchSize)"),
      (
        learningRate > 0 && learningRate.isFinite,
        "--learning-rate must be a positive number, got \(learningRate)"
      ),
      (momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got \(momentum)"),
      (
        weightDecay >= 0 && weightDecay.isFinite,
        "--weight-decay must be a finite number ≥ 0, got \(weightDecay)"
      ),
      ((0..<1).contains(validation), "--validation must be in [0, 1), got \(validation)"),
      (
        testFraction > 0 && testFraction < 1,
        "--test-fraction must be in (0, 1), got \(testFraction)"
      ),
      ((training.patience ?? 1) >= 1, "--patience must be at least 1"),
      (
        (0..<1).contains(training.warmup ?? 0),
        "--warmup must be a fraction in [0, 1), got \(training.warmup ?? 0)"
      ),
      (
        (0..<1).contains(training.labelSmoothing),
        "--label-smoothing must be in [0, 1), got \(training.labelSmoothing)"
      ),
      (validateEvery >= 1, "--validate-every must be at least 1, got \(validateEvery)"),
      ((resize ?? 1) >= 1, "--resize must be at least 1"),
      ((limit ?? 1) >= 1, "--limit must be at least 1"),
      ((testLimit ?? 1) >= 1, "--test-limit must be at least 1"),
      (
        (1...1000).contains(augmentCopies),
        "--augment-copies must be between 1 and 1000, got \(augmentCopies)"
      ),
      (
        augmentCopies == 1 || augment != nil,
        "--augment-copies \(augmentCopies) needs --augment SPEC (copies of what augmentation?)"
      ),
      (unfreezeEpochs >= 0, "--unfreeze-epochs must be ≥ 0, got \(unfreezeEpochs)"),
      (
        backboneLearningRate.map { $0 > 0 && $0.isFinite } ?? true,
        "--backbone-learning-rate must be a positive number, got \(backboneLearningRate ?? 0)"
      ),
      (
        unfreezeEpochs == 0 || backboneLearningRate != nil || effectiveBackboneLearningRate > 0,
        "--learning-rate \(learningRate) / 10 is too small for the backbone's default rate; pass --backbone-learning-rate"
      ),
      ([18, 34, 50, 101, 152].contains(depth), "--depth must be 18, 34, 50, 101 or 152"),
      (baseWidth >= 1, "--base-width must be at least 1"),
    ]
    if let failed = checks.first(where: { !$0.0 }) { throw fail(failed.1) }
  }

  /// Pretty, sorted JSON (what `config.json` holds).
  public func json() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// Compact JSON with sorted keys: the fingerprint a run records when it starts, so that a
  /// resumed run can prove its settings are the ones it was started with.
  public var canonicalJSON: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
  }

  /// The top-level fields whose values differ between two configurations' JSON (an unreadable
  /// side counts as every field changed).
  public static func changedFields(from old: String, to new: String) -> [String] {
    func object(_ text: String) -> [String: Any]? {
      (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
    func canonical(_ value: Any) -> Data? {
      try? JSONSerialization.data(
        withJSONObject: [value], options: [.sortedKeys, .fragmentsAllowed])
    }
    guard let before = object(old), let after = object(new) else { return ["(all)"] }
    return Set(before.keys).union(after.keys).sorted().filter { key in
      switch (before[key], after[key]) {
      case (nil, nil): return false
      case (let lhs?, let rhs?): return canonical(lhs) != canonical(rhs)
      default: return true
      }
    }
  }

  /// The same configuration with `root`, `featureCache` and a weights file made absolute
  /// against `base` (the current folder), so a run folder works from any folder later.
  public func resolvingPaths(against base: URL) -> FineTuneConfiguration {
    func absolute(_ path: String) -> String {
      let expanded = (path as NSString).expandingTildeInPath
      return URL(fileURLWithPath: expanded, relativeTo: base).standardizedFileURL.path
    }
    var resolved = self
    resolved.root = absolute(root)
    resolved.featureCache = absolute(featureCache)
    let weightsFile = absolute(weights)
    if !usesRandomWeights, FileManager.default.fileExists(atPath: weightsFile) {
      resolved.weights = weightsFile
    }
    return resolved
  }

  /// Reads a `config.json`.
  public static func read(from url: URL) throws(FineTuneError) -> FineTuneConfiguration {
    let data: Data
    do { data = try UserFiles.data(at: url) } catch {
      throw FineTuneError("cannot read \(url.path): \(error.reason)")
    }
    do {
      return try JSONDecoder().decode(Self.self, from: data)
    } catch {
      throw FineTuneError(
        "\(url.path) is not a readable fine-tuning configuration (\(UserFiles.describe(decoding: error))); "
          + "restore the file as the run wrote it, or start a new run")
    }
  }

  /// The settings as (name, value) rows for reports, in a fixed order.
  public var rows: [(name: String, value: String)] {
    let (epochs, batchSize, learningRate, momentum) =
      (training.epochs, training.batchSize, training.learningRate, training.momentum)
    let (weightDecay, validateEvery, seed) =
      (training.weightDecay, training.validateEvery, training.seed)
    var rows: [(String, String)] = [
      ("dataset", "\(dataset) (\(root))"),
      (
        "backbone weights",
        usesRandomWeights
          ? "random ResNet-\(depth) (seed \(seed), width \(baseWidth)) — NOT ImageNet weights"
          : weights
      ),
      ("head", head.isEmpty ? "(a single Linear)" : head),
      ("head epochs", "\(epochs)"), ("batch size", "\(batchSize)"),
      ("learning rate", "\(learningRate)"), ("momentum", "\(momentum)"),
      (
        training.optimizer == .sgd ? "L2 (SGD weight decay)" : "weight decay (AdamW, decoupled)",
        "\(weightDecay)"
      ),
      ("validation fraction", "\(validation), every \(validateEvery) epoch(s)"),
      (
        "input",
        resize.map { "resized to \($0), normalised 0.5/0.5" } ?? "native size, normalised 0.5/0.5"
      ),
      ("seed", "\(seed)"),
    ]
    if precision != .fp32 { rows.append(("backbone precision", precision.rawValue)) }
    if tta {
      rows.append(
        (
          "test-time augmentation",
          "mean over the image, its mirror"
            + (augment == nil ? "" : " and \(augmentCopies) augmented copies")
        ))
    }
    if training.optimizer != .sgd { rows.append(("optimizer", training.optimizer.description)) }
    if let weighting = training.classWeights {
      rows.append(
        ("class weights", "\(weighting.rawValue) (N / (classes · n_c)) in the training loss"))
    }
    if let patience = training.patience {
      rows.append(("early stopping", "after \(patience) validations without a lower loss"))
    }
    if training.schedule != .constant {
      rows.append(
        (
          "learning-rate schedule",
          "\(training.schedule.rawValue) per batch, warm-up \(training.effectiveWarmup) of the steps"
        ))
    }
    if training.labelSmoothing > 0 {
      rows.append(("label smoothing", "ε = \(training.labelSmoothing) (training loss)"))
    }
    if let limit { rows.append(("training images", "first \(limit)")) }
    if let testLimit { rows.append(("test images", "first \(testLimit)")) }
    if let augment { rows.append(("augmentation", "\(augment) (\(augmentCopies) cached copies)")) }
    if unfreezeEpochs > 0 {
      rows.append(
        (
          "unfrozen epochs",
          "\(unfreezeEpochs) (backbone lr \(backboneLearningRateText)\(discriminativeRates ? " up to the head's, stage by stage" : ""), batch norm \(backboneBatchNorm.rawValue)\(backboneSchedule == .constant ? "" : ", \(backboneSchedule.rawValue) per batch"))"
        ))
    }
    return rows
  }
}

/// A fine-tuning run could not go on: the message names the file or option and the fix.
public struct FineTuneError: Error, CustomStringConvertible, Equatable {
  /// The message.
  public let description: String

  /// An error with `description`.
  public init(_ description: String) { self.description = description }
}
