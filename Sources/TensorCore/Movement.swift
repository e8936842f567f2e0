import Kernels

// Shape and data-movement primitives, forward and backward side by side.

extension Tensor {
  /// The same elements in a new shape; one extent may be -1 and is inferred. Gradient: reshaped back.
  public func reshaped(to newShape: [Int]) -> Tensor {
    var resolved = newShape
    if let inferred = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) {
        $0 * $1.element
      }
      precondition(
        known > 0 && count % known == 0,
        "reshape: cannot infer -1 in \(newShape) for \(count) elements")
      resolved[inferred] = count / known
    }
    precondition(
      resolved.reduce(1, *) == count,
      "reshape: \(shape) (\(count) elements) cannot become \(newShape)")
    if resolved == shape { return self }
    let original = shape
    return Tensor.record("reshape", shape: resolved, scalars: scalars, inputs: [self]) { g in
      [g.reshaped(to: original)]
    }
  }

  /// Flattens every axis from `startAxis` on into one (`torch.flatten(x, 1)` for `startAxis: 1`).
  public func flattened(from startAxis: Int = 0) -> Tensor {
    let axis = normalizedAxis(startAxis)
    return reshaped(to: Array(shape[..<axis]) + [shape[axis...].reduce(1, *)])
  }

  /// Reorders axes: output axis `i` is input axis `permutation[i]`. Gradient: the inverse permutation.
  public func permuted(_ permutation: [Int]) -> Tensor {
    let values = MovementKernels.permute(scalars, shape: shape, permutation: permutation)
    var inverse = [Int](repeating: 0, count: permutation.count)
    for (index, axis) in permutation.enumerated() { inverse[axis] = index }
    return Tensor.record(
      "permute", shape: permutation.map { shape[$0] }, scalars: values, inputs: [self]
    ) { g in
      [g.permuted(inverse)]
    }
  }

  /// Swaps two axes (the last two by default: a matrix transpose).
  public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
    var permutation = Array(0..<rank)
    permutation.swapAt(normalizedAxis(first), normalizedAxis(second))
    return permuted(permutation)
  }

  /// Stretches extent-1 axes (and prepends axes) to `target`. Gradient: summed back.
  public func broadcast(to target: [Int]) -> Tensor {
    if target == shape { return self }
    precondition(
      Broadcasting.shape(shape, target) == target, "broadcast: \(shape) cannot stretch to \(target)"
    )
    let values = ElementwiseKernels.binary(
      .add, scalars, aStrides: Broadcasting.strides(of: shape, broadcastTo: target), [0],
      bStrides: [Int](repeating: 0, count: target.count), outputShape: target)
    let original = shape
    return Tensor.record("broadcast", shape: target, scalars: values, inputs: [self]) { g in
      [g.unbroadcast(to: original)]
    }
  }

  /// Inserts an axis of extent 1.
  public func expandingDimension(at axis: Int) -> Tensor {
    var newShape = shape
    newShape.insert(1, at: axis < 0 ? axis + rank + 1 : axis)
    return reshaped(to: newShape)
  }

  /// Joins tensors along `axis`; all other extents must match. Gradient: sliced apart.
  public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
    precondition(!tensors.isEmpty, "concatenate: no tensors")
    let first = tensors[0]
    let resolved = first.normalizedAxis(axis)
    for tensor in tensors {
      precondition(
        tensor.rank == first.rank
          && tensor.shape.enumerated().allSatisfy {
            $0.offset == resolved || $0.element == first.shape[$0.offset]
          },
        "concatenate: shape \(tensor.shape) does not match \(first.shape) off axis \(resolved)")
    }
    let sizes = tensors.map { $0.shape[resolved] }
    let view = first.axisView(resolved)
    let values = MovementKernels.concatenate(
      tensors.map(\.scalars), outer: view.outer, axisSizes: sizes, inner: view.inner)
    var outputShape = first.shape
    outputShape[resolved] = sizes.reduce(0, +)
    return record("concatenate", shape: outputShape, scalars: values, inputs: tensors) { g in
      var start = 0
      return sizes.map { size in
        defer { start += size }
        return g.slice(alongAxis: resolved, start..<(start + size))
      }
    }
  }

  /// The sub-range `range` of `axis`. Gradient: placed back into zeros.
  public func slice(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
    let resolved = normalizedAxis(axis)
    let view = axisView(resolved)
    let values = MovementKernels.slice(
      scalars, outer: view.outer, axis: view.axis, inner: view.inner, range: range)
    var outputShape = shape
    outputShape[resolved] = range.count
    let original = shape
    return Tensor.record("slice", shape: outputShape, scalars: values, inputs: [self]) { g in
      var parts: [Tensor] = []
      var before = original
      before[resolved] = range.lowerBound
      var after = original
      after[resolved] = view.axis - range.upperBound
      if range.lowerBound > 0 { parts.append(.zeros(before)) }
      parts.append(g)
      if range.upperBound < view.axis { parts.append(.zeros(after)) }
      return [parts.count == 1 ? g : Tensor.concatenate(parts, alongAxis: resolved)]
    }
  }

  /// Rows `indices` of axis 0 (`x[indices]` in PyTorch), repeats allowed. Gradient: scatter-added back.
  public func gatherRows(_ indices: [Int]) -> Tensor {
    precondition(rank >= 1, "gatherRows: needs rank ≥ 1")
    let rows = shape[0]
    precondition(
      indices.allSatisfy { $0 >= 0 && $0 < rows }, "gatherRows: index out of range 0..<\(rows)")
    let rowSize = rows == 0 ? 0 : count / rows
    let values = MovementKernels.gatherRows(scalars, rowSize: rowSize, indices: indices)
    let original = shape
    return Tensor.record(
      "gatherRows", shape: [indices.count] + shape.dropFirst(), scalars: values, inputs: [self]
    ) { g in
      [
        Tensor(
          shape: original,
          scalars: MovementKernels.scatterAddRows(
            g.scalars, rowSize: rowSize, indices: indices, rows: rows))
      ]
    }
  }
}
