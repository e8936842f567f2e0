import TensorCore

/// A differentiable function with state: `y = layer(x)`.
///
/// Layers enumerate their own parameters, buffers and sublayers explicitly, under the
/// state-dict keys PyTorch uses (`weight`, `bias`, `0`, `fc1`), so checkpoints map one-to-one
/// with no reflection. Training mode is an explicit property set recursively by `train()` and
/// `eval()`, never a global.
public protocol Layer: AnyObject {
  /// Applies the layer.
  func callAsFunction(_ input: Tensor) -> Tensor
  /// This layer's own parameters, keyed as in PyTorch (without a prefix).
  var ownParameters: [(String, Parameter)] { get }
  /// This layer's own buffers, keyed as in PyTorch.
  var ownBuffers: [(String, Buffer)] { get }
  /// Direct sublayers with their key.
  var children: [(String, any Layer)] { get }
  /// Whether the layer is in training mode (dropout active, batch statistics in use).
  var isTraining: Bool { get set }
}

extension Layer {
  /// No parameters by default.
  public var ownParameters: [(String, Parameter)] { [] }
  /// No buffers by default.
  public var ownBuffers: [(String, Buffer)] { [] }
  /// No sublayers by default.
  public var children: [(String, any Layer)] { [] }

  /// Every parameter of this layer and its sublayers, with dotted PyTorch keys (`0.weight`).
  public var namedParameters: [(String, Parameter)] {
    ownParameters
      + children.flatMap { name, child in
        child.namedParameters.map { ("\(name).\($0.0)", $0.1) }
      }
  }

  /// Every buffer of this layer and its sublayers, with dotted PyTorch keys.
  public var namedBuffers: [(String, Buffer)] {
    ownBuffers
      + children.flatMap { name, child in
        child.namedBuffers.map { ("\(name).\($0.0)", $0.1) }
      }
  }

  /// All parameters, in state-dict order.
  public var parameters: [Parameter] { namedParameters.map(\.1) }

  /// Sets training mode here and in every sublayer.
  public func train(_ on: Bool = true) {
    isTraining = on
    for (_, child) in children { child.train(on) }
  }

  /// Sets evaluation mode here and in every sublayer.
  public func eval() { train(false) }

  /// Marks every parameter trainable or frozen (`requires_grad_`).
  public func setRequiresGradient(_ on: Bool) {
    for parameter in parameters { parameter.requiresGradient = on }
  }

  /// Forgets every parameter's gradient.
  public func zeroGradients() {
    for parameter in parameters { parameter.zeroGradient() }
  }

  /// The number of scalars in all parameters.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}
