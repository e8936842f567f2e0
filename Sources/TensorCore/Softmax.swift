import Kernels

// Softmax and log-softmax, forward and backward side by side.

extension Tensor {
  /// `exp(xᵢ) / Σⱼ exp(xⱼ)` along `axis`, stable for any input.
  /// Backward: `∂x = y ⊙ (g − Σ g ⊙ y)`.
  public func softmax(alongAxis axis: Int = -1) -> Tensor {
    let resolved = normalizedAxis(axis)
    let view = axisView(resolved)
    let values = SoftmaxKernels.softmax(
      scalars, outer: view.outer, axis: view.axis, inner: view.inner, logarithm: false)
    let output = Tensor(shape: shape, scalars: values)
    return Tensor.record("softmax", shape: shape, scalars: values, inputs: [self]) { g in
      let weighted = (g * output).sum(alongAxis: resolved, keepingDimensions: true)
      return [output * (g - weighted)]
    }
  }

  /// `xᵢ − log Σⱼ exp(xⱼ)` along `axis`, finite wherever the inputs are.
  /// Backward: `∂x = g − softmax(x) · Σ g`.
  public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
    let resolved = normalizedAxis(axis)
    let view = axisView(resolved)
    let values = SoftmaxKernels.softmax(
      scalars, outer: view.outer, axis: view.axis, inner: view.inner, logarithm: true)
    let output = Tensor(shape: shape, scalars: values)
    return Tensor.record("logSoftmax", shape: shape, scalars: values, inputs: [self]) { g in
      let total = g.sum(alongAxis: resolved, keepingDimensions: true)
      return [g - output.exp() * total]
    }
  }
}
