import Checkpoints
import Foundation
import NN
import TensorCore
import Vision

/// A model kept by `classify finetune` (`best.safetensors`), loaded back for `classify evaluate`
/// and `classify predict`.
///
/// The file holds the head under `fc.*` (`fc.0.weight`, …: the keys of torchvision's ResNet
/// with `net.fc` replaced by the head's `nn.Sequential`) and, when the backbone was unfrozen,
/// the backbone under torchvision's keys; its metadata holds the run's configuration, the class
/// names and the backbone weights' fingerprint, so the model is rebuilt without the run folder.
public struct FineTuneCheckpoint {
  static let format = "classify-finetune-1"

  /// The run's settings.
  public let configuration: FineTuneConfiguration
  /// The class names, in output order.
  public let classNames: [String]
  /// The trained head (evaluation mode).
  public let head: Sequential
  /// The backbone in evaluation mode, folded (frozen weights, or the fine-tuned ones).
  public let backbone: ResNetInference
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
    let tensors = file.tensors
    let specification = try HeadSpecification(parsing: configuration.head)
    let head = specification.build(
      inputFeatures: featureCount, classCount: classNames.count, seed: 0)
    var headState: [String: Tensor] = [:]
    for (key, value) in tensors where key.hasPrefix("fc.") {
      headState[String(key.dropFirst(3))] = value
    }
    do {
      try head.loadStateDict(headState, source: url.path)
    } catch {
      throw FineTuneError(
        "\(url.path): its head does not match the head '\(configuration.head)' it names: \(error)")
    }
    head.eval()

    let model: ResNet
    let fingerprint: String
    if meta["includes_backbone"] == "true" {
      var state = tensors.filter { !$0.key.hasPrefix("fc.") }
      state["fc.weight"] = Tensor.zeros([1, featureCount])
      state["fc.bias"] = Tensor.zeros([1])
      let (depth, _, baseWidth) = try ResNet.architecture(of: state, source: url.path)
      model = try ResNet(depth: depth, classCount: 1, baseWidth: baseWidth)
      try model.loadStateDict(state, source: url.path)
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
    model.eval()
    let backbone = ResNetInference(model)
    guard backbone.featureCount == featureCount else {
      throw FineTuneError(
        "\(url.path): the backbone gives \(backbone.featureCount) features, the head expects \(featureCount)"
      )
    }
    return FineTuneCheckpoint(
      configuration: configuration, classNames: classNames, head: head, backbone: backbone,
      extractor: FeatureExtractor(
        backbone: backbone, weightsFingerprint: fingerprint, resize: configuration.resize,
        batchSize: configuration.training.batchSize),
      metadata: meta)
  }

  /// Class probabilities `[N, classes]` of preprocessed `images` `[N, 3, H, W]`.
  ///
  /// - Throws: `NonFiniteOutputError` when an output is NaN or infinite (naming `names[i]`).
  public func probabilities(images: Tensor, names: [String] = []) throws -> Tensor {
    let logits = Autograd.withoutGradient { head(backbone.features(images)) }
    try NonFiniteOutputError.check(
      logits, images: names, source: "backbone \(configuration.weights) and this checkpoint's head")
    return logits.softmax(alongAxis: 1)
  }
}
