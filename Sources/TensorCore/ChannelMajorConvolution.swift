import Kernels

extension Tensor {
  /// `convolved2d` for channel-major activations: `self` is `[C, N, H, W]` (a
  /// `permuted([1, 0, 2, 3])` NCHW batch) and the result `[C_out, N, Ho, Wo]`. A network kept in
  /// this layout runs each 1×1 convolution as one GEMM over the whole batch and never reorders
  /// activations between layers (`ResNetInference`, and `ResNet` in training). One group only.
  /// `filterCache` keeps the Winograd filter transform of a frozen weight across calls.
  ///
  /// Backward, on the whole batch at once: `∂W = G·colᵀ`, `∂x = col2im(Wᵀ·G)`, `∂b = Σ G`, with
  /// `G` masked by `y > 0` when `fusedReLU`; only the gradients of inputs on the tape.
  public func convolvedChannelMajor(
    weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
    fusedReLU: Bool = false, filterCache: WinogradFilterCache? = nil
  ) -> Tensor {
    precondition(rank == 4, "conv2d (channel-major): input must be [C, N, H, W], got \(shape)")
    precondition(
      weight.rank == 4 && weight.shape[1] == shape[0],
      "conv2d (channel-major): input has \(shape[0]) channels, weight is \(weight.shape)")
    precondition(
      bias.map { $0.shape == [weight.shape[0]] } ?? true,
      "conv2d (channel-major): bias must be [\(weight.shape[0])]")
    let geometry = ConvolutionGeometry(
      batch: shape[1], inputChannels: shape[0], inputHeight: shape[2], inputWidth: shape[3],
      outputChannels: weight.shape[0], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
      stride: stride, padding: padding, dilation: dilation)
    precondition(geometry.isValid, "conv2d (channel-major): input \(shape) gives no output")
    let values = ConvolutionKernels.forwardChannelMajor(
      input: scalars, weight: weight.scalars, bias: bias?.scalars, geometry: geometry,
      fusedReLU: fusedReLU, filterCache: filterCache)
    let outputShape = [weight.shape[0], shape[1], geometry.outputHeight, geometry.outputWidth]
    return Tensor.recordConvolution(
      "conv2d(CNHW)", output: values, shape: outputShape, input: self, weight: weight,
      bias: bias, fusedReLU: fusedReLU
    ) { upstream, x, w, needs in
      ConvolutionKernels.backwardChannelMajor(
        gradOutput: upstream, input: x, weight: w, geometry: geometry, needsInput: needs.input,
        needsWeight: needs.weight, needsBias: needs.bias)
    }
  }
}

/// A frozen convolution's cached Winograd filters (see `Kernels.WinogradFilterCache`), named here
/// so that layers above TensorCore can hold one without importing Kernels.
public typealias WinogradFilterCache = Kernels.WinogradFilterCache
