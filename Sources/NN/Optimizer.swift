import TensorCore

/// Parameters that share hyper-parameters (PyTorch's `param_groups`): fine-tuning gives the
/// backbone a smaller learning rate than the head by putting them in two groups.
public struct ParameterGroup {
  /// The parameters updated with this group's settings.
  public var parameters: [Parameter]
  /// The learning rate; nil uses the optimizer's default.
  public var learningRate: Float?
  /// The weight decay; nil uses the optimizer's default.
  public var weightDecay: Float?

  /// Creates a group.
  public init(_ parameters: [Parameter], learningRate: Float? = nil, weightDecay: Float? = nil) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.weightDecay = weightDecay
  }
}

/// Updates parameters from their gradients.
public protocol Optimizer: AnyObject {
  /// The groups this optimizer updates.
  var groups: [ParameterGroup] { get set }
  /// Applies one update to every parameter that has a gradient.
  func step()
  /// The names of the per-parameter state tensors (PyTorch's `state_dict()["state"]` keys):
  /// SGD `momentum_buffer`… as `momentum`; Adam `exp_avg`, `exp_avg_sq`, `step`.
  var stateNames: [String] { get }
  /// `parameter`'s state as named tensors (empty before its first step): the record a resumable
  /// checkpoint saves, so a resumed run continues exactly.
  func state(for parameter: Parameter) -> [String: Tensor]
  /// Restores `parameter`'s state from `state(for:)`'s tensors (empty: as before the first
  /// step). Throws `OptimizerStateError` for a missing or mis-shaped tensor.
  func setState(_ state: [String: Tensor], for parameter: Parameter) throws(OptimizerStateError)
}

/// A saved optimizer state that does not fit the parameter it is restored for.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
  /// Which tensor, and what is wrong with it.
  public let description: String
}

extension Optimizer {
  /// Forgets every parameter's gradient.
  public func zeroGradients() {
    for group in groups { for parameter in group.parameters { parameter.zeroGradient() } }
  }
}

/// Per-parameter optimizer state keyed by the parameter's identity.
struct ParameterState<State> {
  private var storage: [ObjectIdentifier: State] = [:]

  subscript(parameter: Parameter) -> State? {
    get { storage[ObjectIdentifier(parameter)] }
    set { storage[ObjectIdentifier(parameter)] = newValue }
  }
}
