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
      bias == nil || bias!.shape == [weight.shape[0]],
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
    let recording = Autograd.isEnabled
    let (needsInput, needsWeight) = (recording && node != nil, recording && weight.node != nil)
    let needsBias = recording && bias?.node != nil
    guard needsInput || needsWeight || needsBias else {
      return Tensor(shape: outputShape, scalars: values)
    }
    let x = detached
    let w = weight.detached
    let inputs = [self, weight] + (bias.map { [$0] } ?? [])
    return Tensor.record("conv2d(CNHW)", shape: outputShape, scalars: values, inputs: inputs) {
      g in
      let upstream =
        fusedReLU ? ElementwiseKernels.positiveMasked(g.scalars, by: values) : g.scalars
      let gradients = ConvolutionKernels.backwardChannelMajor(
        gradOutput: upstream, input: x.scalars, weight: w.scalars, geometry: geometry,
        needsInput: needsInput, needsWeight: needsWeight, needsBias: needsBias)
      var result: [Tensor?] = [
        gradients.input.map { Tensor(shape: x.shape, scalars: $0) },
        gradients.weight.map { Tensor(shape: w.shape, scalars: $0) },
      ]
      if bias != nil {
        result.append(gradients.bias.map { Tensor(shape: [w.shape[0]], scalars: $0) })
      }
      return result
    }
  }
}

/// A frozen convolution's cached Winograd filters (see `Kernels.WinogradFilterCache`), named here
/// so that layers above TensorCore can hold one without importing Kernels.
public typealias WinogradFilterCache = Kernels.WinogradFilterCache
