import Kernels

// 2-D pooling of NHWC activations (`[N, H, W, C]`, the layout of the spatial ops), forward and
// backward side by side.

extension Tensor {
  private func poolingGeometry(kernelSize: Int, stride: Int, padding: Int, _ name: String)
    -> PoolingGeometry
  {
    precondition(rank == 4, "\(name): input must be [N, H, W, C], got \(shape)")
    let geometry = PoolingGeometry(
      images: shape[0], channels: shape[3], inputHeight: shape[1], inputWidth: shape[2],
      kernelSize: kernelSize, stride: stride, padding: padding)
    precondition(
      geometry.isValid,
      "\(name): kernel \(kernelSize), stride \(stride), padding \(padding) (at most half the kernel) do not fit input \(shape)"
    )
    return geometry
  }

  /// Max over `kernelSize × kernelSize` windows, as `nn.MaxPool2d(kernelSize, stride, padding)`:
  /// padding acts as −∞, `Ho = (H + 2p − k)/s + 1`. `[N, H, W, C] → [N, Ho, Wo, C]`.
  ///
  /// Backward: each output gradient goes to its window's first maximum (PyTorch's tie rule).
  public func maxPooled2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    let geometry = poolingGeometry(
      kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding, "maxPool2d")
    let (values, indices) = PoolingKernels.maxPool(
      scalars, geometry: geometry, withIndices: Autograd.isRecording && node != nil)
    let inputShape = shape
    return Tensor.record(
      "maxPool2d", shape: [shape[0], geometry.outputHeight, geometry.outputWidth, shape[3]],
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
      "avgPool2d", shape: [shape[0], geometry.outputHeight, geometry.outputWidth, shape[3]],
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
  /// columns. `[N, H, W, C] → [N, Ho, Wo, C]`; `(1, 1)` is a global average.
  ///
  /// Backward: each output gradient spread evenly over its window.
  public func adaptiveAveragePooled2d(outputHeight: Int, outputWidth: Int) -> Tensor {
    precondition(rank == 4, "adaptiveAvgPool2d: input must be [N, H, W, C], got \(shape)")
    precondition(
      outputHeight > 0 && outputWidth > 0 && shape[1] > 0 && shape[2] > 0,
      "adaptiveAvgPool2d: output \(outputHeight)×\(outputWidth) from input \(shape)")
    let (images, height, width, channels) = (shape[0], shape[1], shape[2], shape[3])
    let values = PoolingKernels.adaptiveAveragePool(
      scalars, images: images, channels: channels, inputHeight: height, inputWidth: width,
      outputHeight: outputHeight, outputWidth: outputWidth)
    let inputShape = shape
    return Tensor.record(
      "adaptiveAvgPool2d", shape: [shape[0], outputHeight, outputWidth, shape[3]],
      scalars: values, inputs: [self]
    ) { g in
      [
        Tensor(
          shape: inputShape,
          scalars: PoolingKernels.adaptiveAveragePoolBackward(
            g.scalars, images: images, channels: channels, inputHeight: height, inputWidth: width,
            outputHeight: outputHeight, outputWidth: outputWidth))
      ]
    }
  }
}
