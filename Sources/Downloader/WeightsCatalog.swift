import Foundation

/// Which of torchvision's ImageNet-1K trainings a checkpoint comes from.
public enum WeightsVariant: String, Sendable, CaseIterable, Comparable {
  /// `IMAGENET1K_V1`: the original recipe, close to the paper (torchvision's `pretrained=True`).
  case v1
  /// `IMAGENET1K_V2`: torchvision's 2021 "new training recipe" (ResNet-50/101/152 only); evaluated
  /// with resize 232, crop 224.
  case v2

  /// torchvision's enum member name, e.g. `IMAGENET1K_V2`.
  public var torchvisionName: String { "IMAGENET1K_" + rawValue.uppercased() }

  /// v1 before v2.
  public static func < (lhs: WeightsVariant, rhs: WeightsVariant) -> Bool {
    lhs.rawValue < rhs.rawValue
  }
}

/// One pretrained checkpoint published by torchvision.
public struct PretrainedWeights: Sendable, Equatable, Hashable {
  /// The architecture, e.g. `resnet50`.
  public var model: String
  /// The training recipe.
  public var variant: WeightsVariant
  /// The file name, e.g. `resnet50-0676ba61.pth`; its hex suffix is a SHA-256 prefix.
  public var fileName: String
  /// ImageNet-1K validation top-1 accuracy in percent, as torchvision reports it (`acc@1`).
  public var top1Accuracy: Double
  /// ImageNet-1K validation top-5 accuracy in percent (`acc@5`).
  public var top5Accuracy: Double
  /// File size in MB as torchvision lists it (`_file_size`).
  public var fileSizeMB: Double

  /// `https://download.pytorch.org/models/<fileName>`.
  public var url: URL {
    // The host and file names are constants; a failure here would be a typo in the catalog.
    URL(string: "https://download.pytorch.org/models/")?.appendingPathComponent(fileName)
      ?? URL(fileURLWithPath: fileName)
  }

  /// The 8 hex digits after the last `-` of the file name (torch.hub's `check_hash` convention).
  public var sha256Prefix: String {
    let stem = fileName.split(separator: ".").first.map(String.init) ?? fileName
    return stem.split(separator: "-").last.map(String.init) ?? ""
  }

  /// The most bytes a download of this file may bring: `fileSizeMB` (MiB, rounded to 0.001 by
  /// torchvision) plus 1 MiB of slack. A longer body is cut off and refused.
  public var maximumBytes: Int64 { Int64((fileSizeMB + 1) * 1_048_576) }

  /// The checksum a download must satisfy.
  public var checksum: Checksum { .sha256Prefix(sha256Prefix) }

  /// torchvision's name, e.g. `ResNet50_Weights.IMAGENET1K_V2`.
  public var torchvisionName: String {
    "ResNet\(model.dropFirst("resnet".count))_Weights.\(variant.torchvisionName)"
  }

  /// Where the file lives in `cache`: `<cache>/weights/<fileName>`.
  public func cachedFile(in cache: CacheDirectory) -> URL {
    cache.weights.appendingPathComponent(fileName)
  }
}

/// torchvision's ResNet ImageNet-1K checkpoints (`torchvision/models/resnet.py`, the
/// `ResNet{18,34,50,101,152}_Weights` enums: URL, `_metrics["ImageNet-1K"]`, `_file_size`).
public enum WeightsCatalog {
  /// Every checkpoint, by depth then variant.
  public static let all: [PretrainedWeights] = [
    PretrainedWeights(
      model: "resnet18", variant: .v1, fileName: "resnet18-f37072fd.pth", top1Accuracy: 69.758,
      top5Accuracy: 89.078, fileSizeMB: 44.661),
    PretrainedWeights(
      model: "resnet34", variant: .v1, fileName: "resnet34-b627a593.pth", top1Accuracy: 73.314,
      top5Accuracy: 91.420, fileSizeMB: 83.275),
    PretrainedWeights(
      model: "resnet50", variant: .v1, fileName: "resnet50-0676ba61.pth", top1Accuracy: 76.130,
      top5Accuracy: 92.862, fileSizeMB: 97.781),
    PretrainedWeights(
      model: "resnet50", variant: .v2, fileName: "resnet50-11ad3fa6.pth", top1Accuracy: 80.858,
      top5Accuracy: 95.434, fileSizeMB: 97.79),
    PretrainedWeights(
      model: "resnet101", variant: .v1, fileName: "resnet101-63fe2227.pth", top1Accuracy: 77.374,
      top5Accuracy: 93.546, fileSizeMB: 170.511),
    PretrainedWeights(
      model: "resnet101", variant: .v2, fileName: "resnet101-cd907fc2.pth", top1Accuracy: 81.886,
      top5Accuracy: 95.780, fileSizeMB: 170.53),
    PretrainedWeights(
      model: "resnet152", variant: .v1, fileName: "resnet152-394f9c45.pth", top1Accuracy: 78.312,
      top5Accuracy: 94.046, fileSizeMB: 230.434),
    PretrainedWeights(
      model: "resnet152", variant: .v2, fileName: "resnet152-f82ba261.pth", top1Accuracy: 82.284,
      top5Accuracy: 96.002, fileSizeMB: 230.474),
  ]

  /// Model names in catalog order: `resnet18`, …, `resnet152`.
  public static var models: [String] {
    var seen: [String] = []
    for entry in all where !seen.contains(entry.model) { seen.append(entry.model) }
    return seen
  }

  /// The variant used when none is named: v1, what `finetune`, `predict` and `evaluate` use by
  /// default and what torchvision's `pretrained=True` means (torchvision's `DEFAULT` is v2 where
  /// it exists; ask for it with `--variant v2` or `resnet50:v2`).
  public static let defaultVariant = WeightsVariant.v1

  /// The checkpoint of `model` (case-insensitive, `resnet50` or `resnet-50`) in `variant`; without a
  /// variant, `defaultVariant` (v1, which every model has).
  ///
  /// - Throws: `WeightsCatalogError` naming the valid models or variants.
  public static func weights(model: String, variant: WeightsVariant? = nil) throws
    -> PretrainedWeights
  {
    let name = model.lowercased().replacingOccurrences(of: "-", with: "")
    let candidates = all.filter { $0.model == name }
    guard !candidates.isEmpty else {
      throw WeightsCatalogError.unknownModel(model, known: models)
    }
    if let variant {
      guard let match = candidates.first(where: { $0.variant == variant }) else {
        throw WeightsCatalogError.unavailableVariant(
          model: name, variant: variant, available: candidates.map(\.variant))
      }
      return match
    }
    // Non-empty, checked above; every model has v1.
    return candidates.first { $0.variant == defaultVariant } ?? candidates[0]
  }
}

/// A model or variant the catalog does not have.
public enum WeightsCatalogError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No such model.
  case unknownModel(String, known: [String])
  /// The model exists but not in this variant.
  case unavailableVariant(model: String, variant: WeightsVariant, available: [WeightsVariant])

  /// The user-facing message.
  public var description: String {
    switch self {
    case .unknownModel(let name, let known):
      return "unknown model '\(name)'; available: \(known.joined(separator: ", "))"
    case .unavailableVariant(let model, let variant, let available):
      return "\(model) has no \(variant.rawValue) (\(variant.torchvisionName)) weights; available: "
        + available.map(\.rawValue).joined(separator: ", ")
    }
  }
}
