import Checkpoints
import Foundation
import NN
import TensorCore

/// A run's resumable state, `state.safetensors`: every module's parameters and buffers under
/// `<prefix>.<key>`, the optimizer's state under `<name>.<prefix>.<key>` (SGD's `momentum`,
/// AdamW's `step`, `exp_avg`, `exp_avg_sq`: the optimizer's own record), and the
/// `TrainingProgress` as JSON metadata. Written atomically, so an interruption at any moment
/// leaves either the previous state or the new one.
enum TrainingStateFile {
  static let format = "classify-training-state-1"

  /// Writes the state of `modules` and `optimizers` with `progress` and `phase`.
  static func write(
    to url: URL, progress: TrainingProgress, phase: String,
    configuration: FineTuneConfiguration, modules: [(String, any Layer)],
    optimizers: [any Optimizer]
  ) throws {
    var tensors: [String: Tensor] = [:]
    for (prefix, module) in modules {
      for (key, value) in module.stateDict() { tensors["\(prefix).\(key)"] = value }
      for (key, parameter) in module.namedParameters {
        for optimizer in optimizers {
          for (name, value) in optimizer.state(for: parameter) {
            tensors["\(name).\(prefix).\(key)"] = value
          }
        }
      }
    }
    let metadata = [
      "format": format, "phase": phase, "configuration": configuration.canonicalJSON,
      "progress": String(
        decoding: try FineTuneCheckpoint.sortedEncoder.encode(progress), as: UTF8.self),
    ]
    try SafetensorsFile.write(tensors, metadata: metadata, to: url)
  }

  /// The phase and progress recorded in `url`, without loading any tensor.
  static func readProgress(from url: URL) throws -> (phase: String, progress: TrainingProgress) {
    let file = try SafetensorsFile.read(from: url)
    guard file.metadata["format"] == format, let phase = file.metadata["phase"],
      let json = file.metadata["progress"],
      let progress = try? JSONDecoder().decode(TrainingProgress.self, from: Data(json.utf8))
    else {
      throw FineTuneError(
        "\(url.path) is not a classify training state (no '\(format)' metadata); "
          + "start a new run instead of --resume")
    }
    return (phase, progress)
  }

  /// The canonical configuration JSON the state was saved with; nil when there is no state
  /// file yet, or it predates this record.
  static func recordedConfiguration(in url: URL) throws -> String? {
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    return try SafetensorsFile.read(from: url).metadata["configuration"]
  }

  /// Loads the weights and optimizer state of `modules` from `url` (every key must be present).
  static func restore(
    from url: URL, modules: [(String, any Layer)], optimizers: [any Optimizer]
  ) throws {
    let file = try SafetensorsFile.read(from: url)
    let tensors = file.tensors
    for (prefix, module) in modules {
      var state: [String: Tensor] = [:]
      for (key, value) in tensors where key.hasPrefix(prefix + ".") {
        state[String(key.dropFirst(prefix.count + 1))] = value
      }
      try module.loadStateDict(state, source: url.path)
      for (key, parameter) in module.namedParameters {
        for optimizer in optimizers {
          var state: [String: Tensor] = [:]
          for name in optimizer.stateNames {
            state[name] = tensors["\(name).\(prefix).\(key)"]
          }
          do {
            try optimizer.setState(state, for: parameter)
          } catch {
            throw FineTuneError(
              "\(url.path): the optimizer state of \(prefix).\(key) does not fit: \(error); "
                + "it was not written by this run — start a new run")
          }
        }
      }
    }
  }
}
