import Foundation
import Testing

@testable import Experiments

@Suite("Fine-tune configuration, progress lines and shards")
struct FineTuneConfigurationTests {
  @Test("defaults are the provided code's; bad values name the option")
  func validation() throws {
    let defaults = FineTuneConfiguration()
    #expect(defaults.head == "32,dropout:0.5" && defaults.training.learningRate == 0.001)
    #expect(
      defaults.training.momentum == 0.9 && defaults.training.epochs == 10
        && defaults.weights == "resnet50:v1")
    #expect(defaults.effectiveBackboneLearningRate == Float(0.001) / 10)
    try defaults.validate()
    let cases: [(WritableKeyPath<FineTuneConfiguration, String>, String, String)] = [
      (\.dataset, "imagenet", "unknown dataset 'imagenet'"),
      (\.head, "32,gelu", "unknown item 'gelu'"),
    ]
    for (path, value, message) in cases {
      var configuration = defaults
      configuration[keyPath: path] = value
      #expect {
        try configuration.validate()
      } throws: { error in
        "\(error)".contains(message)
      }
    }
    var copies = defaults
    copies.augmentCopies = 0
    #expect(throws: FineTuneError("--augment-copies must be between 1 and 1000, got 0")) {
      try copies.validate()
    }
    // Copies of no augmentation were once silently ignored.
    copies.augmentCopies = 3
    #expect(
      throws: FineTuneError(
        "--augment-copies 3 needs --augment SPEC (copies of what augmentation?)")
    ) {
      try copies.validate()
    }
    copies.augment = "flip"
    try copies.validate()
    // An infinite weight decay once passed and ended the run with a raw EncodingError.
    var decay = defaults
    decay.training.weightDecay = .infinity
    #expect(throws: FineTuneError.self) { try decay.validate() }
    // A tiny head rate is fine; only the derived backbone rate of an unfrozen run can underflow.
    var tiny = defaults
    tiny.training.learningRate = 1e-45
    try tiny.validate()
    tiny.unfreezeEpochs = 1
    #expect {
      try tiny.validate()
    } throws: { error in
      "\(error)".contains("--backbone-learning-rate") && "\(error)".contains("--learning-rate")
    }
    var augment = defaults
    augment.augment = "flip,rotate:10"
    #expect(throws: FineTuneError.self) { try augment.validate() }
    // config.json round-trips, and random weights are labelled in every summary.
    var random = defaults
    random.weights = "random"
    let decoded = try JSONDecoder().decode(FineTuneConfiguration.self, from: try random.json())
    #expect(decoded == random)
    #expect(random.rows.contains { $0.value.contains("NOT ImageNet weights") })
  }

  @Test("precision: fp32 is the default and left out of config.json; bf16 is written and read back")
  func precision() throws {
    let defaults = FineTuneConfiguration()
    #expect(defaults.precision == .fp32)
    #expect(!String(decoding: try defaults.json(), as: UTF8.self).contains("precision"))
    var fast = defaults
    fast.precision = .bf16
    let json = try fast.json()
    #expect(String(decoding: json, as: UTF8.self).contains("\"precision\" : \"bf16\""))
    let decoded = try JSONDecoder().decode(FineTuneConfiguration.self, from: json)
    #expect(decoded.precision == .bf16)
    #expect(fast.rows.contains { $0.name == "backbone precision" && $0.value == "bf16" })
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(
        FineTuneConfiguration.self, from: Data(#"{"precision": "fp8"}"#.utf8))
    }
  }

  @Test("label smoothing: left out of config.json at 0, read back, validated")
  func labelSmoothing() throws {
    let defaults = FineTuneConfiguration()
    #expect(!String(decoding: try defaults.json(), as: UTF8.self).contains("labelSmoothing"))
    var smoothed = defaults
    smoothed.training.labelSmoothing = 0.1
    let decoded = try JSONDecoder().decode(FineTuneConfiguration.self, from: try smoothed.json())
    #expect(decoded.training.labelSmoothing == 0.1)
    try smoothed.validate()
    smoothed.training.labelSmoothing = 1
    #expect {
      try smoothed.validate()
    } throws: { error in
      "\(error)".contains("--label-smoothing must be in [0, 1)")
    }
  }

  @Test("shards in whole batches cover every row once")
  func batchShards() {
    let ranges = (0..<3).map { FeatureCache.shardRange(index: $0, count: 3, rows: 200, batch: 64) }
    #expect(ranges == [0..<64, 64..<128, 128..<200])
    let many = (0..<8).map { FeatureCache.shardRange(index: $0, count: 8, rows: 100, batch: 16) }
    #expect(many.map(\.count).reduce(0, +) == 100)
    #expect(zip(many, many.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    #expect(many.allSatisfy { $0.lowerBound % 16 == 0 })
    // Degenerate sizes are one batch of one row, one shard: no division by zero.
    #expect(FeatureCache.shardRange(index: 0, count: 1, rows: 5, batch: 0) == 0..<5)
    #expect(FeatureCache.shardRange(index: 0, count: 0, rows: 5, batch: 2) == 0..<5)
  }

  @Test("progress lines show count, percentage, rate and ETA")
  func progressLine() {
    let line = ProgressLine.render(label: "train", done: 250, total: 1000, unit: "img", elapsed: 2)
    #expect(line.hasPrefix("train ██████·"))
    #expect(
      line.contains("250/1000 25 %") && line.contains("125.0 img/s") && line.contains("ETA 0:06"))
    let done = ProgressLine.render(label: "x", done: 10, total: 10, unit: "img", elapsed: 3725)
    #expect(done.contains("in 1:02:05"))
    var written: [String] = []
    let quiet = ProgressLine("y", total: 3, interactive: false) { written.append($0) }
    for step in 1...3 { quiet.update(step) }
    #expect(written.count == 1, "non-interactive: a short loop writes only its last line")
    #expect(written.first?.hasPrefix("y ████") == true)
  }

  @Test("a file that is not a finetune checkpoint is refused by name")
  func notACheckpoint() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-notft-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data([8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8)).write(to: file)
    #expect {
      _ = try FineTuneCheckpoint.load(from: file)
    } throws: { error in
      "\(error)".contains(file.path) && "\(error)".contains("not a checkpoint written by classify")
    }
  }

  @Test(
    "config.json stays one flat object: a file written before the training settings were grouped reads back"
  )
  func flatJSON() throws {
    // config.json as every earlier run folder holds it (keys sorted, training settings at the top level).
    let earlier = """
      {"augmentCopies":1,"backboneBatchNorm":"frozen","baseWidth":64,"batchSize":32,"dataset":"cifar10",
       "depth":50,"epochs":7,"featureCache":"/c","head":"32,dropout:0.5","learningRate":0.01,
       "momentum":0.8,"resize":224,"root":"/d","seed":5,"unfreezeEpochs":0,"validateEvery":2,
       "validation":0.1,"weightDecay":0.0001,"weights":"resnet50:v1"}
      """
    let decoded = try JSONDecoder().decode(FineTuneConfiguration.self, from: Data(earlier.utf8))
    #expect(decoded.training.epochs == 7 && decoded.training.batchSize == 32)
    #expect(decoded.training.learningRate == 0.01 && decoded.training.momentum == 0.8)
    #expect(decoded.training.weightDecay == 0.0001 && decoded.training.validateEvery == 2)
    #expect(decoded.training.seed == 5 && decoded.resize == 224 && decoded.root == "/d")
    // And it writes the same flat keys back.
    let object = try #require(
      try JSONSerialization.jsonObject(with: try decoded.json()) as? [String: Any])
    #expect(object["epochs"] as? Int == 7 && object["training"] == nil)
    #expect(
      Set(object.keys)
        == Set(
          (try JSONSerialization.jsonObject(
            with: Data(earlier.utf8)) as? [String: Any] ?? [:]).keys))
  }
}
