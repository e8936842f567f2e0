import Foundation
import NN
import TensorCore

/// A layer's state dict to and from a safetensors file: the layer owns its tensors (NN), the
/// file format lives here, so NN does no file I/O.
extension Layer {
  /// Saves `stateDict()` to a safetensors file (all F32, keys sorted, written atomically).
  public func save(to url: URL, metadata: [String: String] = [:]) throws {
    try SafetensorsFile.write(stateDict(), metadata: metadata, to: url)
  }

  /// Loads a safetensors checkpoint into this layer; see `loadStateDict(_:strict:source:)`.
  public func load(from url: URL, strict: Bool = true) throws {
    let file = try SafetensorsFile.read(from: url)
    try loadStateDict(file.tensors, strict: strict, source: url.path)
  }
}
