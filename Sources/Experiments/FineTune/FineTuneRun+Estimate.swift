import Foundation
import TensorCore
import Vision

extension FineTuneRun {
  /// Says, before any feature is computed, how many images are to be cached and about how long
  /// that takes here: the backbone's speed is probed on one small batch of random images at the
  /// input size (a second or two), so a 224-pixel run says "about 40 minutes" before it starts,
  /// not after. Nothing is said when every split is cached already.
  func announceCaching(_ inputs: FineTuneInputs, cacheFolder: URL) {
    let pending = inputs.allJobs.filter {
      !FileManager.default.fileExists(atPath: $0.file(in: cacheFolder).path)
    }
    let images = pending.reduce(0) { $0 + $1.indices.count }
    guard images > 0, let first = pending.first?.indices.first,
      let sample = try? first < inputs.trainSet.count
        ? inputs.trainSet.image(at: first) : inputs.testSet.image(at: 0)
    else { return }
    let side = configuration.resize ?? min(sample.height, sample.width)
    // Two large images (a level's pass at 224×224 is 2 anyway), or one extraction batch of small
    // ones (at 32×32 a batch of 16 runs 10–20 % slower than the 128 the extraction uses): a
    // probe of a second or two.
    let (height, width) = configuration.resize.map { ($0, $0) } ?? (sample.height, sample.width)
    let backbone = inputs.extractor.backbone
    let batch =
      inputs.extractor.batchSize ?? FeatureExtractor.batchSize(height: height, width: width)
    let probeImages = max(1, side >= 128 ? min(batch, 2) : batch)
    var generator = SeededGenerator(seed: 1)
    let probe = Tensor.randomNormal([probeImages, 3, height, width], using: &generator)
    _ = backbone.features(probe)  // warm-up: first-touch pages, derived weight forms
    let start = Date()
    _ = backbone.features(probe)
    let seconds = Date().timeIntervalSince(start)
    guard seconds > 0 else { return }
    let rate = Double(probeImages) / seconds
    let total = Double(images) / rate
    let duration =
      total < 1.5
      ? "a second or less"
      : total < 90
        ? String(format: "%.0f seconds", total) : String(format: "%.0f minutes", total / 60)
    say(
      "caching \(images.formatted()) images at \(height)×\(width) px (\(backbone.precision.rawValue)): "
        + "about \(duration) on this machine (the backbone runs \(String(format: "%.0f", rate)) img/s here)"
    )
  }
}
