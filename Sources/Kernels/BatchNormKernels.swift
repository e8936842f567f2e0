/// Per-channel batch-normalisation loops over channel-last `[rows, channels]` arrays (NHWC with
/// `rows = N·H·W`), vectorised across channels. Sums run over fixed blocks of rows in Float and
/// are added block by block in Double, so the result does not depend on the thread count.
public enum BatchNormKernels {
  /// Rows per block of a per-channel sum.
  static let blockRows = 128

  /// Per channel and block of `blockRows` rows, `first(x)` and `second(x)` summed (Float within
  /// the block), then the blocks added in order in Double. `x` and `y` are `[rows, channels]`.
  private static func channelSums(
    rows: Int, channels: Int,
    _ terms: (
      _ row: Int, _ first: UnsafeMutablePointer<Float>, _ second: UnsafeMutablePointer<Float>
    ) -> Void
  ) -> (first: [Double], second: [Double]) {
    let blocks = (rows + blockRows - 1) / blockRows
    var partial = [Float](repeating: 0, count: 2 * blocks * channels)
    partial.withUnsafeMutableBufferPointer { pPartial in
      let base = pPartial.baseAddress!
      parallelFor(
        iterations: blocks, threads: rows * channels >= 1 << 15 ? ComputeThreads.count : 1
      ) { block in
        let first = base + 2 * block * channels
        let second = first + channels
        for row in (block * blockRows)..<Swift.min(rows, (block + 1) * blockRows) {
          terms(row, first, second)
        }
      }
    }
    var first = [Double](repeating: 0, count: channels)
    var second = [Double](repeating: 0, count: channels)
    for block in 0..<blocks {
      for channel in 0..<channels {
        first[channel] += Double(partial[2 * block * channels + channel])
        second[channel] += Double(partial[(2 * block + 1) * channels + channel])
      }
    }
    return (first, second)
  }

  /// Per-channel mean and biased variance `(1/M)·Σ(x − μ)²` over the `M = rows` rows, in one
  /// shifted pass: with `K` the channel's first value (close to the mean, so the sums do not
  /// cancel), `mean = K + Σd/M` and `var = (Σd² − (Σd)²/M)/M` for `d = x − K`.
  /// Shapes: `x: [rows, channels]` → `[channels]` twice.
  public static func statistics(
    _ x: [Float], rows: Int, channels: Int
  ) -> (mean: [Float], variance: [Float]) {
    precondition(x.count == rows * channels && rows > 0, "BN statistics")
    let shift = Array(x[0..<channels])
    let (sums, squares) = x.withUnsafeBufferPointer { px in
      shift.withUnsafeBufferPointer { pShift in
        let (source, k) = (px.baseAddress!, pShift.baseAddress!)
        return channelSums(rows: rows, channels: channels) { row, total, squares in
          let line = source + row * channels
          for channel in 0..<channels {
            let d = line[channel] - k[channel]
            total[channel] += d
            squares[channel] += d * d
          }
        }
      }
    }
    let count = Double(rows)
    var mean = [Float](repeating: 0, count: channels)
    var variance = [Float](repeating: 0, count: channels)
    for channel in 0..<channels {
      let meanShift = sums[channel] / count
      mean[channel] = Float(Double(shift[channel]) + meanShift)
      variance[channel] = Float(Swift.max(0, squares[channel] / count - meanShift * meanShift))
    }
    return (mean, variance)
  }

  /// `y[r, c] = x[r, c]·scale[c] + shift[c]`, then `max(·, 0)` when `relu` (NaN stays NaN).
  public static func scaleShift(
    _ x: [Float], scale: [Float], shift: [Float], rows: Int, channels: Int, relu: Bool = false
  ) -> [Float] {
    precondition(x.count == rows * channels, "BN scaleShift: size")
    precondition(scale.count == channels && shift.count == channels, "BN scaleShift: channels")
    var y = [Float](unsafeUninitializedCapacity: x.count) { _, count in count = x.count }
    x.withUnsafeBufferPointer { px in
      y.withUnsafeMutableBufferPointer { py in
        scale.withUnsafeBufferPointer { pScale in
          shift.withUnsafeBufferPointer { pShift in
            guard let source = px.baseAddress, let target = py.baseAddress else { return }
            let (a, b) = (pScale.baseAddress!, pShift.baseAddress!)
            parallelChunks(rows, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(1, channels)))
            { range in
              for row in range {
                let input = source + row * channels
                let output = target + row * channels
                if relu {
                  for channel in 0..<channels {
                    let value = input[channel] * a[channel] + b[channel]
                    output[channel] = value < 0 ? 0 : value
                  }
                } else {
                  for channel in 0..<channels {
                    output[channel] = input[channel] * a[channel] + b[channel]
                  }
                }
              }
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
  /// Shapes: `gradOutput`, `x: [rows, channels]`; `mean`, `invStd`, `weight: [channels]`.
  public static func backward(
    gradOutput: [Float], input x: [Float], mean: [Float], invStd: [Float], weight: [Float],
    rows: Int, channels: Int, training: Bool
  ) -> (input: [Float], weight: [Float], bias: [Float]) {
    precondition(x.count == rows * channels && gradOutput.count == x.count, "BN grad")
    let (sumGradient, sumProduct) = gradOutput.withUnsafeBufferPointer { pGrad in
      x.withUnsafeBufferPointer { px in
        mean.withUnsafeBufferPointer { pMean in
          let (grad, source, mu) = (pGrad.baseAddress!, px.baseAddress!, pMean.baseAddress!)
          return channelSums(rows: rows, channels: channels) { row, total, products in
            let (g, line) = (grad + row * channels, source + row * channels)
            for channel in 0..<channels {
              total[channel] += g[channel]
              products[channel] += g[channel] * (line[channel] - mu[channel])
            }
          }
        }
      }
    }
    let count = Float(rows)
    var gradWeight = [Float](repeating: 0, count: channels)
    var gradBias = [Float](repeating: 0, count: channels)
    var factor = [Float](repeating: 0, count: channels)
    var meanGradient = [Float](repeating: 0, count: channels)
    var slope = [Float](repeating: 0, count: channels)
    for channel in 0..<channels {
      let inverse = invStd[channel]
      gradWeight[channel] = Float(sumProduct[channel]) * inverse
      gradBias[channel] = Float(sumGradient[channel])
      factor[channel] = weight[channel] * inverse
      meanGradient[channel] = training ? gradBias[channel] / count : 0
      // x̂·∂γ/M = (x − μ)·σ⁻¹·∂γ/M
      slope[channel] = training ? inverse * gradWeight[channel] / count : 0
    }
    // Per channel: ∂x = factor·(g − meanGradient − (x − μ)·slope), centred first (x may be far
    // from 0 and close to μ).
    let coefficients = factor + meanGradient + mean + slope
    var gradInput = [Float](unsafeUninitializedCapacity: x.count) { _, count in count = x.count }
    gradOutput.withUnsafeBufferPointer { pGrad in
      x.withUnsafeBufferPointer { px in
        coefficients.withUnsafeBufferPointer { pCoefficients in
          gradInput.withUnsafeMutableBufferPointer { pInput in
            guard let grad = pGrad.baseAddress, let source = px.baseAddress,
              let target = pInput.baseAddress
            else { return }
            let f = pCoefficients.baseAddress!
            let (m, mu, k) = (f + channels, f + 2 * channels, f + 3 * channels)
            parallelChunks(
              rows, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(1, channels))
            ) { range in
              for row in range {
                let (g, line, out) = (
                  grad + row * channels, source + row * channels, target + row * channels
                )
                for channel in 0..<channels {
                  out[channel] =
                    f[channel]
                    * (g[channel] - m[channel] - (line[channel] - mu[channel]) * k[channel])
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
    _ x: [Float], rows: Int, channels: Int
  ) -> (mean: [Float], variance: [Float]) {
    var means: [Float] = []
    var variances: [Float] = []
    for channel in 0..<channels {
      let values = (0..<rows).map { Double(x[$0 * channels + channel]) }
      let mean = values.reduce(0, +) / Double(values.count)
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
      means.append(Float(mean))
      variances.append(Float(variance))
    }
    return (means, variances)
  }
}
