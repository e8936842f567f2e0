extension ConvolutionKernels {
  /// Floats of im2col scratch one backward GEMM chunk may use (16 MiB): whole 32×32 batches fit
  /// in one chunk, 224×224 batches are split.
  static let backwardColumnBudget = 1 << 22

  /// The gradients of `forward` (without ReLU), with `gradOutput: [C_out, N, Ho, Wo]` and
  /// `input: [C, N, H, W]`: `∂W = G·colᵀ` and `∂input = col2im(Wᵀ·G)` where the whole batch
  /// is one matrix `[·, N·Ho·Wo]`, so each is one or a few large GEMMs (a 1×1 stride-1
  /// convolution needs no im2col at all: `∂input = Wᵀ·G` is written straight into the result),
  /// and `∂bias = Σ G` per row. Each gradient is computed only when asked for.
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
    let totalColumns = g.batch * spatial
    let patch = g.inputChannels * g.kernelHeight * g.kernelWidth
    let direct = g.isPointwise && g.strideHeight == 1 && g.strideWidth == 1
    let chunk =
      direct
      ? g.batch
      : Swift.max(1, Swift.min(g.batch, backwardColumnBudget / Swift.max(1, patch * spatial)))
    let gradBias = needsBias ? rowSums(gradOutput, rows: g.outputChannels) : nil
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
    let plane = g.inputHeight * g.inputWidth
    input.withUnsafeBufferPointer { pInput in
      weight.withUnsafeBufferPointer { pWeight in
        gradOutput.withUnsafeBufferPointer { pGrad in
          ScratchPool.shared.withBuffer(direct ? 0 : patch * chunk * spatial) { col in
            gradInput.withUnsafeMutableBufferPointer { pGradInput in
              gradWeight.withUnsafeMutableBufferPointer { pGradWeight in
                let (x, w, gradient) = (
                  pInput.baseAddress!, pWeight.baseAddress!, pGrad.baseAddress!
                )
                for first in stride(from: 0, to: g.batch, by: chunk) {
                  let images = Swift.min(chunk, g.batch - first)
                  let columns = images * spatial
                  let gradChunk = gradient + first * spatial
                  if needsWeight {
                    // ∂W[C_out, patch] += G[C_out, columns] · colᵀ[columns, patch]
                    let matrix: UnsafePointer<Float>
                    let ldb: Int
                    if direct {
                      (matrix, ldb) = (x, totalColumns)
                    } else {
                      im2col(input: x + first * plane, images: images, geometry: g, col: col)
                      (matrix, ldb) = (UnsafePointer(col), columns)
                    }
                    BLAS.sgemm(
                      m: g.outputChannels, n: patch, k: columns,
                      a: gradChunk, aCount: g.outputCount - first * spatial, transposeA: false,
                      b: matrix, bCount: (patch - 1) * ldb + columns, transposeB: true,
                      c: pGradWeight.baseAddress!, cCount: g.weightCount,
                      beta: first == 0 ? 0 : 1, lda: totalColumns, ldb: ldb)
                  }
                  if needsInput {
                    // ∂col[patch, columns] = Wᵀ[patch, C_out] · G[C_out, columns]
                    let target = direct ? pGradInput.baseAddress! : col
                    BLAS.sgemm(
                      m: patch, n: columns, k: g.outputChannels,
                      a: w, aCount: g.weightCount, transposeA: true,
                      b: gradChunk, bCount: g.outputCount - first * spatial, transposeB: false,
                      c: target, cCount: direct ? g.inputCount : patch * columns,
                      ldb: totalColumns, ldc: direct ? totalColumns : columns)
                    if !direct {
                      col2im(
                        col: col, images: images, geometry: g,
                        gradInput: pGradInput.baseAddress! + first * plane)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (needsInput ? gradInput : nil, needsWeight ? gradWeight : nil, gradBias)
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

  /// `Σ_columns x[r, ·]` for each of `rows` rows of a `[rows, columns]` matrix, in Double.
  static func rowSums(_ x: [Float], rows: Int) -> [Float] {
    let columns = rows > 0 ? x.count / rows : 0
    var result = [Float](repeating: 0, count: rows)
    x.withUnsafeBufferPointer { pX in
      result.withUnsafeMutableBufferPointer { pResult in
        let (source, target) = (pX.baseAddress!, pResult.baseAddress!)
        parallelChunks(rows, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(columns, 1))) {
          range in
          for row in range {
            let line = source + row * columns
            var total = 0.0
            var start = 0
            while start < columns {
              let end = Swift.min(columns, start + 1024)
              var partial: Float = 0
              for index in start..<end { partial += line[index] }
              total += Double(partial)
              start = end
            }
            target[row] = Float(total)
          }
        }
      }
    }
    return result
  }
}
