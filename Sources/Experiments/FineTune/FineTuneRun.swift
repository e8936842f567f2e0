import Checkpoints
import Foundation
import NN
import TensorCore
import Vision

/// How a run ended.
public enum FineTuneOutcome: Sendable, Equatable {
  /// Every phase ran; the test results are written.
  case finished(testAccuracy: Double)
  /// Stopped at a safe point (Ctrl-C); `--resume` continues from there.
  case interrupted(epoch: Int, batch: Int)
}

/// Part 4 end to end in one run folder: features computed once (or reused from the cache),
/// the head trained on them with validation and the best model kept, optionally the whole
/// network unfrozen, then the test set evaluated and every result written.
///
/// The folder holds `config.json`, `run.log`, `metrics.csv`/`.jsonl`, `state.safetensors` (to
/// resume), `best.safetensors` (the kept model, loadable by PyTorch), `curves.png`/`.svg`,
/// `test.md`/`test.json` and `results.html`. Every file is written atomically; the state is
/// saved after each epoch and when a stop is requested, so nothing is lost by an interruption.
public final class FineTuneRun {
  /// The settings.
  public let configuration: FineTuneConfiguration
  /// The run folder.
  public let directory: URL
  /// Checked between batches; set by Ctrl-C.
  public let stop: StopRequest
  /// Receives every message line (the CLI prints them); they also go to `run.log`.
  public var output: (String) -> Void = { print($0) }
  /// Whether to draw progress lines on standard error.
  public var showsProgress = true
  /// Test for interruption: stop after this many training batches in this process.
  public var stopAfterBatches: Int?
  /// Set by `resuming(directory:headEpochs:)` when the run grows to more head epochs.
  var growsHeadEpochs = false

  private var batchesThisProcess = 0
  private var lock: RunFolderLock?

  /// The files of a run folder.
  public enum File {
    /// The configuration.
    public static let config = "config.json"
    /// The resumable state.
    public static let state = "state.safetensors"
    /// The kept model.
    public static let best = "best.safetensors"
    /// Per-epoch metrics.
    public static let metrics = "metrics.csv"
    /// The HTML results page.
    public static let results = "results.html"
    /// Test-set results, machine-readable.
    public static let test = "test.json"
    /// The configuration the run was started with, canonical JSON: `--resume` compares the
    /// folder's `config.json` against it (and against the state's copy) and refuses an edit.
    public static let startedWith = ".config-started.json"
  }

  /// A run of `configuration` in `directory`.
  public init(configuration: FineTuneConfiguration, directory: URL, stop: StopRequest = .init()) {
    self.configuration = configuration
    self.directory = directory
    self.stop = stop
  }

  func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

  /// Says `line` and appends it to `run.log`.
  func say(_ line: String) {
    output(line)
    let data = Data((line + "\n").utf8)
    let log = url("run.log")
    if let handle = try? FileHandle(forWritingTo: log) {
      defer { try? handle.close() }
      _ = try? handle.seekToEnd()
      try? handle.write(contentsOf: data)
    } else {
      try? data.write(to: log)
    }
  }

  func progressLine(_ label: String, total: Int, unit: String = "img") -> ProgressLine? {
    showsProgress ? ProgressLine(label, total: total, unit: unit) : nil
  }

  /// Runs (or, with `resume`, continues) the whole pipeline.
  ///
  /// - Throws: `FineTuneError` (configuration, a folder holding another run), the dataset's,
  ///   weights' and cache's errors, `HeadTrainingError` on divergence (the best model so far
  ///   stays in `best.safetensors`), write errors naming the file.
  public func run(resume: Bool = false) throws -> FineTuneOutcome {
    try configuration.validate()
    // Datasets, weights and the memory check first: a configuration that cannot run leaves no
    // run folder behind.
    let inputs = try FineTuneInputs(configuration)
    let fileManager = FileManager.default
    let stateFile = url(File.state)
    if resume {
      guard fileManager.fileExists(atPath: url(File.config).path) else {
        throw FineTuneError(
          "\(directory.path) has no \(File.config): it is not a classify finetune run folder")
      }
    } else {
      // Refused before anything is written: not even a lock file goes into someone's folder.
      try checkNoEarlierFiles()
      do {
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
      } catch {
        throw FineTuneError(
          "cannot create the run folder \(directory.path); choose another --run-dir")
      }
    }
    // Held while this call runs: no second process writes into the folder meanwhile.
    lock = try RunFolderLock(folder: directory)
    defer { lock = nil }
    if resume {
      try checkResumable()
      if growsHeadEpochs {
        // Under the lock, after the checks: config.json now says how far the run goes.
        try writeAtomically(try configuration.json(), to: url(File.config))
        say("growing \(directory.path) to \(configuration.training.epochs) head epochs")
      }
    } else {
      // Again under the lock: another run may have started between the check and the lock.
      try checkNoEarlierFiles()
      let json = try configuration.json()
      try writeAtomically(json, to: url(File.config))
      try writeAtomically(Data(configuration.canonicalJSON.utf8), to: url(File.startedWith))
    }
    // A run stopped before its first epoch ended (e.g. while computing features) has no state
    // yet: resuming it starts training from the beginning, with the cache it already has.
    let saved =
      resume && fileManager.fileExists(atPath: stateFile.path)
      ? try TrainingStateFile.readProgress(from: stateFile) : nil
    if let saved {
      say(
        "resuming \(directory.path) in the \(saved.phase) phase at epoch \(saved.progress.epoch), batch \(saved.progress.batch)"
      )
    }
    if configuration.usesRandomWeights {
      say("note: the backbone has random (seeded) weights, not ImageNet weights")
    }

    let cacheFolder = URL(fileURLWithPath: configuration.featureCache)
    if configuration.precision != inputs.extractor.backbone.precision {
      say(
        "note: --precision \(configuration.precision.rawValue) needs AVX512-BF16, which this CPU lacks; "
          + "the features are computed in \(inputs.extractor.backbone.precision.rawValue) (exact, slower)"
      )
    } else if configuration.precision == .bf16 && !Precision.bf16IsFasterThanFP32 {
      say(
        "note: this CPU's bf16 dot product (vdpbf16ps) is slower than its fp32 FMA, so --precision bf16 "
          + "runs the bf16-rounded weights through fp32 FMA: features within ~1 % of fp32 at about fp32's speed "
          + "(--precision fp32 is exact and as fast here)")
    }
    if showsProgress { announceCaching(inputs, cacheFolder: cacheFolder) }
    // From here on every stop waits for a batch boundary (features and training alike): the
    // main thread may be inside BLAS, and quitting under it is what crashed before.
    stop.stopsImmediately = false
    var trainCopies: [FeatureCache] = []
    var validation: FeatureCache?
    var test: FeatureCache?
    var flippedTest: FeatureCache?
    var augmentedTests: [FeatureCache] = []
    for job in inputs.allJobs {
      let line = progressLine("\(job.name) features", total: job.indices.count)
      let computed: (cache: FeatureCache, reused: Bool)
      do {
        computed = try inputs.features(
          job, cacheFolder: cacheFolder, progress: { done, _ in line?.update(done) },
          shouldStop: { [stop] in stop.isRequested })
      } catch let stopped as FeatureExtractionStopped {
        line?.finish()
        say(
          "stopped while computing the \(job.name) features (\(stopped.rowsDone) of \(stopped.rows) images); "
            + "the splits finished before are cached. Continue with: classify finetune --resume \(directory.path)"
        )
        return .interrupted(epoch: 0, batch: 0)
      }
      let (cache, reused) = computed
      line?.finish()
      say(
        "\(job.name) features: \(reused ? "reused" : "computed") \(cache.labels.count) × \(cache.key.featureCount) (\(job.file(in: cacheFolder).lastPathComponent))"
      )
      if job.key == inputs.testJob.key {
        test = cache
      } else if job.key == inputs.flippedTestJob?.key {
        flippedTest = cache
      } else if inputs.augmentedTestJobs.contains(where: { $0.key == job.key }) {
        augmentedTests.append(cache)
      } else if job.key == inputs.validationJob?.key {
        validation = cache
      } else {
        trainCopies.append(cache)
      }
    }
    guard let test else { throw FineTuneError("internal: no test features") }

    let specification = try HeadSpecification(parsing: configuration.head)
    let head = specification.build(
      inputFeatures: inputs.extractor.featureCount, classCount: inputs.classNames.count,
      seed: configuration.training.seed)
    // torchvision's `net.fc = head`: the model's own state dict is the checkpoint.
    inputs.model.fc = head
    var state = saved?.progress ?? TrainingProgress()
    var phase = saved?.phase ?? "head"
    // A finished head-only run that grows goes back to its head epochs where it stopped.
    if growsHeadEpochs, phase == "done" { phase = "head" }

    if phase == "head" {
      let trainer = HeadTrainer(
        specification: specification, configuration: configuration.training)
      let optimizer = trainer.makeOptimizer(for: head)
      if saved != nil {
        try TrainingStateFile.restore(
          from: stateFile, modules: [("head", head)], optimizers: [optimizer])
      }
      let outcome = try trainer.train(
        head, optimizer: optimizer, copies: trainCopies, validation: validation,
        classCount: inputs.classNames.count, state: &state,
        hooks: hooks(
          phase: "head", head: head, includesBackbone: false, optimizer: optimizer, inputs: inputs,
          rows: trainCopies[0].labels.count))
      if outcome == .interrupted { return interrupted(state) }
      if HeadTrainer.stopsEarly(state.history, patience: configuration.training.patience),
        let last = state.history.last?.epoch, last < configuration.training.epochs
      {
        say(
          "early stopping after epoch \(last): the validation loss has not improved for \(configuration.training.patience ?? 0) validations"
        )
      }
      phase = configuration.unfreezeEpochs > 0 ? "backbone" : "done"
      state.startEpoch(configuration.training.epochs + 1)
      try TrainingStateFile.write(
        to: stateFile, progress: state, phase: phase, configuration: configuration,
        modules: [("head", head)],
        optimizers: [optimizer])
    }
    if phase == "backbone" {
      let outcome = try trainBackbone(
        head: head, inputs: inputs, state: &state, resumingFrom: saved?.phase == "backbone")
      if outcome == .interrupted { return interrupted(state) }
    }
    let accuracy = try finish(
      inputs: inputs, history: state.history, test: test, flippedTest: flippedTest,
      augmentedTests: augmentedTests)
    return .finished(testAccuracy: accuracy)
  }

  /// A new run writes only into an absent or empty folder (its own lock file aside).
  func checkNoEarlierFiles() throws {
    let earlier = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
      .filter { $0 != RunFolderLock.fileName }.sorted()
    guard earlier.isEmpty else {
      let hint =
        earlier.contains(File.config)
        ? "continue that run with --resume \(directory.path) or choose another --run-dir"
        : "choose another --run-dir (a new or empty folder)"
      throw FineTuneError(
        "\(directory.path) already holds files (\(earlier.prefix(4).joined(separator: ", "))\(earlier.count > 4 ? ", …" : "")); "
          + "a new run never writes into a folder with earlier files: \(hint)")
    }
  }

  /// Writes `data` to `file` atomically, naming the file when it fails.
  func writeAtomically(_ data: Data, to file: URL) throws {
    do { try data.write(to: file, options: .atomic) } catch {
      throw FineTuneError(
        "cannot write \(file.path); check that the folder is writable and the disk has space")
    }
  }

  private func interrupted(_ state: TrainingProgress) -> FineTuneOutcome {
    say(
      "stopped at epoch \(state.epoch), batch \(state.batch); the state is saved. Continue with: classify finetune --resume \(directory.path)"
    )
    return .interrupted(epoch: state.epoch, batch: state.batch)
  }

  /// The loop's hooks: progress line, stop checks, best and state files, metrics files.
  func hooks(
    phase: String, head: Sequential, includesBackbone: Bool, optimizer: any Optimizer,
    inputs: FineTuneInputs, rows: Int
  ) -> TrainingHooks {
    var hooks = TrainingHooks()
    var line: ProgressLine?
    hooks.checkpoint = url(File.best)
    hooks.shouldStop = { [unowned self] in
      batchesThisProcess += 1
      if let limit = stopAfterBatches, batchesThisProcess >= limit { return true }
      return stop.isRequested
    }
    let batchSize = configuration.training.batchSize
    hooks.batchFinished = { [unowned self] done, total in
      if line == nil {
        line = progressLine("\(phase) epoch", total: rows)
      }
      line?.update(done == total ? rows : min(done * batchSize, rows))
      if done == total { line = nil }
    }
    hooks.saveBest = { [unowned self] _, metrics in
      try saveModel(inputs: inputs, includesBackbone: includesBackbone, metrics: metrics)
    }
    hooks.saveState = { [unowned self] progress in
      line?.finish()
      var modules: [(String, any Layer)] = [("head", head)]
      if includesBackbone { modules.append(("backbone", inputs.model)) }
      try TrainingStateFile.write(
        to: url(File.state), progress: progress, phase: phase, configuration: configuration,
        modules: modules,
        optimizers: [optimizer])
      try FineTuneMetrics.writeCSV(progress.history, to: url(File.metrics))
      try FineTuneMetrics.writeJSONLines(progress.history, to: url("metrics.jsonl"))
    }
    hooks.epochFinished = { [unowned self] metrics in
      say(Self.describe(metrics, phase: phase))
    }
    return hooks
  }

  /// One epoch's line.
  static func describe(_ metrics: HeadEpochMetrics, phase: String) -> String {
    var line = String(
      format: "epoch %d (%@)  train loss %.4f  accuracy %.2f %%", metrics.epoch, phase,
      metrics.trainLoss, 100 * metrics.trainAccuracy)
    if let loss = metrics.validationLoss, let accuracy = metrics.validationAccuracy {
      line += String(format: "  validation loss %.4f  accuracy %.2f %%", loss, 100 * accuracy)
    }
    return line
  }

  /// Writes the kept model: the model's state dict (only its head, `fc`, while the backbone is
  /// frozen), with everything needed to rebuild it as metadata.
  func saveModel(inputs: FineTuneInputs, includesBackbone: Bool, metrics: HeadEpochMetrics)
    throws
  {
    let tensors = FineTuneCheckpoint.tensors(of: inputs.model, includesBackbone: includesBackbone)
    var metadata = FineTuneCheckpoint.metadata(
      configuration: configuration, classNames: inputs.classNames,
      weightsFingerprint: inputs.weightsFingerprint, featureCount: inputs.extractor.featureCount,
      includesBackbone: includesBackbone)
    metadata["epoch"] = "\(metrics.epoch)"
    metadata["train_loss"] = "\(metrics.trainLoss)"
    metadata["train_accuracy"] = "\(metrics.trainAccuracy)"
    if let loss = metrics.validationLoss { metadata["validation_loss"] = "\(loss)" }
    if let accuracy = metrics.validationAccuracy {
      metadata["validation_accuracy"] = "\(accuracy)"
    }
    try SafetensorsFile.write(tensors, metadata: metadata, to: url(File.best))
  }
}
