import Foundation
import Kernels

// Element-wise primitives, forward and backward side by side.

extension Tensor {
  static func binary(
    _ operation: BinaryOperation, _ name: String, _ lhs: Tensor, _ rhs: Tensor,
    pullback: @escaping (Tensor, Tensor, Tensor, Tensor) -> (Tensor, Tensor)
  ) -> Tensor {
    guard let shape = Broadcasting.shape(lhs.shape, rhs.shape) else {
      preconditionFailure("\(name): shapes \(lhs.shape) and \(rhs.shape) do not broadcast")
    }
    let values = ElementwiseKernels.binary(
      operation, lhs.scalars, aStrides: Broadcasting.strides(of: lhs.shape, broadcastTo: shape),
      rhs.scalars, bStrides: Broadcasting.strides(of: rhs.shape, broadcastTo: shape),
      outputShape: shape)
    let output = Tensor(shape: shape, scalars: values)
    return record(name, shape: shape, scalars: values, inputs: [lhs, rhs]) { gradient in
      let (gl, gr) = pullback(gradient, lhs, rhs, output)
      return [gl.unbroadcast(to: lhs.shape), gr.unbroadcast(to: rhs.shape)]
    }
  }

  /// Element-wise sum with broadcasting. ∂/∂a = 1, ∂/∂b = 1.
  public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
    binary(.add, "add", lhs, rhs) { g, _, _, _ in (g, g) }
  }

  /// Element-wise difference with broadcasting. ∂/∂a = 1, ∂/∂b = −1.
  public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
    binary(.subtract, "subtract", lhs, rhs) { g, _, _, _ in (g, -g) }
  }

  /// Element-wise product with broadcasting. ∂/∂a = b, ∂/∂b = a.
  public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
    binary(.multiply, "multiply", lhs, rhs) { g, a, b, _ in (g * b.detached, g * a.detached) }
  }

  /// Element-wise quotient with broadcasting. ∂/∂a = 1/b, ∂/∂b = −a/b² = −out/b.
  public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
    binary(.divide, "divide", lhs, rhs) { g, _, b, out in
      let gb = g / b.detached
      return (gb, -(gb * out))
    }
  }

  /// Element-wise maximum. The gradient goes to the larger input and is split evenly on ties
  /// (as `torch.maximum`).
  public static func maximum(_ lhs: Tensor, _ rhs: Tensor) -> Tensor {
    binary(.maximum, "maximum", lhs, rhs) { g, a, b, out in
      let left = a.detached.broadcast(to: out.shape).scalars
      let right = b.detached.broadcast(to: out.shape).scalars
      let share = zip(left, right).map { x, y -> Float in x > y ? 1 : (x == y ? 0.5 : 0) }
      let mask = Tensor(shape: out.shape, scalars: share)
      return (g * mask, g * (1 - mask))
    }
  }

  /// Negation.
  public static prefix func - (operand: Tensor) -> Tensor {
    operand.mapWithDerivative(.negate) { g, _, _ in -g }
  }

  // Scalar conveniences (the scalar is a constant).
  /// `tensor + scalar`, broadcast.
  public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs + Tensor(rhs) }
  /// `scalar + tensor`, broadcast.
  public static func + (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) + rhs }
  /// `tensor − scalar`, broadcast.
  public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs - Tensor(rhs) }
  /// `scalar − tensor`, broadcast.
  public static func - (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) - rhs }
  /// `tensor × scalar`, broadcast.
  public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs * Tensor(rhs) }
  /// `scalar × tensor`, broadcast.
  public static func * (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) * rhs }
  /// `tensor ÷ scalar`, broadcast.
  public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs / Tensor(rhs) }
  /// `scalar ÷ tensor`, broadcast.
  public static func / (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) / rhs }

  /// Applies a unary kernel without recording (used inside pullbacks and for masks).
  func map(_ operation: UnaryOperation) -> Tensor {
    Tensor(shape: shape, scalars: ElementwiseKernels.unary(operation, scalars))
  }

  /// Applies a unary kernel and records `derivative(gradient, input, output)` as its pullback.
  func mapWithDerivative(
    _ operation: UnaryOperation, _ derivative: @escaping (Tensor, Tensor, Tensor) -> Tensor
  ) -> Tensor {
    let values = ElementwiseKernels.unary(operation, scalars)
    let input = self.detached
    let output = Tensor(shape: shape, scalars: values)
    return Tensor.record("\(operation)", shape: shape, scalars: values, inputs: [self]) { g in
      [derivative(g, input, output)]
    }
  }

  /// eˣ. Derivative: eˣ.
  public func exp() -> Tensor { mapWithDerivative(.exp) { g, _, y in g * y } }
  /// Natural logarithm. Derivative: 1/x.
  public func log() -> Tensor { mapWithDerivative(.log) { g, x, _ in g / x } }
  /// Square root. Derivative: 1/(2√x).
  public func sqrt() -> Tensor { mapWithDerivative(.sqrt) { g, _, y in g / (2 * y) } }
  /// x². Derivative: 2x.
  public func squared() -> Tensor { mapWithDerivative(.square) { g, x, _ in g * (2 * x) } }
  /// |x|. Derivative: sign(x) (0 at 0, as PyTorch).
  public func abs() -> Tensor {
    mapWithDerivative(.abs) { g, x, _ in g * (x.map(.positiveMask) - (-x).map(.positiveMask)) }
  }
  /// max(x, 0). Derivative: 1 where x > 0 (0 at 0, as PyTorch), applied as one mask pass.
  public func relu() -> Tensor {
    mapWithDerivative(.relu) { g, x, _ in
      Tensor(shape: g.shape, scalars: ElementwiseKernels.positiveMasked(g.scalars, by: x.scalars))
    }
  }
  /// The logistic function 1/(1+e⁻ˣ). Derivative: σ(1−σ).
  public func sigmoid() -> Tensor { mapWithDerivative(.sigmoid) { g, _, y in g * y * (1 - y) } }
  /// Hyperbolic tangent. Derivative: 1 − tanh².
  public func tanh() -> Tensor { mapWithDerivative(.tanh) { g, _, y in g * (1 - y * y) } }
  /// log(1 + eˣ), finite for every x. Derivative: σ(x).
  public func softplus() -> Tensor {
    mapWithDerivative(.softplus) { g, x, _ in g * x.map(.sigmoid) }
  }
  /// log σ(x) = −softplus(−x), finite for every x. Derivative: σ(−x).
  public func logSigmoid() -> Tensor { -((-self).softplus()) }

  /// xᵖ for a constant exponent. Derivative: p·xᵖ⁻¹.
  public func pow(_ exponent: Float) -> Tensor {
    let values = scalars.map { Foundation.pow($0, exponent) }
    let input = detached
    return Tensor.record("pow", shape: shape, scalars: values, inputs: [self]) { g in
      [
        g
          * Tensor(
            shape: input.shape,
            scalars: input.scalars.map { exponent * Foundation.pow($0, exponent - 1) })
      ]
    }
  }

  /// Clamps the values into `[lower, upper]`; the gradient passes only where not clamped.
  public func clamped(lower: Float, upper: Float) -> Tensor {
    let values = scalars.map { Swift.min(Swift.max($0, lower), upper) }
    let input = detached
    return Tensor.record("clamp", shape: shape, scalars: values, inputs: [self]) { g in
      [
        g
          * Tensor(
            shape: input.shape, scalars: input.scalars.map { $0 >= lower && $0 <= upper ? 1 : 0 })
      ]
    }
  }
}

extension Tensor {
  /// `relu(self + other)` for same-shaped tensors in one pass: a residual connection.
  /// Backward: the output gradient masked by `y > 0` goes to both inputs.
  public func addingReLU(_ other: Tensor) -> Tensor {
    precondition(shape == other.shape, "addingReLU: shapes \(shape) and \(other.shape) differ")
    let values = ElementwiseKernels.addReLU(scalars, other.scalars)
    return Tensor.record("addReLU", shape: shape, scalars: values, inputs: [self, other]) { g in
      let masked = Tensor(
        shape: g.shape, scalars: ElementwiseKernels.positiveMasked(g.scalars, by: values))
      return [masked, masked]
    }
  }
}
