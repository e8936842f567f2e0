import Kernels

// 2-D convolution, forward and backward side by side.

extension Tensor {
  /// 2-D cross-correlation of NHWC `self` with `weight`, as `torch.nn.functional.conv2d` on the
  /// NCHW view: `y[n, i, j, o] = b[o] + Σ_{c, u, v} x[n, i·s − p + u·d, j·s − p + v·d, c] ·
  /// w[o, c, u, v]`; then `max(y, 0)` when `fusedReLU` (the ReLU of a conv → ReLU pair, applied in
  /// the kernel's epilogue instead of a separate pass).
  ///
  /// Shapes: `self: [N, H, W, C]` (NHWC, the one layout of spatial ops: an NCHW batch
  /// `permuted([0, 2, 3, 1])`), `weight: [C_out, C, kH, kW]` (PyTorch's), `bias: [C_out]` →
  /// `[N, Ho, Wo, C_out]`, `Ho = (H + 2p − d·(kH − 1) − 1)/s + 1`. Stride, padding and dilation
  /// apply to both axes; the kernel may be rectangular.
  ///
  /// `outputScale: [C_out]` multiplies each output channel before the bias (a batch norm folded
  /// into the convolution: the layer keeps the weight it was folded from; a constant, never
  /// differentiated). `frozen` (an inference layer's `FrozenWeight` holding this very weight)
  /// keeps what the kernels derive from the weight across calls.
  ///
  /// Backward, on the whole batch at once: `∂W = Gᵀ·col`, `∂x = col2im(G·W)`, `∂b = Σ G`, with
  /// `G` masked by `y > 0` when `fusedReLU`. Only the gradients of inputs on the tape are computed
  /// (an image batch entering the first layer never gets one).
  public func convolved2d(
    weight: Tensor, bias: Tensor? = nil, outputScale: Tensor? = nil, stride: Int = 1,
    padding: Int = 0, dilation: Int = 1, fusedReLU: Bool = false, frozen: FrozenWeight? = nil
  ) -> Tensor {
    let geometry = convolutionGeometry(
      weight: weight, bias: bias, outputScale: outputScale, stride: stride, padding: padding,
      dilation: dilation)
    let scale = outputScale?.scalars
    let values = ConvolutionKernels.forward(
      input: scalars, weight: weight.scalars, bias: bias?.scalars, geometry: geometry,
      outputScale: scale, fusedReLU: fusedReLU, frozen: frozen)
    let outputShape = [shape[0], geometry.outputHeight, geometry.outputWidth, weight.shape[0]]
    return Tensor.recordConvolution(
      output: values, shape: outputShape, input: self, weight: weight, bias: bias,
      fusedReLU: fusedReLU
    ) { upstream, x, w, needs in
      // Through the scale first: ∂(s ⊙ y)/∂y = s, per output channel; the bias's gradient is
      // the upstream one, unscaled.
      let scaled = scale.map { ConvolutionKernels.scaledChannels(upstream, by: $0) } ?? upstream
      var gradients = ConvolutionKernels.backward(
        gradOutput: scaled, input: x, weight: w, geometry: geometry, needsInput: needs.input,
        needsWeight: needs.weight, needsBias: needs.bias && scale == nil)
      if scale != nil, needs.bias {
        gradients.bias =
          ConvolutionKernels.backward(
            gradOutput: upstream, input: x, weight: w, geometry: geometry, needsInput: false,
            needsWeight: false, needsBias: true
          ).bias
      }
      return gradients
    }
  }

  /// `relu(conv2d(self, weight) + bias + residual)` for inference (nothing on the tape): the
  /// last convolution of a residual block with its shortcut sum and ReLU, fused into the convolution's
  /// store of the output, so the sum costs no pass of its own. `residual` has the output's shape.
  public func convolved2dAddingReLU(
    _ residual: Tensor, weight: Tensor, bias: Tensor? = nil, outputScale: Tensor? = nil,
    stride: Int = 1, padding: Int = 0, dilation: Int = 1, frozen: FrozenWeight? = nil
  ) -> Tensor {
    precondition(
      !requiresGradient && !weight.requiresGradient && !residual.requiresGradient
        && !(bias?.requiresGradient ?? false),
      "convolved2dAddingReLU: for inference only (nothing on the tape)")
    let geometry = convolutionGeometry(
      weight: weight, bias: bias, outputScale: outputScale, stride: stride, padding: padding,
      dilation: dilation)
    let outputShape = [shape[0], geometry.outputHeight, geometry.outputWidth, weight.shape[0]]
    precondition(
      residual.shape == outputShape,
      "convolved2dAddingReLU: residual \(residual.shape), output \(outputShape)")
    let values = ConvolutionKernels.forward(
      input: scalars, weight: weight.scalars, bias: bias?.scalars, geometry: geometry,
      outputScale: outputScale?.scalars, fusedReLU: true, residual: residual.scalars,
      frozen: frozen)
    return Tensor(shape: outputShape, scalars: values)
  }

  /// The geometry of convolving `self` with `weight` (and `bias`, `outputScale`), after checking
  /// their shapes.
  private func convolutionGeometry(
    weight: Tensor, bias: Tensor?, outputScale: Tensor?, stride: Int, padding: Int,
    dilation: Int
  ) -> ConvolutionGeometry {
    precondition(weight.rank == 4, "conv2d: weight must be [C_out, C, kH, kW], got \(weight.shape)")
    return convolutionGeometry(
      weightShape: weight.shape, bias: bias, outputScale: outputScale, stride: stride,
      padding: padding, dilation: dilation)
  }

  /// The geometry of convolving `self` with a weight of `weightShape` `[C_out, C, kH, kW]`.
  private func convolutionGeometry(
    weightShape: [Int], bias: Tensor?, outputScale: Tensor?, stride: Int, padding: Int,
    dilation: Int
  ) -> ConvolutionGeometry {
    precondition(rank == 4, "conv2d: input must be [N, H, W, C], got \(shape)")
    precondition(
      weightShape.count == 4 && weightShape[1] == shape[3],
      "conv2d: input has \(shape[3]) channels, weight is \(weightShape)")
    precondition(
      bias.map { $0.shape == [weightShape[0]] } ?? true,
      "conv2d: bias must be [\(weightShape[0])], got \(bias?.shape ?? [])")
    precondition(
      outputScale.map { $0.shape == [weightShape[0]] } ?? true,
      "conv2d: outputScale must be [\(weightShape[0])], got \(outputScale?.shape ?? [])")
    let geometry = ConvolutionGeometry(
      batch: shape[0], inputChannels: shape[3], inputHeight: shape[1], inputWidth: shape[2],
      outputChannels: weightShape[0], kernelHeight: weightShape[2], kernelWidth: weightShape[3],
      stride: stride, padding: padding, dilation: dilation)
    precondition(
      geometry.isValid,
      "conv2d: input \(shape), weight \(weightShape), stride \(stride), padding \(padding), dilation \(dilation) give no output"
    )
    return geometry
  }

  /// `convolved2d` (or with `residual`, `convolved2dAddingReLU`) with a frozen weight the caller
  /// holds no tensor of, `weightShape` `[C_out, C, kH, kW]`: a compact bf16 weight
  /// (`FrozenWeight(packing:…)`) runs on its packed form alone. When `self` is on the tape, the
  /// weight is unpacked and the differentiable convolution runs on it (in fp32), so the input's
  /// gradient is never lost.
  public func convolved2d(
    frozen: FrozenWeight, weightShape: [Int], bias: Tensor? = nil, outputScale: Tensor? = nil,
    stride: Int = 1, padding: Int = 0, dilation: Int = 1, fusedReLU: Bool = false,
    addingReLU residual: Tensor? = nil
  ) -> Tensor {
    let recording =
      Autograd.isEnabled && (node != nil || residual?.node != nil || bias?.node != nil)
    if recording || !frozen.isCompact {
      let weight = Tensor(shape: weightShape, scalars: frozen.values)
      if let residual {
        return convolved2dAddingReLU(
          residual, weight: weight, bias: bias, outputScale: outputScale, stride: stride,
          padding: padding, dilation: dilation, frozen: frozen)
      }
      return convolved2d(
        weight: weight, bias: bias, outputScale: outputScale, stride: stride, padding: padding,
        dilation: dilation, fusedReLU: fusedReLU, frozen: frozen)
    }
    let geometry = convolutionGeometry(
      weightShape: weightShape, bias: bias, outputScale: outputScale, stride: stride,
      padding: padding, dilation: dilation)
    let outputShape = [shape[0], geometry.outputHeight, geometry.outputWidth, weightShape[0]]
    if let residual {
      precondition(
        residual.shape == outputShape,
        "convolved2dAddingReLU: residual \(residual.shape), output \(outputShape)")
    }
    let values = ConvolutionKernels.forward(
      input: scalars, frozen: frozen, bias: bias?.scalars, geometry: geometry,
      outputScale: outputScale?.scalars, fusedReLU: fusedReLU || residual != nil,
      residual: residual?.scalars)
    return Tensor(shape: outputShape, scalars: values)
  }

  /// The gradients a convolution kernel returns, optional where not asked for.
  typealias ConvolutionGradients = (input: [Float]?, weight: [Float]?, bias: [Float]?)

  /// Records a convolution's output on the tape. The pullback masks the
  /// upstream gradient by `values > 0` when `fusedReLU`, asks `backward` for the gradients of
  /// the inputs that are on the tape, and shapes them as the input, weight and bias.
  static func recordConvolution(
    output values: [Float], shape outputShape: [Int], input: Tensor,
    weight: Tensor, bias: Tensor?, fusedReLU: Bool,
    backward:
      @escaping (
        _ upstream: [Float], _ input: [Float], _ weight: [Float],
        _ needs: (input: Bool, weight: Bool, bias: Bool)
      ) -> ConvolutionGradients
  ) -> Tensor {
    let recording = Autograd.isEnabled
    let needs = (
      input: recording && input.node != nil, weight: recording && weight.node != nil,
      bias: recording && bias?.node != nil
    )
    guard needs.input || needs.weight || needs.bias else {
      return Tensor(shape: outputShape, scalars: values)
    }
    let x = input.detached
    let w = weight.detached
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    return Tensor.record("conv2d", shape: outputShape, scalars: values, inputs: inputs) { g in
      let upstream =
        fusedReLU ? ElementwiseKernels.positiveMasked(g.scalars, by: values) : g.scalars
      let gradients = backward(upstream, x.scalars, w.scalars, needs)
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

/// A frozen convolution weight with what the kernels derive from it (see `Kernels.FrozenWeight`),
/// named here so that layers above TensorCore can hold one without importing Kernels.
public typealias FrozenWeight = Kernels.FrozenWeight

/// fp32 or bf16 for a frozen layer's convolutions (see `Kernels.Precision`).
public typealias Precision = Kernels.Precision
