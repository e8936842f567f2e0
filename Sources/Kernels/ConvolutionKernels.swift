/// 2-D convolution (cross-correlation, as `torch.nn.functional.conv2d`) on NHWC activations
/// (`[N, H, W, C]`, see `ConvolutionGeometry`), with its backward pass and a naive seven-loop NCHW
/// twin that the tests use as oracle.
///
/// In this layout a pixel's channels are contiguous and the whole batch is one matrix
/// `[N·H·W, C]`: a frozen convolution (a folded, inference-only layer) on an AVX-512 CPU reads
/// its input where it lies (`DirectConvolutionWeight`), a 1×1 stride-1 convolution is a single
/// GEMM on the input as it lies, and others go through an im2col whose rows are a pixel's
/// taps, each tap a contiguous copy of the pixel's channels, in chunks of images so the buffer
/// stays bounded when images are large; kernel taps that only ever read padding are pruned.
public enum ConvolutionKernels {
  /// Rows (output pixels) of the im2col matrix per GEMM (images are grouped until they reach it).
  static let targetRows = 2048

  static func imagesPerChunk(_ g: ConvolutionGeometry) -> Int {
    let spatial = g.outputHeight * g.outputWidth
    return Swift.max(1, Swift.min(g.batch, (targetRows + spatial - 1) / Swift.max(spatial, 1)))
  }

  /// The output-column range `[start, end)` whose input column `o·stride − padding + offset` lies
  /// inside `0..<extent`.
  @inline(__always)
  static func validRange(
    outputs: Int, stride: Int, offset: Int, extent: Int
  ) -> (Int, Int) {
    // o·stride + offset ≥ 0  ⇔  o ≥ ceil(−offset / stride)
    var start = 0
    if offset < 0 { start = (-offset + stride - 1) / stride }
    // o·stride + offset ≤ extent − 1  ⇔  o ≤ floor((extent − 1 − offset) / stride)
    let last = extent - 1 - offset
    var end = last < 0 ? 0 : last / stride + 1
    end = Swift.min(end, outputs)
    start = Swift.min(start, end)
    return (start, end)
  }

  /// Copies `count` floats with explicit 8-wide vector moves: the rows im2col moves are often
  /// 8–56 floats, where a `memmove` call per row costs more than the copy.
  @inline(__always)
  static func copy(
    _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int
  ) {
    if count >= 256 {
      target.update(from: source, count: count)
      return
    }
    var index = 0
    while index + 8 <= count {
      UnsafeMutableRawPointer(target + index).storeBytes(
        of: UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self),
        as: SIMD8<Float>.self)
      index += 8
    }
    while index < count {
      target[index] = source[index]
      index += 1
    }
  }

  /// Writes `count` zeros (vector stores for short runs, `memset` for long ones).
  @inline(__always)
  static func zero(_ target: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 256 {
      target.update(repeating: 0, count: count)
      return
    }
    var index = 0
    while index + 8 <= count {
      UnsafeMutableRawPointer(target + index).storeBytes(of: SIMD8<Float>(), as: SIMD8<Float>.self)
      index += 8
    }
    while index < count {
      target[index] = 0
      index += 1
    }
  }

  /// The kernel taps that read real input for at least one output position. Taps that only
  /// ever see padding contribute nothing; when they can be cut off symmetrically-enough that
  /// the output size is unchanged, the convolution runs on the smaller kernel (a 3×3 pad-1
  /// conv on a 1×1 map — ResNet's last stage at 32×32 input — is a 1×1 conv, 9× fewer FLOPs).
  static func pruned(_ g: ConvolutionGeometry) -> (
    geometry: ConvolutionGeometry, rows: Range<Int>, columns: Range<Int>
  )? {
    func active(_ kernel: Int, outputs: Int, stride: Int, dilation: Int, padding: Int, extent: Int)
      -> Range<Int>
    {
      let taps = (0..<kernel).filter { tap in
        let (start, end) = validRange(
          outputs: outputs, stride: stride, offset: tap * dilation - padding, extent: extent)
        return start < end
      }
      guard let first = taps.first, let last = taps.last else { return 0..<0 }
      return first..<(last + 1)
    }
    let rows = active(
      g.kernelHeight, outputs: g.outputHeight, stride: g.strideHeight,
      dilation: g.dilationHeight, padding: g.paddingHeight, extent: g.inputHeight)
    let columns = active(
      g.kernelWidth, outputs: g.outputWidth, stride: g.strideWidth, dilation: g.dilationWidth,
      padding: g.paddingWidth, extent: g.inputWidth)
    guard !rows.isEmpty, !columns.isEmpty,
      rows.count < g.kernelHeight || columns.count < g.kernelWidth
    else { return nil }
    var smaller = g
    smaller.kernelHeight = rows.count
    smaller.kernelWidth = columns.count
    smaller.paddingHeight = g.paddingHeight - rows.lowerBound * g.dilationHeight
    smaller.paddingWidth = g.paddingWidth - columns.lowerBound * g.dilationWidth
    guard smaller.paddingHeight >= 0, smaller.paddingWidth >= 0, smaller.isValid,
      smaller.outputHeight == g.outputHeight, smaller.outputWidth == g.outputWidth
    else { return nil }
    return (smaller, rows, columns)
  }

  /// The sub-kernel `weight[:, :, rows, columns]` (`[C_out, C, kH', kW']`).
  static func cropWeight(
    _ weight: [Float], geometry g: ConvolutionGeometry, rows: Range<Int>, columns: Range<Int>
  ) -> [Float] {
    var result: [Float] = []
    result.reserveCapacity(g.outputChannels * g.inputChannels * rows.count * columns.count)
    for filter in 0..<(g.outputChannels * g.inputChannels) {
      for i in rows {
        for j in columns {
          result.append(weight[(filter * g.kernelHeight + i) * g.kernelWidth + j])
        }
      }
    }
    return result
  }

  /// Places a sub-kernel gradient back into a zero full-kernel gradient.
  static func expandWeight(
    _ cropped: [Float], geometry g: ConvolutionGeometry, rows: Range<Int>, columns: Range<Int>
  ) -> [Float] {
    var result = [Float](repeating: 0, count: g.weightCount)
    var index = 0
    for filter in 0..<(g.outputChannels * g.inputChannels) {
      for i in rows {
        for j in columns {
          result[(filter * g.kernelHeight + i) * g.kernelWidth + j] = cropped[index]
          index += 1
        }
      }
    }
    return result
  }

  /// `output = outputScale ⊙ conv(input, weight) + bias (+ residual)`, then `max(·, 0)` when
  /// `fusedReLU`. Shapes: `input: [N, H, W, C]`, `weight: [C_out, C, kH, kW]` (PyTorch's),
  /// `outputScale` and `bias: [C_out]`, `residual` and the result `[N, Ho, Wo, C_out]`. A scale (a
  /// folded batch norm's γ/σ), a bias and a residual (a bottleneck's shortcut) are applied as the
  /// direct convolution stores its output, so `relu(bn(conv(x)) + shortcut)` is one pass; the
  /// BLAS path gets the weight scaled instead and adds the rest in one pass after its GEMM.
  ///
  /// `frozen`, when it holds `weight` (see `FrozenWeight`), keeps what this convolution derives
  /// from its weight across calls; otherwise it is ignored.
  public static func forward(
    input: [Float], weight: [Float], bias: [Float]?, geometry g: ConvolutionGeometry,
    outputScale: [Float]? = nil, fusedReLU: Bool = false, residual: [Float]? = nil,
    frozen: FrozenWeight? = nil
  ) -> [Float] {
    checkSizes(
      g, input: input.count, weight: weight.count, bias: bias, outputScale: outputScale,
      residual: residual)
    if g.batch == 0 { return [] }
    let frozen = frozen?.holds(weight) == true ? frozen : nil
    if let (smaller, rows, columns) = pruned(g) {
      let crop = { cropWeight(weight, geometry: g, rows: rows, columns: columns) }
      // A frozen weight keeps its crop (and the crop's derived forms) too.
      let croppedFrozen = frozen?.cropped(
        outputChannels: g.outputChannels, inputChannels: g.inputChannels, rows: rows,
        columns: columns, crop)
      return forward(
        input: input, weight: croppedFrozen?.values ?? crop(), bias: bias, geometry: smaller,
        outputScale: outputScale, fusedReLU: fusedReLU, residual: residual,
        frozen: croppedFrozen)
    }
    if let direct = frozen?.directWeight(for: g) ?? unfrozenDirectWeight(weight, geometry: g) {
      return directForward(
        direct, input: input, geometry: g, outputScale: outputScale, bias: bias,
        fusedReLU: fusedReLU, residual: residual)
    }
    return blasForward(
      input: input, weight: weight, bias: bias, geometry: g, outputScale: outputScale,
      fusedReLU: fusedReLU, residual: residual, frozen: frozen)
  }

  /// The direct convolution's fp32 form of a weight that is not frozen (a layer being trained):
  /// fp32 packs nothing ahead — it reads the weight where it lies, each thread packing the blocks
  /// its tasks need — so a weight that changes every step costs nothing to use; nil without
  /// AVX-512. The training forward thus runs on the same kernel as inference.
  static func unfrozenDirectWeight(_ weight: [Float], geometry g: ConvolutionGeometry)
    -> DirectConvolutionWeight?
  {
    guard DirectConvolutionWeight.isSupported(Precision.fp32) else { return nil }
    return DirectConvolutionWeight(
      weight, outputChannels: g.outputChannels, inputChannels: g.inputChannels,
      kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, precision: .fp32)
  }

  /// `forward` through BLAS (an im2col, or the input itself for a 1×1 at stride 1, times the
  /// weight): where the CPU has no AVX-512, and the tests' check of that path on one that has.
  static func blasForward(
    input: [Float], weight: [Float], bias: [Float]?, geometry g: ConvolutionGeometry,
    outputScale: [Float]? = nil, fusedReLU: Bool = false, residual: [Float]? = nil,
    frozen: FrozenWeight? = nil
  ) -> [Float] {
    var output = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
      count = g.outputCount
    }
    if let outputScale {
      // BLAS has no epilogue to scale in: the weight scaled per output channel (kept by a frozen
      // weight), one pass over it against the convolution's N·Ho·Wo passes.
      let make = { scaledRows(weight, by: outputScale) }
      let scaled = frozen?.scaled(by: outputScale, make)
      return blasForward(
        input: input, weight: scaled?.values ?? make(), bias: bias, geometry: g,
        fusedReLU: fusedReLU, residual: residual, frozen: scaled)
    }
    // BLAS: output[P, C_out] = col[P, K] · Wᵀ with K = (i, j, c), the weight's rows in the same
    // tap-major order (PyTorch's for a 1×1; kept by a frozen weight otherwise).
    let tapMajor = tapMajorWeight(weight, geometry: g, frozen: frozen)
    let spatial = g.outputHeight * g.outputWidth
    let patch = g.patchSize
    let direct = g.isPointwise
    let chunk = direct ? g.batch : imagesPerChunk(g)
    input.withUnsafeBufferPointer { pInput in
      tapMajor.withUnsafeBufferPointer { pWeight in
        ScratchPool.shared.withBuffer(direct ? 0 : patch * chunk * spatial) { col in
          output.withUnsafeMutableBufferPointer { pOutput in
            let (x, w, out) = (pInput.baseAddress!, pWeight.baseAddress!, pOutput.baseAddress!)
            let imageFloats = g.inputHeight * g.inputWidth * g.inputChannels
            for first in stride(from: 0, to: g.batch, by: chunk) {
              let images = Swift.min(chunk, g.batch - first)
              let rows = images * spatial
              let matrix: UnsafePointer<Float>
              if direct {
                matrix = x
              } else {
                im2col(input: x + first * imageFloats, images: images, geometry: g, col: col)
                matrix = UnsafePointer(col)
              }
              BLAS.sgemm(
                m: rows, n: g.outputChannels, k: patch,
                a: matrix, aCount: rows * patch, transposeA: false,
                b: w, bCount: g.weightCount, transposeB: true,
                c: out + first * spatial * g.outputChannels,
                cCount: g.outputCount - first * spatial * g.outputChannels)
            }
            if bias != nil || fusedReLU || residual != nil {
              withResidual(residual) { pResidual in
                biasResidualReLU(
                  out, rows: g.batch * spatial, channels: g.outputChannels, bias: bias,
                  residual: pResidual, relu: fusedReLU)
              }
            }
          }
        }
      }
    }
    return output
  }

  /// `forward(input:weight:…)` with `frozen`'s weight, for a layer that holds no weight of its own:
  /// a compact frozen weight (`FrozenWeight(packing:…)`) runs on its packed form, its crops
  /// compact too, and nothing unpacks the fp32 weight but a fallback for a geometry the direct
  /// convolution does not take.
  public static func forward(
    input: [Float], frozen: FrozenWeight, bias: [Float]?, geometry g: ConvolutionGeometry,
    outputScale: [Float]? = nil, fusedReLU: Bool = false, residual: [Float]? = nil
  ) -> [Float] {
    guard frozen.isCompact else {
      return forward(
        input: input, weight: frozen.values, bias: bias, geometry: g, outputScale: outputScale,
        fusedReLU: fusedReLU, residual: residual, frozen: frozen)
    }
    checkSizes(
      g, input: input.count, weight: frozen.count, bias: bias, outputScale: outputScale,
      residual: residual)
    if g.batch == 0 { return [] }
    if let (smaller, rows, columns) = pruned(g) {
      let crop = frozen.cropped(
        outputChannels: g.outputChannels, inputChannels: g.inputChannels, rows: rows,
        columns: columns
      ) { cropWeight(frozen.values, geometry: g, rows: rows, columns: columns) }
      return forward(
        input: input, frozen: crop, bias: bias, geometry: smaller, outputScale: outputScale,
        fusedReLU: fusedReLU, residual: residual)
    }
    guard let direct = frozen.directWeight(for: g) else {
      return forward(
        input: input, weight: frozen.values, bias: bias, geometry: g, outputScale: outputScale,
        fusedReLU: fusedReLU, residual: residual)
    }
    return directForward(
      direct, input: input, geometry: g, outputScale: outputScale, bias: bias,
      fusedReLU: fusedReLU, residual: residual)
  }

  /// The operands' sizes against `g` (the callers' shapes were checked above this layer: a
  /// mismatch here is a bug, not a user's input).
  private static func checkSizes(
    _ g: ConvolutionGeometry, input: Int, weight: Int, bias: [Float]?, outputScale: [Float]?,
    residual: [Float]?
  ) {
    precondition(g.isValid, "conv2d: invalid geometry \(g)")
    precondition(input == g.inputCount && weight == g.weightCount, "conv2d: sizes")
    precondition(bias == nil || bias!.count == g.outputChannels, "conv2d: bias size")
    precondition(
      outputScale == nil || outputScale!.count == g.outputChannels, "conv2d: scale size")
    precondition(residual == nil || residual!.count == g.outputCount, "conv2d: residual size")
  }

  /// The direct convolution with its epilogue, into a new output.
  private static func directForward(
    _ direct: DirectConvolutionWeight, input: [Float], geometry g: ConvolutionGeometry,
    outputScale: [Float]?, bias: [Float]?, fusedReLU: Bool, residual: [Float]?
  ) -> [Float] {
    var output = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
      count = g.outputCount
    }
    input.withUnsafeBufferPointer { pInput in
      output.withUnsafeMutableBufferPointer { pOutput in
        withResidual(residual) { pResidual in
          direct.convolve(
            pInput.baseAddress!, geometry: g, into: pOutput.baseAddress!,
            epilogue: ConvolutionEpilogue(
              scale: outputScale, bias: bias, residual: pResidual, relu: fusedReLU))
        }
      }
    }
    return output
  }

  /// `weight` (`[C_out, C, kH, kW]`) with each output channel's row in tap-major order,
  /// `[C_out, kH, kW, C]`, the order of an NHWC im2col row (the weight itself for a 1×1; a
  /// frozen weight keeps its copy).
  static func tapMajorWeight(
    _ weight: [Float], geometry g: ConvolutionGeometry, frozen: FrozenWeight?
  ) -> [Float] {
    if g.kernelHeight * g.kernelWidth == 1 { return weight }
    let make = { reordered(weight, geometry: g, toTapMajor: true) }
    return frozen?.tapMajor(make) ?? make()
  }

  /// A weight (or its gradient) between PyTorch's `[C_out, C, kH, kW]` and tap-major
  /// `[C_out, kH, kW, C]`.
  static func reordered(_ weight: [Float], geometry g: ConvolutionGeometry, toTapMajor: Bool)
    -> [Float]
  {
    let (channels, taps) = (g.inputChannels, g.kernelHeight * g.kernelWidth)
    var result = [Float](repeating: 0, count: weight.count)
    for output in 0..<g.outputChannels {
      let base = output * channels * taps
      for channel in 0..<channels {
        for tap in 0..<taps {
          let pytorch = base + channel * taps + tap
          let tapMajor = base + tap * channels + channel
          if toTapMajor {
            result[tapMajor] = weight[pytorch]
          } else {
            result[pytorch] = weight[tapMajor]
          }
        }
      }
    }
    return result
  }

  /// `x` (`[…, channels]`, an NHWC gradient) with each channel multiplied by its `scale`.
  public static func scaledChannels(_ x: [Float], by scale: [Float]) -> [Float] {
    var result = x
    let channels = scale.count
    for index in result.indices { result[index] *= scale[index % channels] }
    return result
  }

  /// `weight` (`[rows, …]`) with each row multiplied by its
  /// `scale`.
  public static func scaledRows(_ weight: [Float], by scale: [Float]) -> [Float] {
    let perRow = weight.count / Swift.max(scale.count, 1)
    var result = weight
    for row in scale.indices {
      for index in (row * perRow)..<((row + 1) * perRow) { result[index] *= scale[row] }
    }
    return result
  }

  /// `body` with a pointer to `residual`'s values, or nil.
  private static func withResidual<R>(
    _ residual: [Float]?, _ body: (UnsafePointer<Float>?) -> R
  ) -> R {
    guard let residual else { return body(nil) }
    return residual.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}
