extension ConvolutionKernels {
  /// Floats of im2col scratch one backward GEMM chunk may use (16 MiB): whole 32×32 batches fit
  /// in one chunk, 224×224 batches are split.
  static let backwardColumnBudget = 1 << 22

  /// The gradients of `forward` (without ReLU), with `gradOutput: [N, Ho, Wo, C_out]` and
  /// `input: [N, H, W, C]`: with the whole batch one matrix `G[N·Ho·Wo, C_out]`, `∂W = Gᵀ·col`
  /// and `∂input = col2im(G·W)` in the im2col's tap-major order (so each is one or a few large
  /// GEMMs; a 1×1 stride-1 convolution needs no im2col at all: `∂input = G·W` is written straight
  /// into the result), and `∂bias = Σ G` per column. Each gradient is computed only when asked
  /// for.
  public static func backward(
    gradOutput: [Float], input: [Float], weight: [Float], geometry g: ConvolutionGeometry,
    needsInput: Bool = true, needsWeight: Bool = true, needsBias: Bool = true
  ) -> (input: [Float]?, weight: [Float]?, bias: [Float]?) {
    precondition(g.isValid, "conv2d backward: geometry \(g)")
    precondition(
      gradOutput.count == g.outputCount && input.count == g.inputCount
        && weight.count == g.weightCount, "conv2d backward: sizes")
    if let result = prunedBackward(
      g, weight: weight,
      { smaller, cropped in
        backward(
          gradOutput: gradOutput, input: input, weight: cropped, geometry: smaller,
          needsInput: needsInput, needsWeight: needsWeight, needsBias: needsBias)
      })
    {
      return result
    }
    let spatial = g.outputHeight * g.outputWidth
    let patch = g.patchSize
    let direct = g.isPointwise
    let chunk =
      direct
      ? g.batch
      : Swift.max(1, Swift.min(g.batch, backwardColumnBudget / Swift.max(1, patch * spatial)))
    let gradBias = needsBias ? columnSums(gradOutput, channels: g.outputChannels) : nil
    guard (needsInput || needsWeight) && g.batch > 0 else {
      return (
        needsInput ? [Float](repeating: 0, count: g.inputCount) : nil,
        needsWeight ? [Float](repeating: 0, count: g.weightCount) : nil, gradBias
      )
    }
    // col2im accumulates, so only that path needs a zeroed gradient; the direct GEMM overwrites.
    var gradInput =
      !needsInput
      ? []
      : direct
        ? [Float](unsafeUninitializedCapacity: g.inputCount) { _, count in count = g.inputCount }
        : [Float](repeating: 0, count: g.inputCount)
    // The first chunk's GEMM overwrites it (beta 0): no need to zero 100 MB a ResNet-50 step.
    let weightCount = needsWeight ? g.weightCount : 0
    var gradWeight = [Float](unsafeUninitializedCapacity: weightCount) { _, count in
      count = weightCount
    }
    let tapMajor = tapMajorWeight(weight, geometry: g, frozen: nil)
    let imageFloats = g.inputHeight * g.inputWidth * g.inputChannels
    let outputImageFloats = spatial * g.outputChannels
    input.withUnsafeBufferPointer { pInput in
      tapMajor.withUnsafeBufferPointer { pWeight in
        gradOutput.withUnsafeBufferPointer { pGrad in
          ScratchPool.shared.withBuffer(direct ? 0 : patch * chunk * spatial) { col in
            gradInput.withUnsafeMutableBufferPointer { pGradInput in
              gradWeight.withUnsafeMutableBufferPointer { pGradWeight in
                let (x, w, gradient) = (
                  pInput.baseAddress!, pWeight.baseAddress!, pGrad.baseAddress!
                )
                for first in stride(from: 0, to: g.batch, by: chunk) {
                  let images = Swift.min(chunk, g.batch - first)
                  let rows = images * spatial
                  let gradChunk = gradient + first * outputImageFloats
                  let gradCount = g.outputCount - first * outputImageFloats
                  if needsWeight {
                    // ∂W[C_out, patch] += Gᵀ[C_out, rows] · col[rows, patch]
                    let matrix: UnsafePointer<Float>
                    if direct {
                      matrix = x
                    } else {
                      im2col(input: x + first * imageFloats, images: images, geometry: g, col: col)
                      matrix = UnsafePointer(col)
                    }
                    BLAS.sgemm(
                      m: g.outputChannels, n: patch, k: rows,
                      a: gradChunk, aCount: gradCount, transposeA: true,
                      b: matrix, bCount: rows * patch, transposeB: false,
                      c: pGradWeight.baseAddress!, cCount: g.weightCount,
                      beta: first == 0 ? 0 : 1)
                  }
                  if needsInput {
                    // ∂col[rows, patch] = G[rows, C_out] · W[C_out, patch]
                    let target = direct ? pGradInput.baseAddress! : col
                    BLAS.sgemm(
                      m: rows, n: patch, k: g.outputChannels,
                      a: gradChunk, aCount: gradCount, transposeA: false,
                      b: w, bCount: g.weightCount, transposeB: false,
                      c: target, cCount: rows * patch)
                    if !direct {
                      col2im(
                        col: col, images: images, geometry: g,
                        gradInput: pGradInput.baseAddress! + first * imageFloats)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let weightGradient =
      needsWeight && g.kernelHeight * g.kernelWidth > 1
      ? reordered(gradWeight, geometry: g, toTapMajor: false) : gradWeight
    return (needsInput ? gradInput : nil, needsWeight ? weightGradient : nil, gradBias)
  }

  /// When some kernel taps only ever see padding (see `pruned`), `body` run on the smaller
  /// geometry and cropped weight, with the weight gradient expanded back to the full kernel;
  /// nil otherwise.
  static func prunedBackward(
    _ g: ConvolutionGeometry, weight: [Float],
    _ body: (ConvolutionGeometry, [Float]) -> (input: [Float]?, weight: [Float]?, bias: [Float]?)
  ) -> (input: [Float]?, weight: [Float]?, bias: [Float]?)? {
    guard let (smaller, rows, columns) = pruned(g) else { return nil }
    let result = body(smaller, cropWeight(weight, geometry: g, rows: rows, columns: columns))
    return (
      result.input,
      result.weight.map { expandWeight($0, geometry: g, rows: rows, columns: columns) },
      result.bias
    )
  }
}
