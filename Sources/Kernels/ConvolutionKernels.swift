/// 2-D convolution (cross-correlation, as `torch.nn.functional.conv2d`) on channel-major
/// activations (`[C, N, H, W]`, see `ConvolutionGeometry`), with its backward pass and a naive
/// seven-loop NCHW twin that the tests use as oracle.
///
/// In this layout the whole batch is one matrix `[C, N·H·W]`: a 1×1 convolution is a single GEMM
/// on the input as it lies, and every GEMM writes its columns straight into the output. Other
/// kernels go through im2col in chunks of images whose matrix has about `targetColumns` columns,
/// so the buffer stays bounded when images are large; 3×3 stride-1 convolutions on large enough
/// maps use Winograd F(2×2, 3×3); kernel taps that only ever read padding are pruned.
public enum ConvolutionKernels {
  /// Columns of the im2col matrix per GEMM (images are grouped until they reach it).
  static let targetColumns = 2048

  static func imagesPerChunk(_ g: ConvolutionGeometry) -> Int {
    let spatial = g.outputHeight * g.outputWidth
    return Swift.max(1, Swift.min(g.batch, (targetColumns + spatial - 1) / Swift.max(spatial, 1)))
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
  /// `fusedReLU`. Shapes: `input: [C, N, H, W]`, `weight: [C_out, C, kH, kW]` (PyTorch's),
  /// `outputScale` and `bias: [C_out]`, `residual` and the result `[C_out, N, Ho, Wo]`. A scale (a
  /// folded batch norm's γ/σ), a bias and a residual (a bottleneck's shortcut) are applied as the
  /// packed GEMM stores its output, so `relu(bn(conv(x)) + shortcut)` is one pass and a folded
  /// layer shares the weight it was folded from; BLAS and Winograd get the weight scaled instead.
  ///
  /// `frozen`, when it holds `weight` (see `FrozenWeight`), keeps what this convolution derives
  /// from its weight across calls; otherwise it is ignored.
  public static func forward(
    input: [Float], weight: [Float], bias: [Float]?, geometry g: ConvolutionGeometry,
    outputScale: [Float]? = nil, fusedReLU: Bool = false, residual: [Float]? = nil,
    frozen: FrozenWeight? = nil
  ) -> [Float] {
    precondition(g.isValid, "conv2d: invalid geometry \(g)")
    precondition(input.count == g.inputCount && weight.count == g.weightCount, "conv2d: sizes")
    precondition(bias == nil || bias!.count == g.outputChannels, "conv2d: bias size")
    precondition(
      outputScale == nil || outputScale!.count == g.outputChannels, "conv2d: scale size")
    precondition(residual == nil || residual!.count == g.outputCount, "conv2d: residual size")
    if g.batch == 0 { return [] }
    let frozen = frozen?.holds(weight) == true ? frozen : nil
    if let (smaller, rows, columns) = pruned(g) {
      let crop = { cropWeight(weight, geometry: g, rows: rows, columns: columns) }
      // A frozen weight keeps its crop (and the crop's derived forms) too.
      let croppedFrozen = frozen?.cropped("\(rows)×\(columns)", crop)
      return forward(
        input: input, weight: croppedFrozen?.values ?? crop(), bias: bias, geometry: smaller,
        outputScale: outputScale, fusedReLU: fusedReLU, residual: residual,
        frozen: croppedFrozen)
    }
    // A frozen weight on an AVX-512 CPU runs every 3×3 on our packed GEMM, not Winograd: in
    // bf16 Winograd's transforms would add their rounding to bf16's, and in fp32 the packed GEMM
    // measured as fast without it (ResNet-50 forward at 224×224: 20–27 against 21–25 img/s, and
    // 30 MiB less memory, the transformed filters).
    let packed = frozen?.packedMatrix(rows: g.outputChannels)
    if packed == nil, let outputScale {
      // No epilogue to scale in: the weight scaled per output channel (kept by a frozen weight),
      // one pass over it against the convolution's N·Ho·Wo passes.
      let make = { scaledRows(weight, by: outputScale) }
      let scaled = frozen?.scaled(by: outputScale, make)
      return forward(
        input: input, weight: scaled?.values ?? make(), bias: bias, geometry: g,
        fusedReLU: fusedReLU, residual: residual, frozen: scaled)
    }
    if packed == nil, let residual {
      // BLAS and Winograd have no epilogue: the sum and its ReLU are one pass after them.
      var output = forward(
        input: input, weight: weight, bias: bias, geometry: g, fusedReLU: false, frozen: frozen)
      addReLU(&output, residual, relu: fusedReLU)
      return output
    }
    if packed == nil, winogradApplies(g) {
      return winogradForward(
        input: input, weight: weight, bias: bias, geometry: g, fusedReLU: fusedReLU,
        frozen: frozen)
    }
    // A frozen weight's GEMM packs every convolution but a stride-1 pointwise one (whose B is
    // the input itself) straight from the input, the whole batch at once, instead of writing an
    // im2col matrix: ResNet-50 forward 1,740–2,120 img/s at 32×32 against 1,130–1,250 through
    // im2col for the same-size ones (A/B, interleaved); the strided ones (the 7×7 stem, 3×3 and
    // 1×1 stride 2) gather, which saves the stem's 30 MB im2col matrix per 4 images at 224×224.
    let implicit = !g.isPointwise && g.inputCount < Int(Int32.max)
    if let packed, implicit {
      var output = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
        count = g.outputCount
      }
      input.withUnsafeBufferPointer { pInput in
        output.withUnsafeMutableBufferPointer { pOutput in
          withResidual(residual) { pResidual in
            packed.multiplyConvolution(
              pInput.baseAddress!, geometry: g, into: pOutput.baseAddress!,
              epilogue: GEMMEpilogue(
                scale: outputScale, bias: bias, residual: pResidual,
                residualStride: g.outputCount / g.outputChannels, relu: fusedReLU))
          }
        }
      }
      return output
    }
    let spatial = g.outputHeight * g.outputWidth
    let totalColumns = g.batch * spatial
    let patch = g.inputChannels * g.kernelHeight * g.kernelWidth
    let direct = g.isPointwise
    let chunk = direct ? g.batch : imagesPerChunk(g)
    var output = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
      count = g.outputCount
    }
    input.withUnsafeBufferPointer { pInput in
      weight.withUnsafeBufferPointer { pWeight in
        ScratchPool.shared.withBuffer(direct ? 0 : patch * chunk * spatial) { col in
          output.withUnsafeMutableBufferPointer { pOutput in
            let (x, w, out) = (pInput.baseAddress!, pWeight.baseAddress!, pOutput.baseAddress!)
            let plane = g.inputHeight * g.inputWidth
            for first in stride(from: 0, to: g.batch, by: chunk) {
              let images = Swift.min(chunk, g.batch - first)
              let columns = images * spatial
              let matrix: UnsafePointer<Float>
              let ldb: Int
              if direct {
                matrix = x
                ldb = totalColumns
              } else if g.strideHeight == 1 && g.strideWidth == 1
                && g.outputHeight == g.inputHeight && g.outputWidth == g.inputWidth
              {
                im2colSameSize(input: x + first * plane, images: images, geometry: g, col: col)
                matrix = UnsafePointer(col)
                ldb = columns
              } else {
                im2col(input: x + first * plane, images: images, geometry: g, col: col)
                matrix = UnsafePointer(col)
                ldb = columns
              }
              if let packed {
                withResidual(residual) { pResidual in
                  packed.multiply(
                    matrix, ldb: ldb, columns: columns, into: out + first * spatial,
                    ldc: totalColumns,
                    epilogue: GEMMEpilogue(
                      scale: outputScale, bias: bias,
                      residual: pResidual.map { $0 + first * spatial },
                      residualStride: totalColumns, relu: fusedReLU))
                }
              } else {
                BLAS.sgemm(
                  m: g.outputChannels, n: columns, k: patch,
                  a: w, aCount: g.weightCount, transposeA: false,
                  b: matrix, bCount: (patch - 1) * ldb + columns, transposeB: false,
                  c: out + first * spatial, cCount: g.outputCount - first * spatial,
                  ldb: ldb, ldc: totalColumns)
              }
            }
            if packed == nil, bias != nil || fusedReLU {
              biasReLU(
                out, rows: g.outputChannels, columns: totalColumns, bias: bias, relu: fusedReLU)
            }
          }
        }
      }
    }
    return output
  }

  /// `weight` (`[rows, …]`, or a gradient `[C_out, N, Ho, Wo]`) with each row multiplied by its
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

  /// `x = x + residual`, then `max(·, 0)` when `relu`, in place.
  private static func addReLU(_ x: inout [Float], _ residual: [Float], relu: Bool) {
    if relu { return ElementwiseKernels.addReLU(into: &x, residual) }
    for index in x.indices { x[index] += residual[index] }
  }
}
