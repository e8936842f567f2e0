import Checkpoints
import Foundation
import NN
import TensorCore

extension ResNet {
  /// The architecture a torchvision-style ResNet state dict describes: depth (from the blocks per
  /// stage and whether blocks have a `conv3`), stem width (`conv1.weight`) and the class count
  /// of a plain `Linear` head (`fc.weight`; nil when `fc` is another head, as in a fine-tuned
  /// model's state dict).
  public static func architecture(of state: [String: Tensor], source: String) throws -> (
    depth: Int, baseWidth: Int, classCount: Int?
  ) {
    func fail(_ reason: String) -> ConfigurationError {
      ConfigurationError(
        description:
          "\(source) is not a torchvision ResNet checkpoint: \(reason). Use torchvision's "
          + "resnet18/34/50/101/152 weights (`classify weights download resnet50`) or a checkpoint "
          + "saved by classify.")
    }
    guard let stem = state["conv1.weight"], stem.rank == 4, stem.shape[1] == 3 else {
      throw fail("no `conv1.weight` of shape [width, 3, 7, 7]")
    }
    let blocks = (1...4).map { stage in
      Set(
        state.keys.compactMap { key -> Int? in
          let parts = key.split(separator: ".")
          return parts.count > 2 && parts[0] == "layer\(stage)" ? Int(parts[1]) : nil
        }
      ).count
    }
    let kind: ResidualBlockKind = state["layer1.0.conv3.weight"] == nil ? .basic : .bottleneck
    guard
      let depth = stages.first(where: { $0.value.0 == kind && $0.value.1 == blocks })?.key
    else {
      throw fail("its stages have \(blocks) \(kind) blocks, which is no standard depth")
    }
    let classifier = state["fc.weight"].flatMap { $0.rank == 2 ? $0.shape[0] : nil }
    return (depth, stem.shape[0], classifier)
  }

  /// A ResNet whose weights are all zero, for a state dict to be loaded into it strictly (every
  /// tensor replaced): it skips drawing the 50 M random numbers of a ResNet-50's initialisation,
  /// 0.45 s of a 1.15 s `classify predict`. Never run it before loading.
  public static func forLoading(depth: Int, classCount: Int, baseWidth: Int = 64) throws -> ResNet {
    var zeros = InitialWeights(generator: nil)
    return try ResNet(depth: depth, classCount: classCount, baseWidth: baseWidth, weights: &zeros)
  }

  /// A ResNet built for, and loaded (strictly) from, the checkpoint at `url` (`.pth` or
  /// `.safetensors`); errors name the file and every missing, unexpected or mis-shaped key.
  public static func load(from url: URL) throws -> ResNet {
    let state = try loadCheckpoint(from: url)
    let (depth, baseWidth, classCount) = try architecture(of: state, source: url.path)
    guard let classCount else {
      throw ConfigurationError(
        description:
          "\(url.path) has no `fc.weight` of shape [classes, features], so it is not a torchvision "
          + "classifier; a model kept by `classify finetune` is read with `--checkpoint`")
    }
    let model = try forLoading(depth: depth, classCount: classCount, baseWidth: baseWidth)
    try model.loadStateDict(state, strict: true, source: url.path)
    return model
  }
}
