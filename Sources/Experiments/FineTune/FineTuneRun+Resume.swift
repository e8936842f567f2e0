import Foundation

/// `--resume`: reopening a run folder, growing it to more head epochs, and refusing an edited
/// configuration.
extension FineTuneRun {
  /// The run in `directory`, with the configuration it was started with (for `--resume`).
  ///
  /// `headEpochs` grows the run (`--resume RUN --epochs N`): a finished or interrupted run of
  /// E head epochs continues to N ≥ E, exactly as a run started with N would have gone (the same
  /// shuffles, dropout masks and momentum); `config.json` then says N. Refused for a run that
  /// unfreezes the backbone (its head epochs are over once the backbone trains) and for N < E.
  public static func resuming(
    directory: URL, stop: StopRequest = .init(), headEpochs: Int? = nil
  ) throws -> FineTuneRun {
    let file = directory.appendingPathComponent(File.config)
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw FineTuneError(
        "\(directory.path) has no \(File.config): it is not a classify finetune run folder")
    }
    var configuration = try FineTuneConfiguration.read(from: file)
    guard let headEpochs, headEpochs != configuration.training.epochs else {
      return FineTuneRun(configuration: configuration, directory: directory, stop: stop)
    }
    guard headEpochs > configuration.training.epochs else {
      throw FineTuneError(
        "--epochs \(headEpochs): \(directory.path) has \(configuration.training.epochs) head epochs already, and a run only grows; "
          + "start a new --run-dir for fewer")
    }
    guard configuration.unfreezeEpochs == 0 else {
      throw FineTuneError(
        "--epochs: \(directory.path) unfreezes the backbone after its head epochs, so they cannot grow; "
          + "start a new --run-dir with --epochs \(headEpochs)")
    }
    configuration.training.epochs = headEpochs
    let run = FineTuneRun(configuration: configuration, directory: directory, stop: stop)
    run.growsHeadEpochs = true
    return run
  }

  /// Refuses to resume when `config.json` differs from the configuration the run was started
  /// with (as recorded in the state file, or in `.config-started.json` before the first state),
  /// naming the changed fields; or when this run's configuration differs from the folder's.
  func checkResumable() throws {
    var folderConfiguration = try FineTuneConfiguration.read(from: url(File.config))
    // The one change a resume may make: more head epochs (`resuming(directory:headEpochs:)`),
    // also when a growing run was stopped before it recorded the new count.
    let growing = growsHeadEpochs
    let grows = { (fields: [String]) in fields.filter { !(growing && $0 == "epochs") } }
    var recorded: (json: String, source: String)?
    if let json = try TrainingStateFile.recordedConfiguration(in: url(File.state)) {
      recorded = (json, File.state)
    } else if let data = try? Data(contentsOf: url(File.startedWith)) {
      recorded = (String(decoding: data, as: UTF8.self), File.startedWith)
    }
    if let recorded {
      let changed = grows(
        FineTuneConfiguration.changedFields(
          from: recorded.json, to: folderConfiguration.canonicalJSON))
      guard changed.isEmpty else {
        throw FineTuneError(
          "\(url(File.config).path) was edited after the run started (changed: \(changed.joined(separator: ", "))); "
            + "a resumed run must keep its settings: undo the edit, or start a new --run-dir with the new settings"
        )
      }
    } else {
      say(
        "note: \(directory.path) records no starting configuration (an older run folder); resuming with \(File.config) as it is"
      )
    }
    if growsHeadEpochs { folderConfiguration.training.epochs = configuration.training.epochs }
    let changed = FineTuneConfiguration.changedFields(
      from: folderConfiguration.canonicalJSON, to: configuration.canonicalJSON)
    guard changed.isEmpty else {
      throw FineTuneError(
        "\(directory.path) was started with other settings (\(changed.joined(separator: ", "))); "
          + "resume it without changing them (classify finetune --resume \(directory.path)) or start a new --run-dir"
      )
    }
  }
}
