import Kernels

// Reductions, forward and backward side by side.

extension Tensor {
  /// Splits the shape around `axis` into the `[outer, axis, inner]` view the kernels use.
  func axisView(_ axis: Int) -> (outer: Int, axis: Int, inner: Int) {
    (
      shape[..<axis].reduce(1, *), shape[axis],
      shape[(axis + 1)...].reduce(1, *)
    )
  }

  /// Normalises a possibly negative axis.
  func normalizedAxis(_ axis: Int) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    precondition(
      resolved >= 0 && resolved < Swift.max(rank, 1), "axis \(axis) out of range for rank \(rank)")
    return resolved
  }

  /// Sum of all elements, as a scalar. Gradient: ones.
  public func sum() -> Tensor {
    let total = scalars.reduce(0.0) { $0 + Double($1) }
    let inputShape = shape
    return Tensor.record("sum", shape: [], scalars: [Float(total)], inputs: [self]) { g in
      [g.broadcast(to: inputShape)]
    }
  }

  /// Mean of all elements, as a scalar.
  public func mean() -> Tensor { sum() / Float(Swift.max(count, 1)) }

  /// Sum along `axes`; removed axes are kept as extent 1 when `keepingDimensions`.
  /// Gradient: the incoming gradient broadcast back over the summed axes.
  public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    let resolved = Set(axes.map(normalizedAxis)).sorted()
    var values = scalars
    var currentShape = shape
    for axis in resolved {
      let (outer, extent, inner) = (
        currentShape[..<axis].reduce(1, *), currentShape[axis],
        currentShape[(axis + 1)...].reduce(1, *)
      )
      values = ReductionKernels.sum(values, outer: outer, axis: extent, inner: inner)
      currentShape[axis] = 1
    }
    let keptShape = currentShape
    let outputShape =
      keepingDimensions
      ? keptShape : shape.enumerated().filter { !resolved.contains($0.offset) }.map(\.element)
    let inputShape = shape
    return Tensor.record("sum", shape: outputShape, scalars: values, inputs: [self]) { g in
      [g.reshaped(to: keptShape).broadcast(to: inputShape)]
    }
  }

  /// Sum along one axis.
  public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
    sum(alongAxes: [axis], keepingDimensions: keepingDimensions)
  }

  /// Mean along `axes`.
  public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    let resolved = Set(axes.map(normalizedAxis))
    let extent = resolved.reduce(1) { $0 * shape[$1] }
    return sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Float(Swift.max(extent, 1))
  }

  /// Mean along one axis.
  public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
    mean(alongAxes: [axis], keepingDimensions: keepingDimensions)
  }

  /// Maximum along one axis. Gradient: to the (first) arg-max position.
  public func max(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
    let resolved = normalizedAxis(axis)
    let view = axisView(resolved)
    let (values, indices) = ReductionKernels.max(
      scalars, outer: view.outer, axis: view.axis, inner: view.inner)
    var keptShape = shape
    keptShape[resolved] = 1
    var outputShape = shape
    outputShape.remove(at: resolved)
    let inputShape = shape
    return Tensor.record(
      "max", shape: keepingDimensions ? keptShape : outputShape, scalars: values, inputs: [self]
    ) { g in
      var spread = [Float](repeating: 0, count: inputShape.reduce(1, *))
      for row in 0..<view.outer {
        for column in 0..<view.inner {
          let lane = row * view.inner + column
          spread[(row * view.axis + indices[lane]) * view.inner + column] = g.scalars[lane]
        }
      }
      return [Tensor(shape: inputShape, scalars: spread)]
    }
  }

  /// Index of the maximum along one axis (first on ties). Not differentiable.
  public func argmax(alongAxis axis: Int) -> [Int] {
    let resolved = normalizedAxis(axis)
    let view = axisView(resolved)
    return ReductionKernels.max(scalars, outer: view.outer, axis: view.axis, inner: view.inner)
      .indices
  }
}
