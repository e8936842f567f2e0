import Foundation
import ImageCodecs
import Kernels
import NN
import TensorCore

/// Classifies image files with a ResNet the way torchvision's ImageNet evaluation does:
/// `Resize(256) → CenterCrop(224) → ToTensor → Normalize(ImageNet)`, then softmax over the
/// logits. Runs the model folded (`ResNet.folded()`), a batch of images at a time.
public struct ImageClassifier {
  /// One class and its probability.
  public struct Score: Sendable, Equatable, Codable {
    /// Index into the class list.
    public let index: Int
    /// Human-readable class name.
    public let name: String
    /// Softmax probability.
    public let probability: Float

    /// A score (also for classifiers built elsewhere, e.g. fine-tuned heads).
    public init(index: Int, name: String, probability: Float) {
      self.index = index
      self.name = name
      self.probability = probability
    }
  }

  /// The prediction for one image.
  public struct Prediction: Sendable, Codable {
    /// The image file.
    public let path: String
    /// The best classes, most probable first.
    public let top: [Score]

    /// A prediction for the image at `path`.
    public init(path: String, top: [Score]) {
      self.path = path
      self.top = top
    }
  }

  /// The folded model.
  private let model: ResNet
  /// What the folded model multiplies in (fp32 where the CPU lacks the precision asked for).
  public var precision: Precision { model.precision }
  /// The class names, indexed like the model's outputs.
  public let classNames: [String]
  /// Where the weights came from, for error messages (a file path or a model name).
  public var source = "the weights"

  /// A classifier over `model` (put into evaluation mode, then folded in `precision`) with
  /// `classNames` (ImageNet's when nil and the model has 1000 outputs, otherwise "class 0",
  /// "class 1", …).
  public init(model: ResNet, classNames: [String]? = nil, precision: Precision = .fp32) {
    model.eval()
    self.model = model.folded(precision: precision)
    // The head is any layer: its width is what it returns for one row of features.
    let count =
      Autograd.withoutGradient { model.fc(.zeros([1, model.featureCount])) }.shape.last ?? 0
    if let classNames, classNames.count == count {
      self.classNames = classNames
    } else if count == Vision.imageNetClasses.count {
      self.classNames = Vision.imageNetClasses
    } else {
      self.classNames = (0..<count).map { "class \($0)" }
    }
  }

  /// The indices of `scores`, best first; equal scores keep the lower index first. The one
  /// ranking every prediction uses (ImageNet, fine-tuned heads, the report's examples).
  public static func ranked<Score: Comparable>(_ scores: [Score]) -> [Int] {
    scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
  }

  /// The `top` most probable classes for each image, decoding and preprocessing each file.
  /// Throws `ImageCodecError` naming the first file that cannot be decoded.
  public func classify(_ files: [URL], top: Int = 5, batchSize: Int = 16) throws -> [Prediction] {
    var predictions: [Prediction] = []
    for start in stride(from: 0, to: files.count, by: max(1, batchSize)) {
      let batch = Array(files[start..<min(files.count, start + max(1, batchSize))])
      let inputs = try batch.map { url in
        Vision.imageNetEvaluation(try Image.decode(contentsOf: url).converted(to: 3))
          .expandingDimension(at: 0)
      }
      let logits = Autograd.withoutGradient {
        model(Tensor.concatenate(inputs, alongAxis: 0))
      }
      try NonFiniteOutputError.check(logits, images: batch.map(\.path), source: source)
      let probabilities = logits.softmax(alongAxis: 1)
      let classes = probabilities.shape[1]
      for (row, url) in batch.enumerated() {
        let values = Array(probabilities.scalars[(row * classes)..<((row + 1) * classes)])
        let best = Self.ranked(values)
        predictions.append(
          Prediction(
            path: url.path,
            top: best.prefix(top).map {
              Score(index: $0, name: classNames[$0], probability: values[$0])
            }))
      }
    }
    return predictions
  }
}

/// A model gave NaN or infinite outputs: never shown as a result (softmax would turn them into
/// a plausible-looking uniform distribution). The likely cause is the weights file.
public struct NonFiniteOutputError: Error, CustomStringConvertible, Equatable {
  /// The first input whose outputs are not finite.
  public let image: String
  /// The weights (file or model name).
  public let source: String

  /// The error for `image` and the weights `source`.
  public init(image: String, source: String) {
    self.image = image
    self.source = source
  }

  /// The image, the weights and the likely cause.
  public var description: String {
    "the model's outputs for \(image) are not finite numbers (NaN or infinity), so no result is "
      + "shown; the weights (\(source)) are most likely damaged or come from a diverged training "
      + "run: re-download or re-train them"
  }

  /// Throws for the first row of `logits` `[N, classes]` holding a NaN or an infinity.
  public static func check(_ logits: Tensor, images: [String], source: String) throws {
    let width = logits.shape.count == 2 ? logits.shape[1] : max(1, logits.count)
    let scalars = logits.scalars
    guard let bad = scalars.firstIndex(where: { !$0.isFinite }) else { return }
    let row = bad / max(1, width)
    throw NonFiniteOutputError(
      image: row < images.count ? images[row] : "input \(row)", source: source)
  }
}
