import Kernels

// 2-D pooling of every plane of a rank-4 tensor, forward and backward side by side. Pooling
// works plane by plane, so it serves channel-major `[C, N, H, W]` activations (the layout of the
// spatial ops) and NCHW alike: the first two axes are only a count of planes.

extension Tensor {
  private func poolingGeometry(kernelSize: Int, stride: Int, padding: Int, _ name: String)
    -> PoolingGeometry
  {
    precondition(rank == 4, "\(name): input must be [C, N, H, W], got \(shape)")
    let geometry = PoolingGeometry(
      planes: shape[0] * shape[1], inputHeight: shape[2], inputWidth: shape[3],
      kernelSize: kernelSize, stride: stride, padding: padding)
    precondition(
      geometry.isValid,
      "\(name): kernel \(kernelSize), stride \(stride), padding \(padding) (at most half the kernel) do not fit input \(shape)"
    )
    return geometry
  }

  /// Max over `kernelSize × kernelSize` windows, as `nn.MaxPool2d(kernelSize, stride, padding)`:
  /// padding acts as −∞, `Ho = (H + 2p − k)/s + 1`. `[C, N, H, W] → [C, N, Ho, Wo]`.
  ///
  /// Backward: each output gradient goes to its window's first maximum (PyTorch's tie rule).
  public func maxPooled2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    let geometry = poolingGeometry(
      kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding, "maxPool2d")
    let (values, indices) = PoolingKernels.maxPool(
      scalars, geometry: geometry, withIndices: Autograd.isRecording && node != nil)
    let inputShape = shape
    return Tensor.record(
      "maxPool2d", shape: [shape[0], shape[1], geometry.outputHeight, geometry.outputWidth],
      scalars: values, inputs: [self]
    ) { g in
      [
        Tensor(
          shape: inputShape,
          scalars: PoolingKernels.maxPoolBackward(g.scalars, indices: indices, geometry: geometry))
      ]
    }
  }

  /// Mean over windows, as `nn.AvgPool2d(kernelSize, stride, padding)` (`ceil_mode=False`;
  /// `count_include_pad=True` by default: the divisor counts padding zeros).
  ///
  /// Backward: each output gradient spread evenly over its window, divided the same way.
  public func averagePooled2d(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludingPadding: Bool = true
  ) -> Tensor {
    let geometry = poolingGeometry(
      kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding, "avgPool2d")
    let values = PoolingKernels.averagePool(
      scalars, geometry: geometry, countIncludingPadding: countIncludingPadding)
    let inputShape = shape
    return Tensor.record(
      "avgPool2d", shape: [shape[0], shape[1], geometry.outputHeight, geometry.outputWidth],
      scalars: values, inputs: [self]
    ) { g in
      [
        Tensor(
          shape: inputShape,
          scalars: PoolingKernels.averagePoolBackward(
            g.scalars, geometry: geometry, countIncludingPadding: countIncludingPadding))
      ]
    }
  }

  /// Adaptive average pooling to `outputHeight × outputWidth`, as `nn.AdaptiveAvgPool2d`:
  /// cell `(i, j)` averages rows `floor(i·H/Ho) ..< ceil((i+1)·H/Ho)` and the same rule for
  /// columns. `[C, N, H, W] → [C, N, Ho, Wo]`; `(1, 1)` is a global average.
  ///
  /// Backward: each output gradient spread evenly over its window.
  public func adaptiveAveragePooled2d(outputHeight: Int, outputWidth: Int) -> Tensor {
    precondition(rank == 4, "adaptiveAvgPool2d: input must be [C, N, H, W], got \(shape)")
    precondition(
      outputHeight > 0 && outputWidth > 0 && shape[2] > 0 && shape[3] > 0,
      "adaptiveAvgPool2d: output \(outputHeight)×\(outputWidth) from input \(shape)")
    let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
    let values = PoolingKernels.adaptiveAveragePool(
      scalars, planes: planes, inputHeight: height, inputWidth: width,
      outputHeight: outputHeight, outputWidth: outputWidth)
    let inputShape = shape
    return Tensor.record(
      "adaptiveAvgPool2d", shape: [shape[0], shape[1], outputHeight, outputWidth],
      scalars: values, inputs: [self]
    ) { g in
      [
        Tensor(
          shape: inputShape,
          scalars: PoolingKernels.adaptiveAveragePoolBackward(
            g.scalars, planes: planes, inputHeight: height, inputWidth: width,
            outputHeight: outputHeight, outputWidth: outputWidth))
      ]
    }
  }
}
