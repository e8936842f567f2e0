import Checkpoints
import Foundation
import NN
import TensorCore
import Testing
import Vision

@testable import Experiments

@Suite("Fine-tune pipeline end to end", .serialized)
struct FineTuneRunTests {
  let folder: URL

  init() throws {
    folder = try temporaryFolder()
    try writeColourCIFAR(to: folder.appendingPathComponent("data"))
  }

  func configuration() -> FineTuneConfiguration { smallConfiguration(in: folder) }

  func run(_ configuration: FineTuneConfiguration, _ name: String, stopAfter: Int? = nil)
    throws -> (FineTuneRun, FineTuneOutcome, [String])
  {
    let run = FineTuneRun(
      configuration: configuration, directory: folder.appendingPathComponent(name))
    return try execute(run, resume: false, stopAfter: stopAfter)
  }

  func execute(_ run: FineTuneRun, resume: Bool, stopAfter: Int? = nil) throws -> (
    FineTuneRun, FineTuneOutcome, [String]
  ) {
    var lines: [String] = []
    run.output = { lines.append($0) }
    run.showsProgress = false
    run.stopAfterBatches = stopAfter
    let outcome = try run.run(resume: resume)
    return (run, outcome, lines)
  }

  func contents(_ run: FineTuneRun, _ file: String) throws -> Data {
    try Data(contentsOf: run.directory.appendingPathComponent(file))
  }

  @Test(
    "--precision bf16 says what it runs as on this CPU: fp32 without bf16 instructions, fp32's speed where they are slow"
  )
  func bf16Notes() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    var bf16 = configuration()
    bf16.precision = .bf16
    bf16.training.epochs = 1
    let (_, _, lines) = try run(bf16, "bf16")
    let lacks = lines.contains { $0.contains("needs AVX512-BF16, which this CPU lacks") }
    let slow = lines.contains { $0.contains("slower than its fp32 FMA") }
    #expect(lacks == !Precision.bf16.isSupported, "\(lines)")
    #expect(slow == (Precision.bf16.isSupported && !Precision.bf16IsFasterThanFP32), "\(lines)")
    // fp32 says neither.
    var fp32 = configuration()
    fp32.training.epochs = 1
    let (_, _, plain) = try run(fp32, "fp32")
    #expect(!plain.contains { $0.contains("AVX512-BF16") || $0.contains("fp32 FMA") })
  }

  @Test("learns, keeps the best model, reuses the cache, and resumes to the identical result")
  func endToEnd() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    let (whole, outcome, lines) = try run(configuration(), "whole")
    guard case .finished(let accuracy) = outcome else {
      Issue.record("the run did not finish: \(outcome)")
      return
    }
    // 4 colour classes, 40 test images: chance is 0.25 ± 0.07, so 0.45 is 3 standard deviations
    // above it (a broken pipeline stays near chance; the exact value moves with the split).
    #expect(accuracy > 0.45, "4 colour classes: chance is 0.25, got \(accuracy)")
    #expect(lines.contains { $0.contains("train features: computed") })
    for file in [
      "config.json", "run.log", "metrics.csv", "metrics.jsonl", "best.safetensors",
      "state.safetensors", "curves.png", "test.md", "test.json", "results.html",
    ] {
      #expect(
        FileManager.default.fileExists(atPath: whole.directory.appendingPathComponent(file).path),
        "missing \(file)")
    }
    let csv = String(decoding: try contents(whole, "metrics.csv"), as: UTF8.self)
    #expect(csv.split(separator: "\n").count == 1 + 5)
    // The kept model is the validated epoch with the best accuracy.
    let best = try SafetensorsFile.read(
      from: whole.directory.appendingPathComponent("best.safetensors"))
    let history = try JSONDecoder().decode(
      [HeadEpochMetrics].self,
      from: Data(
        ("["
          + String(decoding: try contents(whole, "metrics.jsonl"), as: UTF8.self)
          .split(separator: "\n").joined(separator: ",") + "]").utf8))
    let validated = history.filter { $0.validationAccuracy != nil }
    #expect(validated.map(\.epoch) == [2, 4, 5])
    let top = validated.max {
      ($0.validationAccuracy!, -$0.validationLoss!) < ($1.validationAccuracy!, -$1.validationLoss!)
    }
    #expect(best.metadata["epoch"] == top.map { "\($0.epoch)" })
    #expect(best.names.allSatisfy { $0.hasPrefix("fc.") })
    // `predict`/`evaluate` take the run folder or the file; a backbone file is no checkpoint.
    let bestFile = whole.directory.appendingPathComponent("best.safetensors")
    #expect(FineTuneCheckpoint.file(forRunOrFile: whole.directory.path).path == bestFile.path)
    #expect(FineTuneCheckpoint.file(forRunOrFile: bestFile.path).path == bestFile.path)
    #expect(FineTuneCheckpoint.isCheckpoint(bestFile))
    #expect(
      !FineTuneCheckpoint.isCheckpoint(whole.directory.appendingPathComponent("state.safetensors")))
    let checkpoint = try FineTuneCheckpoint.load(
      from: whole.directory.appendingPathComponent("best.safetensors"))
    #expect(checkpoint.classNames.prefix(4) == ["red", "green", "blue", "gray"])

    // The report's Part 4 reads the run folder.
    let report = folder.appendingPathComponent("report")
    try FileManager.default.createDirectory(at: report, withIntermediateDirectories: true)
    let section = try FineTuneReport.section(run: whole.directory, figuresIn: report)
    #expect(section.html.contains("NOT ImageNet weights"))
    #expect(section.html.contains(String(format: "Test accuracy %.2f %%", 100 * accuracy)))
    #expect(section.figures.contains("finetune_results.html"))
    #expect(
      FileManager.default.fileExists(
        atPath: report.appendingPathComponent("finetune_results.html").path))

    // Interrupted mid-epoch twice, resumed twice: the same bytes as the uninterrupted run.
    let (first, stopped, secondLines) = try run(configuration(), "resumed", stopAfter: 11)
    #expect(stopped == .interrupted(epoch: 2, batch: 5))
    #expect(secondLines.contains { $0.contains("train features: reused") })
    let resumedRun = try FineTuneRun.resuming(directory: first.directory)
    let (_, again, _) = try execute(resumedRun, resume: true, stopAfter: 9)
    #expect(again == .interrupted(epoch: 4, batch: 2))
    let (finalRun, finished, _) = try execute(
      try FineTuneRun.resuming(directory: first.directory), resume: true)
    #expect(finished == outcome)
    for file in ["metrics.csv", "test.json", "best.safetensors", "state.safetensors"] {
      #expect(try contents(finalRun, file) == contents(whole, file), "\(file) differs after resume")
    }

    // A run stopped before any state was saved (while computing features) resumes from the start.
    let early = folder.appendingPathComponent("early")
    try FileManager.default.createDirectory(at: early, withIntermediateDirectories: true)
    try configuration().json().write(to: early.appendingPathComponent("config.json"))
    let (earlyRun, earlyOutcome, _) = try execute(
      try FineTuneRun.resuming(directory: early), resume: true)
    #expect(earlyOutcome == outcome)
    #expect(try contents(earlyRun, "metrics.csv") == contents(whole, "metrics.csv"))

    // A folder holding a run is not overwritten; resuming with other settings is refused.
    #expect(throws: FineTuneError.self) { _ = try run(configuration(), "whole") }
    var changed = configuration()
    changed.training.learningRate = 0.01
    #expect(throws: FineTuneError.self) {
      _ = try execute(
        FineTuneRun(configuration: changed, directory: whole.directory), resume: true)
    }
    // A checkpoint whose tensors are another head than its metadata names is refused by name.
    var otherHead = configuration()
    otherHead.head = "64,relu"
    var metadata = best.metadata
    metadata["config"] = String(decoding: try otherHead.json(), as: UTF8.self)
    metadata["head"] = otherHead.head
    let mismatched = folder.appendingPathComponent("mismatched.safetensors")
    try SafetensorsFile.write(best.tensors, metadata: metadata, to: mismatched)
    #expect {
      _ = try FineTuneCheckpoint.load(from: mismatched)
    } throws: { error in
      "\(error)".contains("mismatched.safetensors")
        && "\(error)".contains("does not match the head '64,relu'")
    }

    // A head trained on other backbone weights is refused, naming the fingerprints.
    let otherWeights = folder.appendingPathComponent("other.safetensors")
    try ResNet(depth: 18, baseWidth: 8, seed: 99).save(to: otherWeights)
    #expect {
      _ = try FineTuneCheckpoint.load(
        from: whole.directory.appendingPathComponent("best.safetensors"),
        weights: otherWeights.path)
    } throws: { error in
      "\(error)".contains("random:resnet18-w8:3") && "\(error)".contains("--weights")
    }
  }

  @Test("--resume --epochs N grows a finished run to exactly the run started with N")
  func grows() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    var short = configuration()
    short.training.epochs = 2
    var long = configuration()
    long.training.epochs = 4
    let (reference, _, _) = try run(long, "four")
    let (first, firstOutcome, _) = try run(short, "grown")
    guard case .finished = firstOutcome else {
      Issue.record("the two-epoch run did not finish: \(firstOutcome)")
      return
    }
    let grown = try FineTuneRun.resuming(directory: first.directory, headEpochs: 4)
    let (_, outcome, lines) = try execute(grown, resume: true)
    guard case .finished = outcome else {
      Issue.record("the grown run did not finish: \(outcome)")
      return
    }
    #expect(lines.contains { $0.contains("growing") && $0.contains("4 head epochs") })
    for file in ["metrics.csv", "test.json", "test-predictions.csv"] {
      #expect(try contents(first, file) == contents(reference, file), "\(file) differs")
    }
    // The same kept model (its metadata records the settings of when it was kept).
    let (kept, expected) = (
      try SafetensorsFile.read(from: first.directory.appendingPathComponent("best.safetensors")),
      try SafetensorsFile.read(from: reference.directory.appendingPathComponent("best.safetensors"))
    )
    #expect(
      kept.tensors == expected.tensors && kept.metadata["epoch"] == expected.metadata["epoch"])
    #expect(
      try FineTuneConfiguration.read(from: first.directory.appendingPathComponent("config.json"))
        .training.epochs == 4)
    // A run only grows, and not once it unfreezes the backbone.
    #expect(throws: FineTuneError.self) {
      _ = try FineTuneRun.resuming(directory: first.directory, headEpochs: 3)
    }
    // Resuming the grown run again changes nothing, and needs no --epochs.
    let (_, again, _) = try execute(
      try FineTuneRun.resuming(directory: first.directory), resume: true)
    #expect(again == outcome)
  }

  @Test(
    "AdamW with one-cycle trains the head, records itself, and resumes mid-epoch to the same bytes")
  func adamW() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    var settings = configuration()
    settings.training.optimizer = .adamw
    settings.training.learningRate = 0.01
    settings.training.weightDecay = 0.05
    settings.training.schedule = .oneCycle  // per batch: a resumed run must land on the same rates
    let (whole, outcome, _) = try run(settings, "whole")
    guard case .finished = outcome else {
      Issue.record("the AdamW run did not finish: \(outcome)")
      return
    }
    // It learns: the training loss falls from the first epoch to the last.
    let history = try TrainingStateFile.readProgress(
      from: whole.directory.appendingPathComponent("state.safetensors")
    ).progress.history
    #expect(
      (history.last?.trainLoss ?? .infinity) < (history.first?.trainLoss ?? 0) * 0.9,
      "train loss \(history.map(\.trainLoss))")
    let json = String(decoding: try contents(whole, "config.json"), as: UTF8.self)
    #expect(json.contains("\"optimizer\" : \"adamw\""))
    // The state file holds AdamW's own record: step and both moments per parameter.
    let state = try SafetensorsFile.read(
      from: whole.directory.appendingPathComponent("state.safetensors"))
    #expect(
      state.names.contains("exp_avg_sq.head.0.weight") && state.names.contains("step.head.0.weight")
    )
    #expect(!state.names.contains { $0.hasPrefix("momentum.") })
    let (first, stopped, _) = try run(settings, "resumed", stopAfter: 11)
    #expect(stopped == .interrupted(epoch: 2, batch: 5))
    let (resumed, finished, _) = try execute(
      try FineTuneRun.resuming(directory: first.directory), resume: true)
    #expect(finished == outcome)
    for file in ["metrics.csv", "test.json", "best.safetensors", "state.safetensors"] {
      #expect(try contents(resumed, file) == contents(whole, file), "\(file) differs after resume")
    }
  }

  @Test("--tta averages each test image with its mirror; without it the same head scores as before")
  func testTimeAugmentation() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    var plain = configuration()
    plain.training.epochs = 2
    var augmented = plain
    augmented.tta = true
    let (without, _, _) = try run(plain, "plain")
    let (with, _, lines) = try run(augmented, "tta")
    #expect(lines.contains { $0.contains("test (mirrored) features: computed") })
    let decoder = JSONDecoder()
    let a = try decoder.decode(EvaluationResult.self, from: try contents(without, "test.json"))
    let b = try decoder.decode(EvaluationResult.self, from: try contents(with, "test.json"))
    // Training does not depend on TTA: the plain images score exactly as in the run without it.
    #expect(a.accuracyWithoutTTA == nil && b.accuracyWithoutTTA == a.accuracy)
    #expect(b.confusion.joined().reduce(0, +) == a.confusion.joined().reduce(0, +))
    #expect(String(decoding: try contents(with, "test.md"), as: UTF8.self).contains("without"))
  }

  @Test("with augmentation, --tta also averages the cached augmented copies of the test images")
  func testTimeAugmentationWithCopies() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    var plain = configuration()
    plain.training.epochs = 2
    plain.augment = "flip"
    plain.augmentCopies = 2
    var augmented = plain
    augmented.tta = true
    let (without, _, _) = try run(plain, "plain")
    let (with, _, lines) = try run(augmented, "tta")
    for name in ["test (mirrored)", "test copy 1/2 (augmented)", "test copy 2/2 (augmented)"] {
      #expect(lines.contains { $0.contains("\(name) features: computed") }, "\(name)")
    }
    let decoder = JSONDecoder()
    let a = try decoder.decode(EvaluationResult.self, from: try contents(without, "test.json"))
    let b = try decoder.decode(EvaluationResult.self, from: try contents(with, "test.json"))
    #expect(b.accuracyWithoutTTA == a.accuracy)
  }

  @Test("results from averaged probabilities: prediction, loss and confusion by hand")
  func fromProbabilities() {
    let result = EvaluationResult.fromProbabilities(
      [[0.6, 0.4], [0.5, 0.5], [0.2, 0.8]], labels: [0, 1, 1], classNames: ["a", "b"],
      split: "test", epoch: 3)
    // Row 1 ties: the lower index (a) wins, so one of three is wrong.
    #expect(result.confusion == [[1, 0], [1, 1]] && abs(result.accuracy - 2.0 / 3.0) < 1e-12)
    let loss = -(log(0.6) + log(0.5) + log(0.8)) / 3
    #expect(abs(result.loss - loss) < 1e-6 && result.epoch == 3)
  }

  @Test(
    "unfreezing trains the backbone too, and resumes exactly mid-epoch (plain, and with discriminative rates on a one-cycle schedule)",
    arguments: [false, true])
  func unfreezing(discriminative: Bool) throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    var configuration = configuration()
    configuration.training.epochs = 2
    configuration.unfreezeEpochs = 1
    configuration.backboneBatchNorm = .train
    configuration.backboneLearningRate = 0.01
    configuration.limit = 64
    configuration.testLimit = 16
    configuration.training.validateEvery = 1
    if discriminative {
      configuration.discriminativeRates = true
      configuration.backboneSchedule = .oneCycle
    }
    let (whole, outcome, lines) = try run(configuration, "whole")
    guard case .finished = outcome else {
      Issue.record("the run did not finish: \(outcome)")
      return
    }
    #expect(lines.contains { $0.contains("unfreezing the backbone") })
    #expect(lines.contains { $0.contains("epoch 3 (backbone)") })
    if discriminative {
      // The stage rates and the schedule change the backbone epoch, not the head epochs.
      var plain = configuration
      plain.discriminativeRates = false
      plain.backboneSchedule = .constant
      let (reference, _, _) = try run(plain, "plain")
      let ours = String(decoding: try contents(whole, "metrics.csv"), as: UTF8.self)
      let theirs = String(decoding: try contents(reference, "metrics.csv"), as: UTF8.self)
      let (mine, other) = (ours.split(separator: "\n"), theirs.split(separator: "\n"))
      #expect(mine.prefix(3) == other.prefix(3) && mine.last != other.last)
    }
    let state = try SafetensorsFile.read(
      from: whole.directory.appendingPathComponent("state.safetensors"))
    #expect(state.names.contains("backbone.layer4.1.conv2.weight"))
    #expect(state.names.contains("momentum.backbone.layer4.1.conv2.weight"))

    // 52 training rows → 4 batches per epoch; stop in the backbone epoch (batch 2 of 4).
    let (first, stopped, _) = try run(configuration, "resumed", stopAfter: 9)
    #expect(stopped == .interrupted(epoch: 3, batch: 2))
    let (finalRun, finished, _) = try execute(
      try FineTuneRun.resuming(directory: first.directory), resume: true)
    #expect(finished == outcome)
    for file in ["metrics.csv", "state.safetensors", "test.json"] {
      #expect(try contents(finalRun, file) == contents(whole, file), "\(file) differs after resume")
    }
  }

  @Test("feature shards computed separately merge into the cache a run reuses")
  func shards() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    var configuration = configuration()
    configuration.augment = "flip,crop:32:pad4"
    configuration.augmentCopies = 2
    // At --resize 96 the extractor's batch is 16, whatever the head's (7): shards are whole
    // 16-row batches.
    configuration.resize = 96
    configuration.training.batchSize = 7
    let inputs = try FineTuneInputs(configuration)
    #expect(inputs.trainJobs.count == 2)
    #expect(inputs.trainJobs[0].key.fingerprint != inputs.trainJobs[1].key.fingerprint)
    let cache = URL(fileURLWithPath: configuration.featureCache)
    let job = inputs.trainJobs[1]
    let shardFiles = try (0..<3).map {
      try inputs.computeShard(job, index: $0, count: 3, cacheFolder: cache)
    }
    let shardRows = try shardFiles.map { try FeatureCache.read(from: $0, expecting: job.key) }
    #expect(shardRows.dropLast().allSatisfy { $0.labels.count > 0 && $0.labels.count % 16 == 0 })
    #expect(shardRows.map(\.labels.count).reduce(0, +) == job.indices.count)
    try FeatureCache.merge(shards: shardFiles, into: job.file(in: cache))
    let merged = try FeatureCache.read(from: job.file(in: cache), expecting: job.key)
    let whole = try inputs.extractor(for: job).extract(
      job.dataset, indices: job.indices, copy: job.copy)
    #expect(merged.labels == whole.labels)
    #expect(merged.features.scalars == whole.features.scalars)
    let (reused, _) = try inputs.features(job, cacheFolder: cache)
    #expect(reused.features.scalars == whole.features.scalars)
  }
}
