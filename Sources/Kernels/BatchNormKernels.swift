/// Per-channel batch-normalisation loops over `[N, C, S]` arrays (NCHW with `S = H·W`),
/// parallel over channels, accumulating sums in Double.
public enum BatchNormKernels {
  /// Per-channel mean and biased variance `(1/M)·Σ(x − μ)²` over `M = N·S` elements, in one
  /// shifted pass.
  /// Shapes: `x: [N, C, S]` → `[C]` twice.
  public static func statistics(
    _ x: [Float], batch: Int, channels: Int, spatial: Int
  ) -> (mean: [Float], variance: [Float]) {
    precondition(x.count == batch * channels * spatial && batch * spatial > 0, "BN statistics")
    var mean = [Float](repeating: 0, count: channels)
    var variance = [Float](repeating: 0, count: channels)
    let count = Double(batch * spatial)
    x.withUnsafeBufferPointer { px in
      mean.withUnsafeMutableBufferPointer { pMean in
        variance.withUnsafeMutableBufferPointer { pVariance in
          let source = px.baseAddress!
          let (meanOut, varianceOut) = (pMean.baseAddress!, pVariance.baseAddress!)
          parallelChunks(channels, minimumPerThread: Swift.max(1, (1 << 14) / (batch * spatial))) {
            range in
            for channel in range {
              // One pass over d = x − K with K = the channel's first value (close to the mean,
              // so Σd² − (Σd)²/M does not cancel): mean = K + Σd/M, var = (Σd² − (Σd)²/M)/M.
              let shift = source[channel * spatial]
              var total = 0.0
              var squares = 0.0
              for image in 0..<batch {
                let plane = source + (image * channels + channel) * spatial
                var partial: Float = 0
                var partialSquares: Float = 0
                for index in 0..<spatial {
                  let d = plane[index] - shift
                  partial += d
                  partialSquares += d * d
                }
                total += Double(partial)
                squares += Double(partialSquares)
              }
              let meanShift = total / count
              meanOut[channel] = Float(Double(shift) + meanShift)
              varianceOut[channel] = Float(Swift.max(0, squares / count - meanShift * meanShift))
            }
          }
        }
      }
    }
    return (mean, variance)
  }

  /// `y[n, c, s] = x[n, c, s]·scale[c] + shift[c]`, then `max(·, 0)` when `relu`.
  public static func scaleShift(
    _ x: [Float], scale: [Float], shift: [Float], batch: Int, channels: Int, spatial: Int,
    relu: Bool = false
  ) -> [Float] {
    precondition(x.count == batch * channels * spatial, "BN scaleShift: size")
    precondition(scale.count == channels && shift.count == channels, "BN scaleShift: channels")
    var y = [Float](unsafeUninitializedCapacity: x.count) { _, count in count = x.count }
    x.withUnsafeBufferPointer { px in
      y.withUnsafeMutableBufferPointer { py in
        guard let source = px.baseAddress, let target = py.baseAddress else { return }
        parallelChunks(
          batch * channels, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(1, spatial))
        ) { range in
          for planeIndex in range {
            let channel = planeIndex % channels
            let (a, b) = (scale[channel], shift[channel])
            let input = source + planeIndex * spatial
            let output = target + planeIndex * spatial
            if relu {
              for index in 0..<spatial {
                let value = input[index] * a + b
                output[index] = value > 0 ? value : 0
              }
            } else {
              for index in 0..<spatial { output[index] = input[index] * a + b }
            }
          }
        }
      }
    }
    return y
  }

  /// Gradients of `y = γ·(x − μ)·σ⁻¹ + β` with `σ⁻¹ = invStd[c]`.
  ///
  /// With `x̂ = (x − μ)·σ⁻¹`: `∂β = Σ g`, `∂γ = Σ g·x̂`; in training (μ, σ are the batch's own)
  /// `∂x = γ·σ⁻¹·(g − ∂β/M − x̂·∂γ/M)`, otherwise (fixed statistics) `∂x = γ·σ⁻¹·g`.
  /// Shapes: `gradOutput`, `x: [N, C, S]`; `mean`, `invStd`, `weight: [C]`.
  public static func backward(
    gradOutput: [Float], input x: [Float], mean: [Float], invStd: [Float], weight: [Float],
    batch: Int, channels: Int, spatial: Int, training: Bool
  ) -> (input: [Float], weight: [Float], bias: [Float]) {
    precondition(x.count == batch * channels * spatial && gradOutput.count == x.count, "BN grad")
    var gradInput = [Float](unsafeUninitializedCapacity: x.count) { _, count in count = x.count }
    var gradWeight = [Float](repeating: 0, count: channels)
    var gradBias = [Float](repeating: 0, count: channels)
    let count = Float(batch * spatial)
    gradOutput.withUnsafeBufferPointer { pGrad in
      x.withUnsafeBufferPointer { px in
        gradInput.withUnsafeMutableBufferPointer { pInput in
          gradWeight.withUnsafeMutableBufferPointer { pWeight in
            gradBias.withUnsafeMutableBufferPointer { pBias in
              guard let grad = pGrad.baseAddress, let source = px.baseAddress,
                let target = pInput.baseAddress
              else { return }
              let (weightOut, biasOut) = (pWeight.baseAddress!, pBias.baseAddress!)
              parallelChunks(
                channels, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, batch * spatial))
              ) { range in
                for channel in range {
                  let mu = mean[channel]
                  let inverse = invStd[channel]
                  var sumGradient = 0.0
                  var sumProduct = 0.0
                  for image in 0..<batch {
                    let offset = (image * channels + channel) * spatial
                    var partialGradient: Float = 0
                    var partialProduct: Float = 0
                    for index in 0..<spatial {
                      let g = grad[offset + index]
                      partialGradient += g
                      partialProduct += g * (source[offset + index] - mu)
                    }
                    sumGradient += Double(partialGradient)
                    sumProduct += Double(partialProduct)
                  }
                  let dGamma = Float(sumProduct) * inverse
                  let dBeta = Float(sumGradient)
                  weightOut[channel] = dGamma
                  biasOut[channel] = dBeta
                  let factor = weight[channel] * inverse
                  let meanGradient = training ? dBeta / count : 0
                  // x̂·∂γ/M = (x − μ)·σ⁻¹·∂γ/M
                  let slope = training ? inverse * dGamma / count : 0
                  for image in 0..<batch {
                    let offset = (image * channels + channel) * spatial
                    for index in 0..<spatial {
                      let centred = source[offset + index] - mu
                      target[offset + index] =
                        factor * (grad[offset + index] - meanGradient - centred * slope)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (gradInput, gradWeight, gradBias)
  }

  /// Mean and biased variance by a plain Double loop: the oracle for `statistics`.
  public static func naiveStatistics(
    _ x: [Float], batch: Int, channels: Int, spatial: Int
  ) -> (mean: [Float], variance: [Float]) {
    var means: [Float] = []
    var variances: [Float] = []
    for channel in 0..<channels {
      var values: [Double] = []
      for image in 0..<batch {
        for index in 0..<spatial {
          values.append(Double(x[(image * channels + channel) * spatial + index]))
        }
      }
      let mean = values.reduce(0, +) / Double(values.count)
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
      means.append(Float(mean))
      variances.append(Float(variance))
    }
    return (means, variances)
  }
}
