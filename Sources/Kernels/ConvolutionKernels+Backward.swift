import CKernelSupport

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
    let gradBias = needsBias ? columnSums(gradOutput, channels: g.outputChannels) : nil
    // A stride-1 convolution's input gradient is itself a convolution: on the direct kernel.
    if needsInput,
      let gradInput = directInputGradient(gradOutput: gradOutput, weight: weight, geometry: g)
    {
      let rest = blasBackward(
        gradOutput: gradOutput, input: input, weight: weight, geometry: g, needsInput: false,
        needsWeight: needsWeight)
      return (gradInput, rest.weight, gradBias)
    }
    return blasBackward(
      gradOutput: gradOutput, input: input, weight: weight, geometry: g, needsInput: needsInput,
      needsWeight: needsWeight, gradBias: gradBias)
  }

  /// Whether a weight gradient of `patch` columns runs on the direct kernel: a patch of whole
  /// 64-wide blocks from 256 up (Gᵀ's transpose costs the same for any patch, so a shallow one —
  /// a 1×1 from 64 or 128 channels — and one the kernel must pack — the stem's 147 — stay on
  /// BLAS: `Benchmarks conv`, 64→256 on 8×8 1.3 → 2.1 ms, the stem 10 → 12–15 ms, the 3×3s and
  /// 1×1s from 256 channels 14–21 % faster), where OpenBLAS runs kernels narrower than the CPU.
  static func weightGradientRunsDirect(patch: Int) -> Bool {
    patch >= 256 && patch % 64 == 0 && ProcessSettings.blasKernelsAreNarrowerThanCPU
      && DirectConvolutionWeight.isSupported(format: .fp32Swapped)
  }

  /// `backward` without the direct ∂x (`gradBias` passed through): the input gradient, where
  /// asked, as a BLAS GEMM and col2im (other strides, no AVX-512, and the tests), and the weight
  /// gradient through `accumulateWeightGradient`, on the direct kernel when `directWeights`
  /// (nil: `weightGradientRunsDirect`; the tests check both forms whatever OpenBLAS runs).
  static func blasBackward(
    gradOutput: [Float], input: [Float], weight: [Float], geometry g: ConvolutionGeometry,
    needsInput: Bool, needsWeight: Bool, gradBias: [Float]? = nil, directWeights: Bool? = nil
  ) -> (input: [Float]?, weight: [Float]?, bias: [Float]?) {
    let directWeights = directWeights ?? weightGradientRunsDirect(patch: g.patchSize)
    let spatial = g.outputHeight * g.outputWidth
    let patch = g.patchSize
    let direct = g.isPointwise
    let chunk =
      direct
      ? g.batch
      : Swift.max(1, Swift.min(g.batch, backwardColumnBudget / Swift.max(1, patch * spatial)))
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
    // Only the input gradient multiplies by the weight (in the im2col's tap-major order).
    let tapMajor = needsInput ? tapMajorWeight(weight, geometry: g, frozen: nil) : weight
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
                    accumulateWeightGradient(
                      gradOutput: gradChunk, gradCount: gradCount, columns: matrix, rows: rows,
                      geometry: g, into: pGradWeight.baseAddress!, accumulate: first != 0,
                      direct: directWeights)
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

extension ConvolutionKernels {
  /// For a stride-1 convolution, the convolution that computes its input's gradient from its
  /// output's: `∂x = conv(∂y, W̃)` with `W̃[c, o, u, v] = W[o, c, kH−1−u, kW−1−v]` (channels
  /// swapped, taps flipped) and padding `d·(k−1) − p` on each axis. nil for other strides (whose
  /// gradient leaves gaps a convolution does not write) and where that padding would be negative.
  static func inputGradientGeometry(_ g: ConvolutionGeometry) -> ConvolutionGeometry? {
    guard g.strideHeight == 1, g.strideWidth == 1 else { return nil }
    var transposed = g
    transposed.inputChannels = g.outputChannels
    transposed.outputChannels = g.inputChannels
    transposed.inputHeight = g.outputHeight
    transposed.inputWidth = g.outputWidth
    transposed.paddingHeight = g.dilationHeight * (g.kernelHeight - 1) - g.paddingHeight
    transposed.paddingWidth = g.dilationWidth * (g.kernelWidth - 1) - g.paddingWidth
    guard transposed.paddingHeight >= 0, transposed.paddingWidth >= 0, transposed.isValid,
      transposed.outputHeight == g.inputHeight, transposed.outputWidth == g.inputWidth
    else { return nil }
    return transposed
  }

  /// `∂x` of a stride-1 convolution on the direct kernel, reading W̃ from `weight` itself
  /// (`fp32Swapped`: as it packs its blocks, or in place for a 1×1 of whole blocks; never a
  /// transposed copy); nil where it does not apply (other strides, no AVX-512), for BLAS.
  static func directInputGradient(
    gradOutput: [Float], weight: [Float], geometry g: ConvolutionGeometry
  ) -> [Float]? {
    guard g.batch > 0, DirectConvolutionWeight.isSupported(format: .fp32Swapped),
      let transposed = inputGradientGeometry(g)
    else { return nil }
    let direct = DirectConvolutionWeight(
      weight, outputChannels: transposed.outputChannels,
      inputChannels: transposed.inputChannels, kernelHeight: g.kernelHeight,
      kernelWidth: g.kernelWidth, precision: .fp32, format: .fp32Swapped)
    var gradInput = [Float](unsafeUninitializedCapacity: g.inputCount) { _, count in
      count = g.inputCount
    }
    gradOutput.withUnsafeBufferPointer { pGrad in
      gradInput.withUnsafeMutableBufferPointer { pInput in
        direct.convolve(pGrad.baseAddress!, geometry: transposed, into: pInput.baseAddress!)
      }
    }
    return gradInput
  }
}

extension ConvolutionKernels {
  /// Rows (output pixels) of one weight-gradient convolution, so that its share of the im2col —
  /// the weight it reads — stays in L2 (256 KB a 64-column block).
  static let weightGradientRows = 1024

  /// `∂W[C_out, patch] (+)= Gᵀ[C_out, rows] · col[rows, patch]` (tap-major; `accumulate` adds to
  /// what `target` holds). When `direct` (`weightGradientRunsDirect`) on an AVX-512 CPU it is
  /// the direct kernel's 1×1 convolution of the "image" Gᵀ (C_out pixels of `rows` channels) by
  /// the im2col read as an `fp32Swapped` weight (in place where it fills whole 64-wide blocks),
  /// `weightGradientRows` rows at a time, each chunk added to the last through the epilogue's
  /// residual; else one BLAS GEMM.
  static func accumulateWeightGradient(
    gradOutput: UnsafePointer<Float>, gradCount: Int, columns: UnsafePointer<Float>, rows: Int,
    geometry g: ConvolutionGeometry, into target: UnsafeMutablePointer<Float>, accumulate: Bool,
    direct: Bool
  ) {
    let (outputs, patch) = (g.outputChannels, g.patchSize)
    guard direct, DirectConvolutionWeight.isSupported(format: .fp32Swapped) else {
      BLAS.sgemm(
        m: outputs, n: patch, k: rows, a: gradOutput, aCount: gradCount, transposeA: true,
        b: columns, bCount: rows * patch, transposeB: false, c: target,
        cCount: g.weightCount, beta: accumulate ? 1 : 0)
      return
    }
    let threads = ComputeThreads.count
    let format = PackedFormat.fp32Swapped.rawValue
    func shape(rows count: Int) -> classify_conv_shape {
      classify_conv_shape(
        images: 1, height: 1, width: outputs, channels: count, outputs: patch,
        output_height: 1, output_width: outputs, kernel_height: 1, kernel_width: 1,
        stride_height: 1, stride_width: 1, padding_height: 0, padding_width: 0,
        dilation_height: 1, dilation_width: 1)
    }
    // The first chunk is the largest: its Gᵀ and scratch serve every chunk.
    var largest = shape(rows: Swift.min(rows, weightGradientRows))
    let scratch = Int(classify_conv_scratch_count(&largest, format, threads))
    ScratchPool.shared.withBuffer(outputs * largest.channels) { transposed in
      ScratchPool.shared.withBuffer(scratch) { buffer in
        for first in stride(from: 0, to: rows, by: weightGradientRows) {
          var chunk = shape(rows: Swift.min(weightGradientRows, rows - first))
          classify_transpose(
            gradOutput + first * outputs, chunk.channels, outputs, transposed, threads)
          var epilogue = classify_epilogue(
            scale: nil, bias: nil,
            residual: accumulate || first > 0 ? UnsafePointer(target) : nil,
            residual_stride: patch, relu: 0)
          classify_conv_nhwc(
            columns + first * patch, format, &chunk, transposed, target, &epilogue, buffer,
            threads)
        }
      }
    }
  }
}
