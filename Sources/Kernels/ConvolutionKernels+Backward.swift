extension ConvolutionKernels {
  /// The gradients of `forward` (without ReLU): `∂input = col2im(Wᵀ·G)`, `∂weight = G·colᵀ`,
  /// `∂bias = Σ G` over images and positions. Each is computed only when asked for.
  /// Shapes: `gradOutput: [N, C_out, Ho, Wo]`; results shaped like input, weight, `[C_out]`.
  public static func backward(
    gradOutput: [Float], input: [Float], weight: [Float], geometry g: ConvolutionGeometry,
    needsInput: Bool = true, needsWeight: Bool = true, needsBias: Bool = true
  ) -> (input: [Float]?, weight: [Float]?, bias: [Float]?) {
    precondition(g.isValid, "conv2d backward: invalid geometry \(g)")
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
    let chunk = imagesPerChunk(g)
    let patch = g.inputChannels * g.kernelHeight * g.kernelWidth
    let (m, k) = (g.groupOutputChannels, g.groupPatchSize)
    let needsCol = (needsInput || needsWeight) && !(g.isPointwise && chunk == 1)
    let colCount = needsCol ? patch * chunk * spatial : 0
    let stagingCount = chunk > 1 ? g.outputChannels * chunk * spatial : 0
    var gradInput = [Float](repeating: 0, count: needsInput ? g.inputCount : 0)
    var gradWeight = [Float](repeating: 0, count: needsWeight ? g.weightCount : 0)
    let gradBias = needsBias ? biasGradient(gradOutput, geometry: g) : nil
    guard (needsInput || needsWeight) && g.batch > 0 else {
      return (needsInput ? gradInput : nil, needsWeight ? gradWeight : nil, gradBias)
    }
    input.withUnsafeBufferPointer { pInput in
      weight.withUnsafeBufferPointer { pWeight in
        gradOutput.withUnsafeBufferPointer { pGrad in
          ScratchPool.shared.withBuffer(colCount) { colBase in
            ScratchPool.shared.withBuffer(stagingCount) { stagingBase in
              gradInput.withUnsafeMutableBufferPointer { pGradInput in
                gradWeight.withUnsafeMutableBufferPointer { pGradWeight in
                  let imageSize = g.inputChannels * g.inputHeight * g.inputWidth
                  for first in stride(from: 0, to: g.batch, by: chunk) {
                    let images = Swift.min(chunk, g.batch - first)
                    let columns = images * spatial
                    // G as [C_out, columns].
                    let gradient: UnsafePointer<Float>
                    let gradSource = pGrad.baseAddress! + first * g.outputChannels * spatial
                    if images == 1 {
                      gradient = gradSource
                    } else {
                      reorder(
                        gradSource, images: images, channels: g.outputChannels, spatial: spatial,
                        into: stagingBase, inverse: false)
                      gradient = UnsafePointer(stagingBase)
                    }
                    let imageInput = pInput.baseAddress! + first * imageSize
                    if needsWeight {
                      let matrix: UnsafePointer<Float>
                      if g.isPointwise && images == 1 {
                        matrix = imageInput
                      } else if g.isPointwise {
                        reorder(
                          imageInput, images: images, channels: g.inputChannels, spatial: spatial,
                          into: colBase, inverse: false)
                        matrix = UnsafePointer(colBase)
                      } else {
                        im2col(
                          input: imageInput, images: images, geometry: g, col: colBase)
                        matrix = UnsafePointer(colBase)
                      }
                      for group in 0..<g.groups {
                        // ∂W_g[m, k] += G_g[m, columns] · col_gᵀ[columns, k]
                        BLAS.sgemm(
                          m: m, n: k, k: columns,
                          a: gradient + group * m * columns, aCount: m * columns,
                          transposeA: false,
                          b: matrix + group * k * columns, bCount: k * columns, transposeB: true,
                          c: pGradWeight.baseAddress! + group * m * k, cCount: m * k,
                          beta: first == 0 ? 0 : 1)
                      }
                    }
                    if needsInput {
                      let target = pGradInput.baseAddress! + first * imageSize
                      let direct = g.isPointwise && images == 1
                      let gradCol = direct ? target : colBase
                      for group in 0..<g.groups {
                        // ∂col_g[k, columns] = W_gᵀ[k, m] · G_g[m, columns]
                        BLAS.sgemm(
                          m: k, n: columns, k: m,
                          a: pWeight.baseAddress! + group * m * k, aCount: m * k, transposeA: true,
                          b: gradient + group * m * columns, bCount: m * columns, transposeB: false,
                          c: gradCol + group * k * columns, cCount: k * columns)
                      }
                      if direct {
                        // Already written in place.
                      } else if g.isPointwise {
                        reorder(
                          colBase, images: images, channels: g.inputChannels,
                          spatial: spatial, into: target, inverse: true)
                      } else {
                        col2im(
                          col: colBase, images: images, geometry: g, gradInput: target)
                      }
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
  /// nil otherwise. Shared by both layouts' backward passes.
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

  /// `∂bias[c] = Σ_{n, h, w} gradOutput[n, c, h, w]`, accumulated in Double.
  public static func biasGradient(_ gradOutput: [Float], geometry g: ConvolutionGeometry) -> [Float]
  {
    let spatial = g.outputHeight * g.outputWidth
    var result = [Float](repeating: 0, count: g.outputChannels)
    gradOutput.withUnsafeBufferPointer { pGrad in
      result.withUnsafeMutableBufferPointer { pResult in
        let target = pResult.baseAddress!
        parallelChunks(
          g.outputChannels,
          minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(1, g.batch * spatial))
        ) {
          range in
          for channel in range {
            var total = 0.0
            for image in 0..<g.batch {
              let plane = pGrad.baseAddress! + (image * g.outputChannels + channel) * spatial
              var partial: Float = 0
              for index in 0..<spatial { partial += plane[index] }
              total += Double(partial)
            }
            target[channel] = Float(total)
          }
        }
      }
    }
    return result
  }

}
