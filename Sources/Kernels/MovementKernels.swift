/// Data movement: axis permutation, concatenation and slicing of row-major arrays.
public enum MovementKernels {
  /// Returns `x` (shape `shape`) with its axes reordered so that output axis `i` is input axis
  /// `permutation[i]`.
  public static func permute(_ x: [Float], shape: [Int], permutation: [Int]) -> [Float] {
    let rank = shape.count
    precondition(
      permutation.count == rank && Set(permutation) == Set(0..<rank), "permute: bad axes")
    if permutation == Array(0..<rank) { return x }
    let inputStrides = ElementwiseKernels.contiguousStrides(shape)
    let outputShape = permutation.map { shape[$0] }
    let gatherStrides = permutation.map { inputStrides[$0] }
    // Reuse the strided walker: multiplying by 1 is exact.
    return ElementwiseKernels.binary(
      .multiply, x, aStrides: gatherStrides, [1], bStrides: [Int](repeating: 0, count: rank),
      outputShape: outputShape)
  }

  /// Concatenates arrays viewed as `[outer, axis_i, inner]` along the middle axis.
  public static func concatenate(_ parts: [[Float]], outer: Int, axisSizes: [Int], inner: Int)
    -> [Float]
  {
    let total = axisSizes.reduce(0, +)
    var out = [Float]()
    out.reserveCapacity(outer * total * inner)
    for row in 0..<outer {
      for (part, size) in zip(parts, axisSizes) {
        let start = row * size * inner
        out.append(contentsOf: part[start..<(start + size * inner)])
      }
    }
    return out
  }

  /// Takes `[outer, start..<end, inner]` out of `[outer, axis, inner]`.
  public static func slice(_ x: [Float], outer: Int, axis: Int, inner: Int, range: Range<Int>)
    -> [Float]
  {
    precondition(range.lowerBound >= 0 && range.upperBound <= axis, "slice: range out of bounds")
    var out = [Float]()
    out.reserveCapacity(outer * range.count * inner)
    for row in 0..<outer {
      let base = row * axis * inner
      out.append(
        contentsOf: x[(base + range.lowerBound * inner)..<(base + range.upperBound * inner)])
    }
    return out
  }

  /// Gathers rows: `out[i] = x[indices[i]]` for `x` viewed as `[rows, rowSize]`.
  public static func gatherRows(_ x: [Float], rowSize: Int, indices: [Int]) -> [Float] {
    var out = [Float]()
    out.reserveCapacity(indices.count * rowSize)
    for index in indices { out.append(contentsOf: x[(index * rowSize)..<((index + 1) * rowSize)]) }
    return out
  }

  /// Adds rows back: `out[indices[i]] += x[i]`, the adjoint of `gatherRows`.
  public static func scatterAddRows(_ x: [Float], rowSize: Int, indices: [Int], rows: Int)
    -> [Float]
  {
    var out = [Float](repeating: 0, count: rows * rowSize)
    for (position, index) in indices.enumerated() {
      for column in 0..<rowSize { out[index * rowSize + column] += x[position * rowSize + column] }
    }
    return out
  }
}
