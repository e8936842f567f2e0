import Foundation
import ImageCodecs
import NN
import TensorCore
import TestSupport
import Testing

@testable import Vision

@Suite("Fine-tune feature extractor")
struct FineTuneFeatureExtractorTests {
  func extractor(resize: Int? = nil, batchSize: Int = 4) throws -> FeatureExtractor {
    let model = try ResNet(depth: 18, classCount: 10, baseWidth: 4, seed: 7)
    return FeatureExtractor(
      backbone: model.folded(),
      weightsFingerprint: FeatureExtractor.randomFingerprint(depth: 18, baseWidth: 4, seed: 7),
      resize: resize, batchSize: batchSize)
  }

  @Test("the CIFAR fixture gives [15, 32] features in dataset order, equal to the model's own")
  func cifarFeatures() throws {
    let dataset = try DatasetOpener.open(
      .cifar10, root: try datasetFixture("cifar10py"), split: .train)
    #expect(dataset.count == 15)
    let extractor = try extractor()
    var reports: [(Int, Int)] = []
    let result = try extractor.extract(dataset) { reports.append(($0, $1)) }
    #expect(result.features.shape == [15, 32])
    #expect(result.labels == (0..<15).map { dataset.label(at: $0) })
    #expect(reports.map(\.0) == [4, 8, 12, 15] && reports.allSatisfy { $0.1 == 15 })
    #expect(result.features.scalars.allSatisfy { $0.isFinite })

    // Independent path: the un-folded ResNet in evaluation mode on ToTensor → Normalize(0.5, 0.5).
    let model = try ResNet(depth: 18, classCount: 10, baseWidth: 4, seed: 7)
    model.eval()
    let image = Vision.normalize(
      Vision.toTensor(try dataset.image(at: 3)), mean: [0.5, 0.5, 0.5],
      standardDeviation: [0.5, 0.5, 0.5])
    let reference = Autograd.withoutGradient {
      model.features(image.reshaped(to: [1] + image.shape))
    }
    let row = result.features.slice(alongAxis: 0, 3..<4)
    for (a, b) in zip(row.scalars, reference.scalars) {
      #expect(abs(a - b) <= 1e-4 + 1e-3 * abs(b))
    }
  }

  @Test("images of different sizes batch after --resize (shorter side, centre square)")
  func mixedSizes() throws {
    struct Mixed: ImageSource {
      let sizes = [(12, 20), (20, 12), (16, 16), (9, 30)]
      var count: Int { sizes.count }
      func image(at index: Int) throws -> Image {
        let (height, width) = sizes[index]
        return Image(
          width: width, height: height, channels: 3,
          pixels: (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) })
      }
      func label(at index: Int) -> Int { index % 2 }
    }
    let features = try extractor(resize: 8).extract(Mixed())
    #expect(features.features.shape == [4, 32])
    #expect(features.labels == [0, 1, 0, 1])
    // Without --resize, the error says which option fixes it.
    #expect {
      _ = try extractor().extract(Mixed())
    } throws: { error in
      "\(error)".contains("--resize")
    }
  }

  @Test("the extraction batch follows the image size, never the head's batch")
  func automaticBatchSize() throws {
    // 128·32·32 / pixels, clamped to 16…128.
    #expect(FeatureExtractor.batchSize(height: 32, width: 32) == 128)
    #expect(FeatureExtractor.batchSize(height: 8, width: 8) == 128)
    #expect(FeatureExtractor.batchSize(height: 64, width: 64) == 32)
    #expect(FeatureExtractor.batchSize(height: 64, width: 32) == 64)
    #expect(FeatureExtractor.batchSize(height: 224, width: 224) == 16)
    #expect(FeatureExtractor.batchSize(height: 0, width: 0) == 128)
    #expect(FeatureExtractor.batchSize(height: Int.max, width: 3) == 16)

    struct Square: ImageSource {
      let side: Int
      var count: Int { 3 }
      func image(at index: Int) throws -> Image {
        Image(
          width: side, height: side, channels: 3,
          pixels: [UInt8](repeating: UInt8(index), count: side * side * 3))
      }
      func label(at index: Int) -> Int { index }
    }
    let model = try ResNet(depth: 18, classCount: 10, baseWidth: 4, seed: 7).folded()
    func batch(resize: Int? = nil, given: Int? = nil, side: Int) throws -> Int {
      try FeatureExtractor(
        backbone: model, weightsFingerprint: "random", resize: resize, batchSize: given
      ).batchSize(for: Square(side: side), indices: [2, 0])
    }
    #expect(try batch(side: 32) == 128)
    #expect(try batch(side: 64) == 32)  // read off the first requested image
    #expect(try batch(resize: 224, side: 32) == 16)  // the size after the resize
    #expect(try batch(given: 5, side: 64) == 5)
    // One call of the backbone for the whole fixture, whose 15 images are below 128.
    let dataset = try DatasetOpener.open(
      .cifar10, root: try datasetFixture("cifar10py"), split: .train)
    var reports: [Int] = []
    let automatic = try FeatureExtractor(backbone: model, weightsFingerprint: "random")
      .extract(dataset) { done, _ in reports.append(done) }
    #expect(reports == [15])
    expectClose(automatic.features.scalars, try extractor().extract(dataset).features.scalars)
  }

  @Test("a subset of indices gives those rows, in the order asked")
  func subset() throws {
    let dataset = try DatasetOpener.open(
      .cifar10, root: try datasetFixture("cifar10py"), split: .train)
    let extractor = try extractor()
    let all = try extractor.extract(dataset)
    let some = try extractor.extract(dataset, indices: [9, 2, 14])
    #expect(some.labels == [9, 2, 14].map { all.labels[$0] })
    // The same rows up to rounding: a batch of 3 and batches of 4 are GEMMs of other shapes,
    // whose summation order BLAS may choose differently (a few ulps, not another image).
    #expect(some.features.shape == [3, all.features.shape[1]])
    expectClose(some.features.scalars, all.features.gatherRows([9, 2, 14]).scalars)
    // And not merely close to any rows: row 9 differs from row 2 far beyond that tolerance.
    #expect(
      zip(all.features.gatherRows([9]).scalars, all.features.gatherRows([2]).scalars)
        .map { abs($0 - $1) }.max() ?? 0 > 1e-3)
    #expect(throws: FeatureExtractorError.self) {
      _ = try extractor.extract(dataset, indices: [15])
    }
  }

  @Test("the transform description and fingerprints name what changes the features")
  func descriptions() throws {
    #expect(
      try extractor().transformDescription() == "totensor,normalize:0.5/0.5/0.5:0.5/0.5/0.5")
    #expect(
      try extractor(resize: 64).transformDescription()
        == "totensor,resize:64,center:64,normalize:0.5/0.5/0.5:0.5/0.5/0.5")
    // A bf16 backbone computes other features: its cache key says so (fp32 keys are unchanged).
    let model = try ResNet(depth: 18, classCount: 10, baseWidth: 4, seed: 7)
    let bf16 = FeatureExtractor(
      backbone: model.folded(precision: .bf16), weightsFingerprint: "random", batchSize: 4)
    #expect(
      bf16.transformDescription()
        == (Precision.bf16.isSupported
          ? "totensor,normalize:0.5/0.5/0.5:0.5/0.5/0.5,precision:bf16-"
            + Precision.bf16FormName
          : "totensor,normalize:0.5/0.5/0.5:0.5/0.5/0.5"))
    #expect(FeatureExtractor.randomFingerprint(depth: 50, seed: 3) == "random:resnet50:3")
    #expect(
      FeatureExtractor.randomFingerprint(depth: 18, baseWidth: 4, seed: 3) == "random:resnet18-w4:3"
    )
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-fingerprint-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("w.bin")
    try Data("abc".utf8).write(to: file)
    // sha256("abc"), FIPS 180-2 appendix B.1.
    #expect(
      try FeatureExtractor.fingerprint(weightsFile: file)
        == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }
}
