import ArgumentParser
import Dispatch
import Experiments
import Foundation
import Vision

/// `classify finetune`: Part 4 — a new head on a frozen ResNet, optionally unfrozen after.
struct FineTuneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "finetune",
    abstract: "Part 4: train a new head on a (frozen) ResNet-50 backbone, with every extension.",
    discussion: """
      Defaults reproduce the provided code's model and optimiser — head Linear(2048, 32) → \
      Dropout(0.5) → Linear(32, 10), cross-entropy, SGD lr 0.001 momentum 0.9, 10 epochs — with \
      three improvements: the frozen backbone runs in evaluation mode (its batch norm uses \
      ImageNet statistics), batches of 64, and CIFAR's native 32×32 input. --resize 224 \
      --batch-size 4 reproduce the original.

      The backbone's features of the training, validation and test images are computed once and \
      cached in --feature-cache (keyed by the fingerprints of weights, data, split and \
      transform); head epochs then take seconds. With --augment, --augment-copies K augmented \
      copies of the training features are cached and epoch e trains on copy (e−1) mod K. \
      --unfreeze-epochs N then trains the whole network on images.

      The run folder (--run-dir) gets config.json, run.log, metrics.csv/.jsonl, best.safetensors \
      (the best model by validation accuracy, loadable by PyTorch), state.safetensors, \
      curves.png, test.md/test.json and results.html. Ctrl-C finishes the current batch, saves \
      and exits; --resume RUN_DIR continues exactly there.
      """
  )

  @OptionGroup var global: GlobalOptions
  @OptionGroup var options: FineTuneOptions

  @Option(help: "Output folder (default runs/finetune-<date>-<time>).")
  var runDir: String?

  @Option(
    help:
      "Continue the run in this folder with its own settings; with --epochs N a finished or interrupted run grows to N head epochs."
  )
  var resume: String?

  @Flag(help: "First download the dataset and the weights when they are missing.")
  var download = false

  func run() throws {
    try global.apply()
    let stop = StopRequest()
    let signals = Self.handleInterrupts(stop)
    defer { signals.cancel() }
    let run: FineTuneRun
    if let resume {
      // Options that cannot apply to a resumed run are refused, not silently ignored.
      if runDir != nil {
        throw ValidationError(
          "--run-dir does not go with --resume: the run continues in its own folder, \(resume)")
      }
      if download {
        throw ValidationError(
          "--download does not go with --resume: fetch the data first (classify data download), then resume"
        )
      }
      run = try FineTuneRun.resuming(
        directory: URL(fileURLWithPath: resume), stop: stop, headEpochs: try grownEpochs())
    } else {
      if download { try fetchMissing() }
      let formatter = DateFormatter()
      formatter.dateFormat = "yyyyMMdd-HHmmss"
      let folder = runDir ?? "runs/finetune-\(formatter.string(from: Date()))"
      let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
      run = FineTuneRun(
        configuration: try options.configuration().resolvingPaths(against: current),
        directory: URL(fileURLWithPath: folder).standardizedFileURL, stop: stop)
    }
    // Unbuffered, so that lines and errors (standard error) appear in order in logs.
    run.output = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
    switch try run.run(resume: resume != nil) {
    case .finished: break
    case .interrupted: throw ExitCode(130)
    }
  }

  /// With `--resume`, the head epochs asked for (`--epochs`), or nil. Any other setting given is
  /// refused by name: the run keeps its own, and a silently ignored option would look applied.
  func grownEpochs() throws -> Int? {
    let given = try options.configuration()
    let defaults = try FineTuneOptions.parse([]).configuration()
    let changed = FineTuneConfiguration.changedFields(
      from: defaults.canonicalJSON, to: given.canonicalJSON)
    let others = changed.filter { $0 != "epochs" }
    guard others.isEmpty else {
      throw ValidationError(
        "--resume continues a run with its own settings; drop \(others.map(Self.option).joined(separator: ", ")) "
          + "(only --epochs may be given, to grow the run), or start a new --run-dir with them")
    }
    return changed.contains("epochs") ? given.training.epochs : nil
  }

  /// The command-line spelling of a `config.json` key: `learningRate` → `--learning-rate`.
  static func option(_ key: String) -> String {
    "--" + key.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
  }

  /// `--download`: the catalogued dataset and weights, through `classify data download` and
  /// `classify weights download` (which skip what is already there).
  func fetchMissing() throws {
    let root = URL(fileURLWithPath: (options.root as NSString).expandingTildeInPath)
    if let kind = DatasetKind(rawValue: options.dataset), kind != .folder,
      (try? DatasetOpener.open(kind, root: root, split: .test)) == nil
    {
      let fetch = try DataCommand.Fetch.parse(["--dataset", options.dataset, "--root", root.path])
      try fetch.run()
    }
    if options.weights != "random", (try? WeightsLocator.resolve(options.weights)) == nil {
      let parts = options.weights.split(separator: ":").map(String.init)
      var arguments = [parts[0]]
      if parts.count == 2 { arguments += ["--variant", parts[1]] }
      let fetch = try WeightsCommand.Fetch.parse(arguments)
      try fetch.run()
    }
  }

  /// Ctrl-C: the first asks the run to stop after the current batch (or quits at once where
  /// nothing would be lost); a second quits at once.
  static func handleInterrupts(_ stop: StopRequest) -> DispatchSourceSignal {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler {
      if stop.stopsImmediately || stop.isRequested {
        FileHandle.standardError.write(Data("\ninterrupted; nothing partial was written\n".utf8))
        // `_exit`, not `exit`: exit's clean-up (OpenBLAS's destructors among them) would run
        // while the main thread is still inside a kernel. Every file is written atomically, so
        // nothing half-written is left behind either way.
        _exit(130)
      }
      stop.request()
      FileHandle.standardError.write(
        Data("\nstopping after this batch (Ctrl-C again to quit now)…\n".utf8))
    }
    source.resume()
    return source
  }
}
