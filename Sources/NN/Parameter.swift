import TensorCore

/// A trainable tensor, shared by reference between the layer that uses it and the optimizer
/// that updates it (PyTorch's `nn.Parameter`).
///
/// It is a class because identity is the point: the optimizer keeps per-parameter state
/// (momentum, Adam moments) and the tape delivers gradients to exactly this object.
/// A frozen parameter (`requiresGradient = false`) enters computations detached, so it
/// never gets a gradient buffer.
public final class Parameter {
  /// The current value, a leaf of the tape when trainable.
  public private(set) var leaf: Tensor
  /// Whether backward computes a gradient for this parameter.
  public var requiresGradient: Bool

  /// Wraps `value` as a parameter.
  public init(_ value: Tensor, requiresGradient: Bool = true) {
    self.leaf = value.detached.requiringGradient()
    self.requiresGradient = requiresGradient
  }

  /// The value as it should enter a computation: on the tape when trainable and recording.
  public var tensor: Tensor {
    requiresGradient && Autograd.isEnabled ? leaf : leaf.detached
  }

  /// The value (never on the tape).
  public var value: Tensor { leaf.detached }

  /// The shape of the value.
  public var shape: [Int] { leaf.shape }

  /// The gradient accumulated by `backward()`, or nil.
  public var gradient: Tensor? { leaf.gradient }

  /// Replaces the gradient, e.g. after clipping it (`p.grad = …`).
  public func setGradient(_ gradient: Tensor?) { leaf.setGradient(gradient) }

  /// Forgets the accumulated gradient (`optimizer.zero_grad(set_to_none=True)`).
  public func zeroGradient() { leaf.zeroGradient() }

  /// Replaces the values in place; the shape must not change.
  public func assign(_ scalars: [Float]) { leaf.assign(scalars) }

  /// Mutates the values in place (optimizer updates).
  public func update(_ body: (inout [Float]) -> Void) { leaf.withMutableScalars(body) }
}

/// A non-trainable tensor that belongs to a layer's state (BatchNorm running statistics).
public final class Buffer {
  /// The current value.
  public var value: Tensor

  /// Wraps `value` as a buffer.
  public init(_ value: Tensor) { self.value = value }
}
