import Foundation
import Vision

/// The memory a fine-tuning configuration needs, estimated from its sizes before anything is
/// allocated, so that `--head 1000000000`, `--resize 100000` or `--base-width 100000` give a
/// clear error instead of an abort inside the allocator. The estimate is deliberately rough
/// (within a factor of about two of what a run takes) and errs on the large side; it refuses
/// only configurations that cannot fit.
public struct MemoryEstimate: Sendable {
  /// What takes the memory, in bytes, largest first.
  public let parts: [(name: String, bytes: Double)]

  /// The sum of the parts.
  public var total: Double { parts.reduce(0) { $0 + $1.bytes } }

  /// The estimate for `configuration` with `classCount` classes and `rows` feature rows in all
  /// splits (every cached copy counted).
  public init(_ configuration: FineTuneConfiguration, classCount: Int, rows: Double) {
    let width = Double(configuration.baseWidth) / 64
    let bottleneck = configuration.depth >= 50
    let featureCount = (bottleneck ? 2048 : 512) * width
    // torchvision's parameter counts (without fc) at width 64, scaling with width².
    let millions: [Int: Double] = [18: 11.2, 34: 21.3, 50: 23.5, 101: 42.5, 152: 58.1]
    let backboneParameters = (millions[configuration.depth] ?? 60) * 1e6 * width * width
    // The loaded model and its folded twin; unfrozen, also gradients and momentum.
    let backboneCopies: Double = configuration.unfreezeEpochs > 0 ? 4 : 2
    var parts: [(String, Double)] = [("backbone weights", 4 * backboneParameters * backboneCopies)]

    var inputs = featureCount
    var headParameters = 0.0
    let elements = (try? HeadSpecification(parsing: configuration.head))?.elements ?? []
    for case .linear(let outputs) in elements {
      headParameters += inputs * Double(outputs) + Double(outputs)
      inputs = Double(outputs)
    }
    headParameters += inputs * Double(classCount) + Double(classCount)
    // Weights, gradients and momentum, and the widest layer's activations for a batch.
    parts.append(("head", 4 * 3 * headParameters))

    let imageSide = configuration.resize ?? 32
    let side = Double(imageSide)
    let pixels = side * side
    // An inference pass holds a few stem-sized maps (64·w channels at half resolution) plus the
    // im2col scratch, for the extractor's batch (not the head's); larger inputs go through in
    // passes of about four 224×224 images.
    let perImage = 4 * 64 * width * pixels / 4 * 12
    let extractionBatch = FeatureExtractor.batchSize(height: imageSide, width: imageSide)
    let perPass = min(Double(extractionBatch), max(1, 4 * 224 * 224 / pixels))
    parts.append(("backbone activations", perImage * perPass))
    if configuration.unfreezeEpochs > 0 {
      // Training keeps every activation of the batch for the backward pass.
      parts.append(
        ("backbone training activations", perImage * 6 * Double(configuration.training.batchSize)))
    }
    // Each split's features are gathered, then copied once into their tensor.
    parts.append(("cached features", 4 * featureCount * rows * 2))
    self.parts = parts.sorted { $0.1 > $1.1 }.map { (name: $0.0, bytes: $0.1) }
  }

  /// Throws when the estimate exceeds `available` bytes (default: the machine's memory), naming
  /// the largest parts and the options that set them.
  public func check(available: Double = Double(ProcessInfo.processInfo.physicalMemory))
    throws(FineTuneError)
  {
    guard total.isFinite, total <= available else {
      let largest = parts.prefix(2).map { "\($0.name) \(Self.format($0.bytes))" }
        .joined(separator: ", ")
      throw FineTuneError(
        "this configuration needs about \(Self.format(total)) of memory (\(largest)), but the machine has "
          + "\(Self.format(available)); make --head widths, --resize, --base-width, --batch-size or "
          + "--augment-copies smaller")
    }
  }

  /// `12.3 GB`.
  static func format(_ bytes: Double) -> String {
    guard bytes.isFinite else { return "an unbounded amount" }
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
    var value = bytes
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
      value /= 1000
      unit += 1
    }
    return value >= 1e3
      ? String(format: "%.3g %@", value, units[unit])
      : String(format: "%.1f %@", value, units[unit])
  }
}
