import TensorCore

/// Batch normalisation over the channels of NHWC activations (the last axis), equivalent to
/// `nn.BatchNorm2d(featureCount, eps=1e-5, momentum=0.1)`:
/// `y = γ·(x − μ)/√(σ² + ε) + β`.
///
/// Training mode normalises with the batch's mean and *biased* variance over `N·H·W` and then
/// updates `running = (1 − momentum)·running + momentum·batch`, where the running variance
/// takes the *unbiased* batch variance (`σ²·M/(M − 1)`, `M = N·H·W`), exactly as PyTorch does;
/// `numBatchesTracked` counts the updates. Evaluation mode normalises with the running
/// statistics (a per-channel affine map).
///
/// Shapes: `x: [N, H, W, featureCount]` → same (the layout of the spatial layers; see `Conv2d`). Initialisation: `γ = 1`, `β = 0`,
/// running mean 0, running variance 1. State-dict keys: `weight`, `bias` (parameters),
/// `running_mean`, `running_var`, `num_batches_tracked` (buffers).
public final class BatchNorm2d: Layer {
  /// γ, `[featureCount]`.
  public let weight: Parameter
  /// β, `[featureCount]`.
  public let bias: Parameter
  /// `running_mean`, `[featureCount]`.
  public let runningMean: Buffer
  /// `running_var`, `[featureCount]`.
  public let runningVariance: Buffer
  /// `num_batches_tracked`, a scalar tensor.
  public let numBatchesTracked: Buffer
  /// ε added to the variance.
  public let epsilon: Float
  /// Weight of the newest batch in the running statistics.
  public let momentum: Float
  /// Training mode: batch statistics and running updates; evaluation: running statistics.
  public var isTraining = true

  /// The number of channels.
  public var featureCount: Int { weight.shape[0] }

  /// A freshly initialised layer (PyTorch's defaults).
  public init(featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
    weight = Parameter(.ones([featureCount]))
    bias = Parameter(.zeros([featureCount]))
    runningMean = Buffer(.zeros([featureCount]))
    runningVariance = Buffer(.ones([featureCount]))
    numBatchesTracked = Buffer(Tensor(0))
    self.epsilon = epsilon
    self.momentum = momentum
  }

  /// The parameters under PyTorch's keys.
  public var ownParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

  /// The buffers under PyTorch's keys.
  public var ownBuffers: [(String, Buffer)] {
    [
      ("running_mean", runningMean), ("running_var", runningVariance),
      ("num_batches_tracked", numBatchesTracked),
    ]
  }

  /// Normalises `x: [N, H, W, C]`; in training mode also updates the running statistics.
  public func callAsFunction(_ input: Tensor) -> Tensor { callAsFunction(input, fusedReLU: false) }

  /// The same, then `max(·, 0)` when `fusedReLU`: a residual body's BN → ReLU in one pass.
  public func callAsFunction(_ input: Tensor, fusedReLU: Bool) -> Tensor {
    precondition(
      input.rank >= 2 && input.shape[input.rank - 1] == featureCount,
      "BatchNorm2d: expected [N, H, W, \(featureCount)], got \(input.shape)")
    guard isTraining else {
      return input.batchNormalized(
        mean: runningMean.value, variance: runningVariance.value, weight: weight.tensor,
        bias: bias.tensor, epsilon: epsilon, fusedReLU: fusedReLU)
    }
    let (output, mean, variance) = input.batchNormalized(
      weight: weight.tensor, bias: bias.tensor, epsilon: epsilon, fusedReLU: fusedReLU)
    let count = Float(input.count / featureCount)
    // PyTorch keeps the unbiased variance in running_var (and raises for a single value).
    let correction = count > 1 ? count / (count - 1) : 1
    let keep = 1 - momentum
    var newMean = runningMean.value.scalars
    var newVariance = runningVariance.value.scalars
    for channel in 0..<featureCount {
      newMean[channel] = keep * newMean[channel] + momentum * mean.scalars[channel]
      newVariance[channel] =
        keep * newVariance[channel] + momentum * variance.scalars[channel] * correction
    }
    runningMean.value = Tensor(shape: [featureCount], scalars: newMean)
    runningVariance.value = Tensor(shape: [featureCount], scalars: newVariance)
    numBatchesTracked.value = Tensor(
      shape: numBatchesTracked.value.shape,
      scalars: numBatchesTracked.value.scalars.map { $0 + 1 })
    return output
  }
}
