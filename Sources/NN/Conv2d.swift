import Kernels
import TensorCore

/// A 2-D convolution layer, equivalent to `nn.Conv2d(in, out, kernel_size, stride, padding,
/// dilation, bias=…)` (one group): `y = conv(x, W) + b`, optionally followed by a fused ReLU.
///
/// Activations are NHWC, the one layout of the spatial layers (see `Tensor.convolved2d`):
/// `x: [N, H, W, inputChannels]` → `y: [N, Ho, Wo, outputChannels]`,
/// `Ho = (H + 2·padding − dilation·(k − 1) − 1)/stride + 1`; a model converts from and to
/// PyTorch's NCHW once, at its boundary. `weight: [outputChannels, inputChannels, kH, kW]`
/// (PyTorch's layout, so torchvision checkpoints load unchanged), `bias: [outputChannels]`.
/// State-dict keys: `weight`, `bias`.
///
/// Initialisation equals PyTorch's (`kaiming_uniform_(a=√5)`): `W, b ~ U(−1/√fanIn, 1/√fanIn)`
/// with `fanIn = inputChannels · kH · kW`.
///
/// For inference, `Conv2d.fold(conv:batchNorm:fusedReLU:)` returns one convolution equal to
/// conv → BatchNorm (eval) → ReLU, so a ResNet block costs one convolution pass and no extra
/// memory passes for normalisation or activation. The folded layer shares the convolution's
/// weight and scales its output channels instead (`outputScale`, key `output_scale`), so folding
/// copies no weight.
public final class Conv2d: Layer {
  /// `[outputChannels, inputChannels, kH, kW]`. A compact frozen layer (bf16, see `isCompact`)
  /// keeps no fp32 weight: this is then a new, frozen parameter holding the exact fp32 of its
  /// rounded weight, unpacked on each access (not part of `ownParameters`).
  public var weight: Parameter {
    switch weightStorage {
    case .parameter(let parameter): parameter
    case .compact(let frozen):
      Parameter(Tensor(shape: weightShape, scalars: frozen.values), requiresGradient: false)
    }
  }
  /// Whether the weight enters computations on the tape (a trainable weight while recording);
  /// never for a compact layer. Cheap, unlike `weight` on a compact layer.
  public var weightRequiresGradient: Bool {
    if case .parameter(let parameter) = weightStorage {
      return parameter.tensor.requiresGradient
    }
    return false
  }
  /// How many times a compact layer's weight was unpacked to fp32 (`weight`, or a crop's first
  /// use); 0 for any other layer. A forward through a folded model should add none.
  public var weightUnpacks: Int { frozen?.unpackCount ?? 0 }
  /// The weight's shape, `[outputChannels, inputChannels, kH, kW]`.
  public let weightShape: [Int]
  private let weightStorage: WeightStorage
  /// `[outputChannels]`, or nil without bias.
  public let bias: Parameter?
  /// `[outputChannels]`, multiplying each output channel before the bias: a folded batch norm's
  /// `γ/√(running_var + ε)`; nil for a plain convolution.
  public let outputScale: Buffer?
  /// Step between windows, both axes.
  public let stride: Int
  /// Zero padding on every side.
  public let padding: Int
  /// Spacing between kernel taps.
  public let dilation: Int
  /// Whether `max(·, 0)` is applied in the convolution's epilogue (not part of the state dict).
  public var fusedReLU: Bool
  /// The weight frozen with what the kernels derive from it, for a folded (inference-only)
  /// layer; nil for a trainable one.
  let frozen: FrozenWeight?

  /// Where the weight lives: a parameter, or (a compact frozen layer) only the packed bf16 form
  /// the direct convolution reads, so that a folded bf16 model holds half the bytes of its fp32
  /// weights and none of the fp32 weights themselves.
  private enum WeightStorage {
    case parameter(Parameter)
    case compact(FrozenWeight)
  }

  /// The precision a folded layer multiplies in (nil for a trainable layer, always fp32).
  public var frozenPrecision: Precision? { frozen?.precision }

  /// Whether this frozen layer keeps only its packed bf16 weight (bf16 on a CPU whose direct
  /// convolution runs bf16): its state dict then has no `weight`, and loading one into it is
  /// refused as an unexpected key.
  public var isCompact: Bool { frozen?.isCompact ?? false }
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true

  /// The number of input channels.
  public var inputChannels: Int { weightShape[1] }
  /// The number of output channels.
  public var outputChannels: Int { weightShape[0] }
  /// The kernel's `(height, width)`.
  public var kernelSize: (height: Int, width: Int) { (weightShape[2], weightShape[3]) }

  /// A layer with PyTorch's default random initialisation drawn from `generator`.
  /// `bias` defaults to true, as in PyTorch (ResNet passes false).
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    dilation: Int = 1, bias: Bool = true, generator: inout SeededGenerator
  ) {
    let fanIn = inputChannels * kernelSize * kernelSize
    let bound = 1 / Float(fanIn).squareRoot()
    weightShape = [outputChannels, inputChannels, kernelSize, kernelSize]
    weightStorage = .parameter(
      Parameter(.randomUniform(weightShape, lower: -bound, upper: bound, using: &generator)))
    self.bias =
      bias
      ? Parameter(.randomUniform([outputChannels], lower: -bound, upper: bound, using: &generator))
      : nil
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.fusedReLU = false
    self.outputScale = nil
    self.frozen = nil
  }

  /// A layer with the given `weight: [out, in, kH, kW]`, optional `bias: [out]` and
  /// `outputScale: [out]`; `frozen` makes it an inference-only layer whose weight never changes,
  /// multiplied in that precision (see `FrozenWeight`; bf16 falls back to fp32 on a CPU without
  /// bf16 instructions). A bf16 layer is compact where the CPU allows (`isCompact`): it rounds and
  /// packs `weight` now and keeps only that.
  public init(
    weight: Tensor, bias: Tensor?, outputScale: Tensor? = nil, stride: Int = 1, padding: Int = 0,
    dilation: Int = 1, fusedReLU: Bool = false, frozen: Precision? = nil
  ) {
    precondition(
      weight.rank == 4, "Conv2d: weight must be [out, in, kH, kW], got \(weight.shape)")
    precondition(
      bias.map { $0.shape == [weight.shape[0]] } ?? true,
      "Conv2d: bias must be [\(weight.shape[0])]")
    precondition(
      outputScale.map { $0.shape == [weight.shape[0]] } ?? true,
      "Conv2d: outputScale must be [\(weight.shape[0])]")
    self.weightShape = weight.shape
    self.bias = bias.map { Parameter($0) }
    self.outputScale = outputScale.map { Buffer($0) }
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.fusedReLU = fusedReLU
    let parameter = Parameter(weight)
    let values = parameter.value.scalars
    let frozenWeight = frozen.map {
      FrozenWeight(
        packing: values, outputChannels: weight.shape[0], inputChannels: weight.shape[1],
        kernelHeight: weight.shape[2], kernelWidth: weight.shape[3], precision: $0)
    }
    self.frozen = frozenWeight
    if let frozenWeight, frozenWeight.isCompact {
      weightStorage = .compact(frozenWeight)
    } else {
      weightStorage = .parameter(parameter)
    }
  }

  /// The parameters under PyTorch's keys (a compact layer's weight is no parameter: it keeps
  /// only its packed bf16 form).
  public var ownParameters: [(String, Parameter)] {
    var own: [(String, Parameter)] = []
    if case .parameter(let parameter) = weightStorage { own.append(("weight", parameter)) }
    return own + (bias.map { [("bias", $0)] } ?? [])
  }

  /// A folded layer's output scale.
  public var ownBuffers: [(String, Buffer)] { outputScale.map { [("output_scale", $0)] } ?? [] }

  /// `conv(x, W) + b` (then ReLU when `fusedReLU`) for `x: [N, H, W, C]` → `[N, Ho, Wo, C_out]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    switch weightStorage {
    case .parameter(let parameter):
      input.convolved2d(
        weight: parameter.tensor, bias: bias?.tensor, outputScale: outputScale?.value,
        stride: stride, padding: padding, dilation: dilation, fusedReLU: fusedReLU,
        frozen: frozen)
    case .compact(let frozen):
      input.convolved2d(
        frozen: frozen, weightShape: weightShape, bias: bias?.tensor,
        outputScale: outputScale?.value, stride: stride, padding: padding, dilation: dilation,
        fusedReLU: fusedReLU)
    }
  }

  /// `relu(conv(x, W) + b + shortcut)`, for inference (nothing on the tape): a residual block's
  /// last convolution with the block's sum and ReLU fused into the convolution's output pass.
  public func callAsFunction(_ input: Tensor, addingReLU shortcut: Tensor) -> Tensor {
    switch weightStorage {
    case .parameter(let parameter):
      input.convolved2dAddingReLU(
        shortcut, weight: parameter.tensor, bias: bias?.tensor, outputScale: outputScale?.value,
        stride: stride, padding: padding, dilation: dilation, frozen: frozen)
    case .compact(let frozen):
      input.convolved2d(
        frozen: frozen, weightShape: weightShape, bias: bias?.tensor,
        outputScale: outputScale?.value, stride: stride, padding: padding, dilation: dilation,
        addingReLU: shortcut)
    }
  }

  /// This layer frozen for inference in `precision` (same weights, shared storage), or itself
  /// when it already is.
  public func frozen(in precision: Precision) -> Conv2d {
    if frozen?.precision == precision.effective { return self }
    let copy = Conv2d(
      weight: weight.value, bias: bias?.value, outputScale: outputScale?.value, stride: stride,
      padding: padding, dilation: dilation, fusedReLU: fusedReLU, frozen: precision)
    copy.eval()
    copy.setRequiresGradient(false)
    return copy
  }

  /// One convolution equal to `conv` followed by `batchNorm` in evaluation mode (and ReLU when
  /// `fusedReLU`), multiplied in `precision`: with `s = γ/√(running_var + ε)`, `y[o] = s[o]·(W ∗ x)[o]
  /// + b'[o]` and `b'[o] = β[o] + (b[o] − running_mean[o])·s[o]`. The scale is applied as the convolution
  /// stores its output, so the result shares `conv`'s weight (no copy: a folded model costs no
  /// second set of weights, even while the trainable one is kept), and multiplies by W as PyTorch's
  /// eval-mode conv → BN does. For inference only: the bias and scale are new, frozen tensors, and
  /// the kernels keep what they derive from the weight (`FrozenWeight`).
  public static func fold(
    conv: Conv2d, batchNorm: BatchNorm2d, fusedReLU: Bool = false, precision: Precision = .fp32
  ) -> Conv2d {
    let channels = conv.outputChannels
    precondition(
      batchNorm.featureCount == channels,
      "Conv2d.fold: BatchNorm2d has \(batchNorm.featureCount) features, conv has \(channels) outputs"
    )
    let gamma = batchNorm.weight.value.scalars
    let beta = batchNorm.bias.value.scalars
    let mean = batchNorm.runningMean.value.scalars
    let variance = batchNorm.runningVariance.value.scalars
    let oldBias = conv.bias?.value.scalars ?? [Float](repeating: 0, count: channels)
    let oldScale = conv.outputScale?.value.scalars ?? [Float](repeating: 1, count: channels)
    var scale = [Float](repeating: 0, count: channels)
    var newBias = [Float](repeating: 0, count: channels)
    for channel in 0..<channels {
      let normalising = gamma[channel] / (variance[channel] + batchNorm.epsilon).squareRoot()
      scale[channel] = oldScale[channel] * normalising
      newBias[channel] = beta[channel] + (oldBias[channel] - mean[channel]) * normalising
    }
    let folded = Conv2d(
      weight: conv.weight.value, bias: Tensor(newBias), outputScale: Tensor(scale),
      stride: conv.stride, padding: conv.padding, dilation: conv.dilation, fusedReLU: fusedReLU,
      frozen: precision)
    folded.eval()
    folded.setRequiresGradient(false)
    return folded
  }
}
