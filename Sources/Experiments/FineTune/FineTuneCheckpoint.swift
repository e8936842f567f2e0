import Checkpoints
import Foundation
import NN
import TensorCore
import Vision

/// A model kept by `classify finetune` (`best.safetensors`), loaded back for `classify evaluate`
/// and `classify predict`.
///
/// The file is the fine-tuned model's own state dict under torchvision's keys, the head being
/// `fc` (`fc.0.weight`, …: torchvision's ResNet with `net.fc` replaced by the head's
/// `nn.Sequential`). While the backbone is frozen only the `fc` entries are written and the
/// backbone is named by its weights' fingerprint; once it is unfrozen the whole state dict is.
/// The metadata holds the run's configuration and the class names, so the model is rebuilt
/// without the run folder.
public struct FineTuneCheckpoint {
  static let format = "classify-finetune-1"

  /// The run's settings.
  public let configuration: FineTuneConfiguration
  /// The class names, in output order.
  public let classNames: [String]
  /// The trained head (evaluation mode): the model's `fc`.
  public let head: Sequential
  /// The whole model, folded for inference, its `fc` the head.
  public let model: ResNet
  /// The extractor that feeds the head (the training run's input transform).
  public let extractor: FeatureExtractor
  /// The raw metadata (epoch, validation metrics, …).
  public let metadata: [String: String]

  /// Keys sorted: Foundation's encoder otherwise orders them by hash, so equal runs would write
  /// different bytes.
  static var sortedEncoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return encoder
  }

  /// The metadata `FineTuneRun` writes.
  static func metadata(
    configuration: FineTuneConfiguration, classNames: [String], weightsFingerprint: String,
    featureCount: Int, includesBackbone: Bool
  ) -> [String: String] {
    [
      "format": format,
      "config": String(
        decoding: (try? sortedEncoder.encode(configuration)) ?? Data(), as: UTF8.self),
      "class_names": String(
        decoding: (try? sortedEncoder.encode(classNames)) ?? Data(), as: UTF8.self),
      "weights_fingerprint": weightsFingerprint, "head": configuration.head,
      "input_features": "\(featureCount)", "class_count": "\(classNames.count)",
      "includes_backbone": includesBackbone ? "true" : "false",
    ]
  }

  /// The model file of `path`: `RUN/best.safetensors` for a run folder, else `path` itself, so
  /// `evaluate` and `predict` accept either.
  public static func file(forRunOrFile path: String) -> URL {
    let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue
    {
      return url.appendingPathComponent("best.safetensors")
    }
    return url
  }

  /// Whether `url` is a model kept by `classify finetune` (read from its metadata only).
  public static func isCheckpoint(_ url: URL) -> Bool {
    guard url.pathExtension.lowercased() == "safetensors",
      let file = try? SafetensorsFile.read(from: url)
    else { return false }
    return file.metadata["format"] == format
  }

  /// Loads `url`. Without a trained backbone inside, the backbone comes from the run's
  /// `weights` (or `weights`, when given) and must have the fingerprint the head was trained on.
  ///
  /// - Throws: `FineTuneError` naming the file when it is not such a checkpoint, its head does
  ///   not match its metadata, or the backbone weights differ; the weights' own errors.
  public static func load(from url: URL, weights: String? = nil) throws -> FineTuneCheckpoint {
    let file = try SafetensorsFile.read(from: url)
    let meta = file.metadata
    guard meta["format"] == format, let configText = meta["config"],
      let configuration = try? JSONDecoder().decode(
        FineTuneConfiguration.self, from: Data(configText.utf8)),
      let namesText = meta["class_names"],
      let classNames = try? JSONDecoder().decode([String].self, from: Data(namesText.utf8)),
      let featureCount = meta["input_features"].flatMap(Int.init)
    else {
      throw FineTuneError(
        "\(url.path) is not a checkpoint written by classify finetune (no '\(format)' metadata); "
          + "pass the best.safetensors of a run folder")
    }
    let specification = try HeadSpecification(parsing: configuration.head)
    let head = specification.build(
      inputFeatures: featureCount, classCount: classNames.count, seed: 0)
    let model: ResNet
    let fingerprint: String
    let includesBackbone = meta["includes_backbone"] == "true"
    if includesBackbone {
      let (depth, baseWidth, _) = try ResNet.architecture(of: file.tensors, source: url.path)
      // Every backbone tensor is in the checkpoint and restored strictly below.
      model = try ResNet.forLoading(depth: depth, classCount: 1, baseWidth: baseWidth)
      fingerprint = "finetuned:" + (meta["weights_fingerprint"] ?? "")
    } else {
      let source = weights ?? configuration.weights
      (model, fingerprint) = try FineTuneInputs.backbone(configuration, weights: source)
      if let expected = meta["weights_fingerprint"], expected != fingerprint {
        throw FineTuneError(
          "\(url.path) was trained on the features of backbone weights \(expected), but '\(source)' "
            + "has \(fingerprint); pass the same weights with --weights")
      }
    }
    guard model.featureCount == featureCount else {
      throw FineTuneError(
        "\(url.path): the backbone gives \(model.featureCount) features, the head expects \(featureCount)"
      )
    }
    model.fc = head
    try restore(
      file.tensors, includesBackbone: includesBackbone, into: model, head: configuration.head,
      source: url.path)
    model.eval()
    // In the precision the head was trained on (fp32 once the backbone was fine-tuned).
    model.fold(precision: includesBackbone ? .fp32 : configuration.precision)
    return FineTuneCheckpoint(
      configuration: configuration, classNames: classNames, head: head, model: model,
      extractor: FeatureExtractor(
        backbone: model, weightsFingerprint: fingerprint, resize: configuration.resize),
      metadata: meta)
  }

  /// The tensors a run writes for `model` (whose `fc` is the head): its state dict, only the
  /// head's part while the backbone is frozen.
  static func tensors(of model: ResNet, includesBackbone: Bool) -> [String: Tensor] {
    model.stateDict().filter { includesBackbone || isHeadKey($0.key) }
  }

  /// Loads a checkpoint's `tensors` into `model` (its `fc` already the head the checkpoint
  /// names), strictly: every key of the head — and of the backbone when it is included — must be
  /// there with its shape, and nothing else. A frozen backbone keeps the weights it has.
  ///
  /// - Throws: `FineTuneError` naming `source` and the keys that do not match.
  static func restore(
    _ tensors: [String: Tensor], includesBackbone: Bool, into model: ResNet, head: String,
    source: String
  ) throws {
    var state = tensors
    if !includesBackbone {
      for (key, value) in model.stateDict() where !isHeadKey(key) {
        guard state[key] == nil else {
          throw FineTuneError(
            "\(source): holds backbone tensor '\(key)' but says the backbone was frozen; it was "
              + "not written by classify finetune — train it again")
        }
        state[key] = value
      }
    }
    do {
      try model.loadStateDict(state, strict: true, source: source)
    } catch {
      throw FineTuneError(
        "\(source): this checkpoint does not match the head '\(head)' it names: \(error)")
    }
  }

  /// Whether `key` belongs to the head (`fc` in torchvision's naming).
  static func isHeadKey(_ key: String) -> Bool { key.hasPrefix("fc.") }

  /// Class probabilities `[N, classes]` of preprocessed `images` `[N, 3, H, W]`.
  ///
  /// - Throws: `NonFiniteOutputError` when an output is NaN or infinite (naming `names[i]`).
  public func probabilities(images: Tensor, names: [String] = []) throws -> Tensor {
    let logits = Autograd.withoutGradient { model(images) }
    try NonFiniteOutputError.check(
      logits, images: names, source: "backbone \(configuration.weights) and this checkpoint's head")
    return logits.softmax(alongAxis: 1)
  }
}
