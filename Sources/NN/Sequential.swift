import TensorCore

/// Layers applied in order (`nn.Sequential`); children are keyed `0`, `1`, … as in PyTorch.
public final class Sequential: Layer {
  /// The layers, in order.
  public let layers: [any Layer]
  /// Whether the layers are in training mode; set it with `train()` / `eval()`.
  public var isTraining = true

  /// Creates the chain.
  public init(_ layers: [any Layer]) { self.layers = layers }

  /// Creates the chain.
  public convenience init(_ layers: any Layer...) { self.init(layers) }

  /// The layers under their positions (`0`, `1`, …), as `nn.Sequential` names them.
  public var children: [(String, any Layer)] {
    layers.enumerated().map { ("\($0.offset)", $0.element) }
  }

  /// Applies every layer in turn.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    layers.reduce(input) { $1($0) }
  }
}
