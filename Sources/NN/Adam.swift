import Foundation
import TensorCore

/// Adam and AdamW with PyTorch's exact update (`torch.optim.Adam`, `torch.optim.AdamW`):
///
///     AdamW: p ← p·(1 − η·λ)          Adam: g ← ∇p + λ·p
///     m ← β₁·m + (1 − β₁)·g ;  v ← β₂·v + (1 − β₂)·g²   (v̂max ← max(v̂max, v) with AMSGrad)
///     p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Defaults equal PyTorch's: η = 1e-3, β = (0.9, 0.999), ε = 1e-8, λ = 0 for Adam and 1e-2
/// for AdamW.
public final class Adam: Optimizer {
  /// The parameter groups, each with its own rate and decay.
  public var groups: [ParameterGroup]
  /// Default learning rate η.
  public let learningRate: Float
  /// β₁, β₂.
  public let betas: (Float, Float)
  /// ε.
  public let epsilon: Float
  /// Default weight decay λ.
  public let weightDecay: Float
  /// Whether the decay is decoupled from the gradient (AdamW).
  public let decoupledWeightDecay: Bool
  /// Whether to use the AMSGrad variant.
  public let amsgrad: Bool

  private struct Moments {
    var step = 0
    var first: [Float]
    var second: [Float]
    var maximumSecond: [Float]
  }
  private var moments = ParameterState<Moments>()

  /// Creates Adam (or AdamW when `decoupledWeightDecay`) over parameter groups.
  public init(
    _ groups: [ParameterGroup], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
    epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false,
    amsgrad: Bool = false
  ) {
    self.groups = groups
    self.learningRate = learningRate
    self.betas = betas
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.decoupledWeightDecay = decoupledWeightDecay
    self.amsgrad = amsgrad
  }

  /// Adam over one group.
  public convenience init(
    _ parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
    epsilon: Float = 1e-8, weightDecay: Float = 0, amsgrad: Bool = false
  ) {
    self.init(
      [ParameterGroup(parameters)], learningRate: learningRate, betas: betas, epsilon: epsilon,
      weightDecay: weightDecay, amsgrad: amsgrad)
  }

  /// AdamW over one group (`torch.optim.AdamW`, weight decay 1e-2 by default).
  public static func adamW(
    _ parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
    epsilon: Float = 1e-8, weightDecay: Float = 1e-2, amsgrad: Bool = false
  ) -> Adam {
    Adam(
      [ParameterGroup(parameters)], learningRate: learningRate, betas: betas, epsilon: epsilon,
      weightDecay: weightDecay, decoupledWeightDecay: true, amsgrad: amsgrad)
  }

  /// One update of every parameter that has a gradient.
  public func step() {
    let (beta1, beta2) = betas
    for group in groups {
      let rate = group.learningRate ?? learningRate
      let decay = group.weightDecay ?? weightDecay
      for parameter in group.parameters {
        guard let gradient = parameter.gradient?.scalars else { continue }
        let count = gradient.count
        var state =
          moments[parameter]
          ?? Moments(
            first: [Float](repeating: 0, count: count), second: [Float](repeating: 0, count: count),
            maximumSecond: amsgrad ? [Float](repeating: 0, count: count) : [])
        state.step += 1
        let correction1 = 1 - Foundation.pow(beta1, Float(state.step))
        let correction2 = 1 - Foundation.pow(beta2, Float(state.step))
        let stepSize = rate / correction1
        let correction2Root = correction2.squareRoot()
        parameter.update { values in
          for i in 0..<count {
            var g = gradient[i]
            if decay != 0 {
              if decoupledWeightDecay {
                values[i] *= 1 - rate * decay
              } else {
                g += decay * values[i]
              }
            }
            state.first[i] += (g - state.first[i]) * (1 - beta1)
            state.second[i] = state.second[i] * beta2 + (1 - beta2) * g * g
            var second = state.second[i]
            if amsgrad {
              state.maximumSecond[i] = Swift.max(state.maximumSecond[i], second)
              second = state.maximumSecond[i]
            }
            let denominator = second.squareRoot() / correction2Root + epsilon
            values[i] -= stepSize * state.first[i] / denominator
          }
        }
        moments[parameter] = state
      }
    }
  }

  /// PyTorch's names: the step count `step`, the moments `exp_avg`, `exp_avg_sq` and, with
  /// AMSGrad, `max_exp_avg_sq`.
  public var stateNames: [String] {
    ["step", "exp_avg", "exp_avg_sq"] + (amsgrad ? ["max_exp_avg_sq"] : [])
  }

  /// The moments and step count of `parameter`, or empty before its first step.
  public func state(for parameter: Parameter) -> [String: Tensor] {
    guard let state = moments[parameter] else { return [:] }
    var tensors = [
      "step": Tensor([Float(state.step)]),
      "exp_avg": Tensor(shape: parameter.shape, scalars: state.first),
      "exp_avg_sq": Tensor(shape: parameter.shape, scalars: state.second),
    ]
    if amsgrad {
      tensors["max_exp_avg_sq"] = Tensor(shape: parameter.shape, scalars: state.maximumSecond)
    }
    return tensors
  }

  /// Restores the moments and step count (all of them, or none).
  public func setState(_ state: [String: Tensor], for parameter: Parameter)
    throws(OptimizerStateError)
  {
    guard !state.isEmpty else {
      moments[parameter] = nil
      return
    }
    for name in stateNames where name != "step" {
      guard state[name]?.shape == parameter.shape else {
        throw OptimizerStateError(
          description: "\(name) is missing or not of the parameter's shape \(parameter.shape)")
      }
    }
    guard let step = state["step"]?.scalars.first, step >= 1, step == step.rounded(),
      step < 1e9
    else {
      throw OptimizerStateError(description: "step is missing or not a positive whole number")
    }
    moments[parameter] = Moments(
      step: Int(step), first: state["exp_avg"]?.scalars ?? [],
      second: state["exp_avg_sq"]?.scalars ?? [],
      maximumSecond: state["max_exp_avg_sq"]?.scalars ?? [])
  }
}
