/// Reductions over one axis of an array viewed as `[outer, axis, inner]`.
public enum ReductionKernels {
  /// Sums over the middle axis: `[outer, axis, inner] -> [outer, inner]`, accumulating in Double
  /// so long sums (a mean over 50,000 samples) keep Float precision.
  public static func sum(_ x: [Float], outer: Int, axis: Int, inner: Int) -> [Float] {
    precondition(x.count == outer * axis * inner, "sum: size mismatch")
    var out = [Float](repeating: 0, count: outer * inner)
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        let source = px.baseAddress!
        let target = po.baseAddress!
        if inner == 1 {
          parallelChunks(outer, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(axis, 1))) {
            range in
            for row in range {
              var total = 0.0
              let base = source + row * axis
              for index in 0..<axis { total += Double(base[index]) }
              target[row] = Float(total)
            }
          }
        } else {
          var accumulator = [Double](repeating: 0, count: inner)
          accumulator.withUnsafeMutableBufferPointer { pacc in
            let acc = pacc.baseAddress!
            for row in 0..<outer {
              for index in 0..<inner { acc[index] = 0 }
              for step in 0..<axis {
                let base = source + (row * axis + step) * inner
                for index in 0..<inner { acc[index] += Double(base[index]) }
              }
              for index in 0..<inner { target[row * inner + index] = Float(acc[index]) }
            }
          }
        }
      }
    }
    return out
  }

  /// Maximum and its first index over the middle axis: `[outer, axis, inner] -> [outer, inner]`.
  /// NaN wins, as in PyTorch, so a NaN is never hidden by a max.
  public static func max(_ x: [Float], outer: Int, axis: Int, inner: Int) -> (
    values: [Float], indices: [Int]
  ) {
    precondition(axis > 0 && x.count == outer * axis * inner, "max: size mismatch or empty axis")
    var values = [Float](repeating: 0, count: outer * inner)
    var indices = [Int](repeating: 0, count: outer * inner)
    x.withUnsafeBufferPointer { px in
      for row in 0..<outer {
        for column in 0..<inner {
          var best = px[row * axis * inner + column]
          var bestIndex = 0
          if !best.isNaN {
            for step in 1..<axis {
              let value = px[(row * axis + step) * inner + column]
              if value.isNaN {
                best = value
                bestIndex = step
                break
              }
              if value > best {
                best = value
                bestIndex = step
              }
            }
          }
          values[row * inner + column] = best
          indices[row * inner + column] = bestIndex
        }
      }
    }
    return (values, indices)
  }

  /// Plain nested-loop sum: the oracle for `sum`.
  public static func naiveSum(_ x: [Float], outer: Int, axis: Int, inner: Int) -> [Float] {
    var out = [Float](repeating: 0, count: outer * inner)
    for row in 0..<outer {
      for column in 0..<inner {
        var total = 0.0
        for step in 0..<axis { total += Double(x[(row * axis + step) * inner + column]) }
        out[row * inner + column] = Float(total)
      }
    }
    return out
  }
}
