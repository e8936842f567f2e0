import TensorCore

/// A fully connected layer: `y = x·Wᵀ + b`.
///
/// Shapes: `x: [N, inputFeatures]` → `y: [N, outputFeatures]`; `weight: [outputFeatures,
/// inputFeatures]` (PyTorch's layout, so checkpoints load as they are).
/// Initialisation equals `nn.Linear`'s: `W, b ~ U(−1/√in, 1/√in)` (kaiming-uniform with a = √5).
/// State-dict keys: `weight`, `bias`.
public final class Linear: Layer {
  /// `[outputFeatures, inputFeatures]`.
  public let weight: Parameter
  /// `[outputFeatures]`, or nil without bias.
  public let bias: Parameter?
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true

  /// The number of input features.
  public var inputFeatures: Int { weight.shape[1] }
  /// The number of output features.
  public var outputFeatures: Int { weight.shape[0] }

  /// A layer with PyTorch's default random initialisation drawn from `generator`.
  public init(
    inputFeatures: Int, outputFeatures: Int, bias: Bool = true, generator: inout SeededGenerator
  ) {
    let bound = 1 / Float(inputFeatures).squareRoot()
    weight = Parameter(
      .randomUniform(
        [outputFeatures, inputFeatures], lower: -bound, upper: bound, using: &generator))
    self.bias =
      bias
      ? Parameter(.randomUniform([outputFeatures], lower: -bound, upper: bound, using: &generator))
      : nil
  }

  /// A layer with the given weight `[out, in]` and optional bias `[out]`.
  public init(weight: Tensor, bias: Tensor?) {
    precondition(weight.rank == 2, "Linear: weight must be [out, in], got \(weight.shape)")
    precondition(
      bias.map { $0.shape == [weight.shape[0]] } ?? true,
      "Linear: bias must be [\(weight.shape[0])]")
    self.weight = Parameter(weight)
    self.bias = bias.map { Parameter($0) }
  }

  /// The weight, then the bias when there is one, under PyTorch's keys.
  public var ownParameters: [(String, Parameter)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `x·Wᵀ + b` for `x: [N, in]` (or `[in]`).
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let x = input.rank == 1 ? input.reshaped(to: [1, input.count]) : input
    let y = x.linear(weight: weight.tensor, bias: bias?.tensor)
    return input.rank == 1 ? y.reshaped(to: [outputFeatures]) : y
  }
}
