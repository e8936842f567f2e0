import Foundation
import TensorCore

/// A state dict that does not fit a layer: every missing key, unexpected key and shape mismatch
/// at once, like PyTorch's `load_state_dict` error.
public struct StateDictError: Error, CustomStringConvertible, Equatable, Sendable {
  /// A key present in both with different shapes.
  public struct ShapeMismatch: Equatable, Sendable {
    /// The state-dict key.
    public let key: String
    /// The layer's shape.
    public let expected: [Int]
    /// The loaded tensor's shape.
    public let actual: [Int]
  }

  /// Where the state dict came from (a file path), if known.
  public let source: String?
  /// The layer's keys absent from the state dict (sorted).
  public let missingKeys: [String]
  /// The state dict's keys the layer does not have (sorted).
  public let unexpectedKeys: [String]
  /// Keys whose shapes differ (sorted by key).
  public let shapeMismatches: [ShapeMismatch]

  /// All problems, one per line, with the fix.
  public var description: String {
    var lines = ["\(source.map { "\($0): " } ?? "")state dict does not match the model:"]
    if !missingKeys.isEmpty {
      lines.append("  missing keys: \(missingKeys.joined(separator: ", "))")
    }
    if !unexpectedKeys.isEmpty {
      lines.append("  unexpected keys: \(unexpectedKeys.joined(separator: ", "))")
    }
    for mismatch in shapeMismatches {
      lines.append(
        "  '\(mismatch.key)': model expects shape \(mismatch.expected), checkpoint has \(mismatch.actual)"
      )
    }
    lines.append(
      "Use a checkpoint saved from this architecture (same depth, width and class count): "
        + "export it with `model.state_dict()` from the model it was trained with, or pick the "
        + "matching model or weights file.")
    return lines.joined(separator: "\n")
  }
}

extension Layer {
  /// Every parameter and buffer value under its dotted PyTorch key (`model.state_dict()`).
  public func stateDict() -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for (key, parameter) in namedParameters { result[key] = parameter.value }
    for (key, buffer) in namedBuffers { result[key] = buffer.value.detached }
    return result
  }

  /// Copies `state` into the parameters and buffers (`model.load_state_dict(state, strict=)`).
  ///
  /// Nothing is changed unless the whole state dict fits: all missing keys, unexpected keys and
  /// shape mismatches are reported together in one `StateDictError`. With `strict: false`,
  /// missing and unexpected keys are ignored; shape mismatches are still errors, as in PyTorch.
  ///
  /// BatchNorm's integer `num_batches_tracked` buffers may be absent even with `strict: true`
  /// (a state dict saved as float tensors only drops them); they are set to 0, as PyTorch's
  /// `BatchNorm._load_from_state_dict` fills them in. They do not affect inference, nor training
  /// with a fixed momentum.
  public func loadStateDict(_ state: [String: Tensor], strict: Bool = true, source: String? = nil)
    throws
  {
    let parameters = namedParameters
    let buffers = namedBuffers
    var shapes: [String: [Int]] = [:]
    for (key, parameter) in parameters { shapes[key] = parameter.shape }
    for (key, buffer) in buffers { shapes[key] = buffer.value.shape }
    let counters = Set(buffers.map(\.0).filter { isBatchCounter($0) && state[$0] == nil })
    let missing =
      strict ? shapes.keys.filter { state[$0] == nil && !counters.contains($0) }.sorted() : []
    let unexpected = strict ? state.keys.filter { shapes[$0] == nil }.sorted() : []
    let mismatches = shapes.keys.sorted().compactMap { key -> StateDictError.ShapeMismatch? in
      guard let expected = shapes[key], let actual = state[key]?.shape, actual != expected else {
        return nil
      }
      return StateDictError.ShapeMismatch(key: key, expected: expected, actual: actual)
    }
    guard missing.isEmpty, unexpected.isEmpty, mismatches.isEmpty else {
      throw StateDictError(
        source: source, missingKeys: missing, unexpectedKeys: unexpected,
        shapeMismatches: mismatches)
    }
    for (key, parameter) in parameters {
      if let tensor = state[key] { parameter.assign(tensor.scalars) }
    }
    for (key, buffer) in buffers {
      if let tensor = state[key] {
        buffer.value = tensor.detached
      } else if counters.contains(key) {
        buffer.value = Tensor.zeros(buffer.value.shape)
      }
    }
  }
}

/// Whether `key` names a BatchNorm `num_batches_tracked` counter.
private func isBatchCounter(_ key: String) -> Bool {
  key == "num_batches_tracked" || key.hasSuffix(".num_batches_tracked")
}
