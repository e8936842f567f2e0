import Kernels
import NN
import TensorCore
import Testing
import Vision

@testable import Experiments

/// Smooth 16×16 images in four classes: each class a fixed smooth pattern, each image that
/// pattern plus smooth noise of about the same size, so a linear head on a random backbone's
/// features is right often but not always (an accuracy that can move when the features do).
private func patternImages(count: Int, seed: UInt64) -> (images: Tensor, labels: [Int]) {
  var patterns = SeededGenerator(seed: 99)
  let classes = (0..<4).map { _ in
    Vision.resize(Tensor.randomNormal([1, 3, 4, 4], using: &patterns), height: 16, width: 16)
  }
  var generator = SeededGenerator(seed: seed)
  let labels = (0..<count).map { $0 % 4 }
  let noise = Vision.resize(
    Tensor.randomNormal([count, 3, 4, 4], using: &generator) * 1.0, height: 16, width: 16)
  let pattern = Tensor.concatenate(labels.map { classes[$0] }, alongAxis: 0)
  return (pattern + noise, labels)
}

@Suite("bf16 features train as good a head as fp32")
struct BF16HeadAccuracyTests {
  @Test("a head trained on bf16 features is within 0.5 points of the fp32 run's test accuracy")
  func headAccuracy() throws {
    guard Precision.bf16.isSupported else { return }
    let model = try ResNet(depth: 18, classCount: 10, baseWidth: 8, seed: 7)
    model.eval()
    let train = patternImages(count: 800, seed: 1)
    let test = patternImages(count: 800, seed: 2)
    var settings = HeadTrainingConfiguration()
    settings.epochs = 30
    settings.learningRate = 0.05
    var accuracies: [Precision: Double] = [:]
    for precision in [Precision.fp32, .bf16] {
      let backbone = model.folded(precision: precision)
      #expect(backbone.precision == precision)
      func cache(_ images: Tensor, _ labels: [Int], _ split: String) -> FeatureCache {
        FeatureCache(
          key: FeatureCacheKey(
            weights: "random", dataset: "patterns", split: split,
            transform: precision.rawValue, featureCount: backbone.featureCount),
          features: backbone.features(images), labels: labels)
      }
      let trainer = HeadTrainer(
        specification: try HeadSpecification(parsing: ""), configuration: settings)
      let result = try trainer.train(
        train: cache(train.images, train.labels, "train"), validation: nil, classCount: 4)
      let head = trainer.makeHead(inputFeatures: backbone.featureCount, classCount: 4)
      try head.loadStateDict(result.bestState)
      let testCache = cache(test.images, test.labels, "test")
      accuracies[precision] =
        HeadTrainer.evaluate(head, features: testCache.features, labels: testCache.labels).accuracy
    }
    let fp32 = try #require(accuracies[.fp32])
    let bf16 = try #require(accuracies[.bf16])
    // The task must be neither trivial nor hopeless, or equal accuracies would prove nothing.
    #expect(fp32 > 0.5 && fp32 < 0.97, "fp32 test accuracy \(fp32)")
    #expect(abs(bf16 - fp32) <= 0.005, "bf16 \(bf16) against fp32 \(fp32)")
  }
}
