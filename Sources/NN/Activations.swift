import TensorCore

/// `max(x, 0)` element-wise (`nn.ReLU`).
public final class ReLU: Layer {
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true
  /// Creates the layer.
  public init() {}
  /// Applies ReLU.
  public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

/// The logistic function `1/(1+e⁻ˣ)` element-wise (`nn.Sigmoid`).
public final class Sigmoid: Layer {
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true
  /// Creates the layer.
  public init() {}
  /// Applies the logistic function.
  public func callAsFunction(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// Hyperbolic tangent element-wise (`nn.Tanh`).
public final class Tanh: Layer {
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true
  /// Creates the layer.
  public init() {}
  /// Applies tanh.
  public func callAsFunction(_ input: Tensor) -> Tensor { input.tanh() }
}

/// Flattens every axis after the batch axis (`nn.Flatten()`).
public final class Flatten: Layer {
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true
  /// Creates the layer.
  public init() {}
  /// `[N, …] → [N, ∏…]`.
  public func callAsFunction(_ input: Tensor) -> Tensor { input.flattened(from: 1) }
}
