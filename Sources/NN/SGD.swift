import Kernels
import TensorCore

/// Stochastic gradient descent with PyTorch's exact update (`torch.optim.SGD`):
///
///     g ← ∇p + λ·p                                  (weight decay λ)
///     b ← g                      on the first step,
///     b ← μ·b + (1 − τ)·g        afterwards          (momentum μ, dampening τ)
///     g ← g + μ·b  (Nesterov)    or   g ← b
///     p ← p − η·g
///
/// Defaults equal PyTorch's: no momentum, dampening 0, no weight decay, no Nesterov.
public final class SGD: Optimizer {
  /// The parameter groups, each with its own rate and decay.
  public var groups: [ParameterGroup]
  /// Default learning rate η for groups that set none.
  public let learningRate: Float
  /// Momentum μ.
  public let momentum: Float
  /// Dampening τ.
  public let dampening: Float
  /// Default weight decay λ (an L2 penalty λ/2·‖p‖² added through the gradient).
  public let weightDecay: Float
  /// Nesterov momentum.
  public let nesterov: Bool
  private var buffers = ParameterState<[Float]>()

  /// Creates the optimizer over parameter groups.
  public init(
    _ groups: [ParameterGroup], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
    weightDecay: Float = 0, nesterov: Bool = false
  ) {
    precondition(
      !nesterov || (momentum > 0 && dampening == 0),
      "SGD: Nesterov needs momentum > 0 and zero dampening")
    self.groups = groups
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
  }

  /// Creates the optimizer over one group of parameters.
  public convenience init(
    _ parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
    weightDecay: Float = 0, nesterov: Bool = false
  ) {
    self.init(
      [ParameterGroup(parameters)], learningRate: learningRate, momentum: momentum,
      dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
  }

  /// The momentum buffer `b` of `parameter` (nil before its first step): saved with a
  /// training checkpoint so that a resumed run continues exactly.
  public func momentumBuffer(for parameter: Parameter) -> [Float]? { buffers[parameter] }

  /// `momentum`: the buffer `b`.
  public var stateNames: [String] { ["momentum"] }

  /// `["momentum": b]`, or empty before the first step.
  public func state(for parameter: Parameter) -> [String: Tensor] {
    buffers[parameter].map { ["momentum": Tensor(shape: parameter.shape, scalars: $0)] } ?? [:]
  }

  /// Restores the momentum buffer.
  public func setState(_ state: [String: Tensor], for parameter: Parameter)
    throws(OptimizerStateError)
  {
    if let buffer = state["momentum"], buffer.shape != parameter.shape {
      throw OptimizerStateError(
        description: "momentum has shape \(buffer.shape), the parameter \(parameter.shape)")
    }
    buffers[parameter] = state["momentum"]?.scalars
  }

  /// Restores `parameter`'s momentum buffer (nil: as before the first step).
  public func setMomentumBuffer(_ buffer: [Float]?, for parameter: Parameter) {
    precondition(
      buffer == nil || buffer?.count == parameter.value.count,
      "SGD: momentum buffer size differs from the parameter's")
    buffers[parameter] = buffer
  }

  /// One update of every parameter that has a gradient.
  public func step() {
    for group in groups {
      let rate = group.learningRate ?? learningRate
      let decay = group.weightDecay ?? weightDecay
      for parameter in group.parameters {
        guard let gradient = parameter.gradient?.scalars else { continue }
        var buffer = buffers[parameter]
        buffers[parameter] = nil  // The kernel then owns the only reference and updates in place.
        parameter.update { values in
          OptimizerKernels.sgdStep(
            values: &values, gradient: gradient, buffer: &buffer, learningRate: rate,
            momentum: momentum, dampening: dampening, weightDecay: decay, nesterov: nesterov)
        }
        buffers[parameter] = buffer
      }
    }
  }
}
