import Foundation

/// Numerically stable softmax and log-softmax over the middle axis of `[outer, axis, inner]`.
///
/// Both subtract the maximum before exponentiating, so no input overflows; log-softmax is
/// computed as `x - max - log(sum(exp(x - max)))`, never as `log(softmax)`, so it stays finite
/// even where a probability underflows to zero.
public enum SoftmaxKernels {
  /// `softmax(x)` when `logarithm` is false, `logSoftmax(x)` when true.
  public static func softmax(
    _ x: [Float], outer: Int, axis: Int, inner: Int, logarithm: Bool
  ) -> [Float] {
    precondition(x.count == outer * axis * inner, "softmax: size mismatch")
    var out = [Float](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        let source = px.baseAddress!
        let target = po.baseAddress!
        if inner == 1 {
          // Contiguous rows: shift, exponentiate eight lanes at a time, normalise.
          parallelChunks(outer, minimumPerThread: max(1, 4096 / max(axis, 1))) { range in
            for row in range {
              let input = source + row * axis
              let output = target + row * axis
              var maximum = -Float.infinity
              for step in 0..<axis { maximum = Swift.max(maximum, input[step]) }
              if maximum == -.infinity { maximum = 0 }
              for step in 0..<axis { output[step] = input[step] - maximum }
              VectorMath.exp(output, output, count: axis)
              var total: Float = 0
              for step in 0..<axis { total += output[step] }
              if logarithm {
                let shift = maximum + Foundation.log(total)
                for step in 0..<axis { output[step] = input[step] - shift }
              } else {
                let scale = 1 / total
                for step in 0..<axis { output[step] *= scale }
              }
            }
          }
          return
        }
        parallelChunks(outer * inner, minimumPerThread: max(1, 4096 / max(axis, 1))) { range in
          for lane in range {
            let row = lane / inner
            let column = lane % inner
            let base = row * axis * inner + column
            var maximum = -Float.infinity
            for step in 0..<axis { maximum = Swift.max(maximum, source[base + step * inner]) }
            if maximum == -.infinity { maximum = 0 }
            var total: Float = 0
            for step in 0..<axis { total += Foundation.exp(source[base + step * inner] - maximum) }
            if logarithm {
              let shift = maximum + Foundation.log(total)
              for step in 0..<axis {
                target[base + step * inner] = source[base + step * inner] - shift
              }
            } else {
              let scale = 1 / total
              for step in 0..<axis {
                target[base + step * inner] =
                  Foundation.exp(source[base + step * inner] - maximum) * scale
              }
            }
          }
        }
      }
    }
    return out
  }

  /// Textbook softmax in Double (no max shift): the oracle for moderate inputs.
  public static func naiveSoftmax(_ x: [Float], outer: Int, axis: Int, inner: Int, logarithm: Bool)
    -> [Float]
  {
    var out = [Float](repeating: 0, count: x.count)
    for row in 0..<outer {
      for column in 0..<inner {
        var total = 0.0
        for step in 0..<axis {
          total += Foundation.exp(Double(x[(row * axis + step) * inner + column]))
        }
        for step in 0..<axis {
          let index = (row * axis + step) * inner + column
          let p = Foundation.exp(Double(x[index])) / total
          out[index] = Float(logarithm ? Foundation.log(p) : p)
        }
      }
    }
    return out
  }
}
