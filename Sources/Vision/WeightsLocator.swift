import Downloader
import Foundation

/// Finds the checkpoint a user means: a file path, or a catalog name such as `resnet50` or
/// `resnet50:v1` looked up in the weights cache.
public enum WeightsLocator {
  /// Why no checkpoint file could be found.
  public struct NotFound: Error, CustomStringConvertible {
    /// The message, with the command that fixes it.
    public let description: String
  }

  /// The checkpoint file for `specification`; throws `NotFound` with the command that fixes it.
  public static func resolve(_ specification: String, cache: CacheDirectory = .current) throws
    -> URL
  {
    let file = URL(fileURLWithPath: (specification as NSString).expandingTildeInPath)
    if FileManager.default.fileExists(atPath: file.path) { return file }
    let parts = specification.split(separator: ":", maxSplits: 1).map(String.init)
    let variant = parts.count == 2 ? WeightsVariant(rawValue: parts[1].lowercased()) : nil
    if parts.count == 2 && variant == nil {
      throw NotFound(
        description: "unknown weights variant '\(parts[1])' in '\(specification)'; use v1 or v2")
    }
    let weights: PretrainedWeights
    do {
      weights = try WeightsCatalog.weights(model: parts[0], variant: variant)
    } catch {
      throw NotFound(
        description:
          "no file '\(specification)', and it is not a known model (\(WeightsCatalog.models.joined(separator: ", "))); "
          + "give a .pth/.safetensors path or a model name such as resnet50 or resnet50:v1")
    }
    let cached = weights.cachedFile(in: cache)
    guard FileManager.default.fileExists(atPath: cached.path) else {
      throw NotFound(
        description:
          "\(weights.model) \(weights.variant.rawValue) weights are not in the cache (\(cached.path)); "
          + "run `classify weights download \(weights.model) --variant \(weights.variant.rawValue)`"
      )
    }
    return cached
  }
}
