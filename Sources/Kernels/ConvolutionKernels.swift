/// 2-D convolution (cross-correlation, as `torch.nn.functional.conv2d`) by im2col + one sgemm per
/// chunk of images, with its backward passes and a naive seven-loop twin.
///
/// Images are processed in chunks whose im2col matrix has about `targetColumns` columns, so the
/// GEMM `W·col` (`[C_out, C·kH·kW] · [C·kH·kW, images·Ho·Wo]`) stays large when each image is
/// small (ResNet's last stage on 32×32 inputs is 1×1 spatially) and the buffer stays bounded
/// when images are large. A chunk of one image writes the GEMM straight into the NCHW output.
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

  /// The sub-kernel `weight[:, :, rows, columns]` (`[C_out, C/groups, kH', kW']`).
  static func cropWeight(
    _ weight: [Float], geometry g: ConvolutionGeometry, rows: Range<Int>, columns: Range<Int>
  ) -> [Float] {
    var result: [Float] = []
    result.reserveCapacity(g.outputChannels * g.groupInputChannels * rows.count * columns.count)
    for filter in 0..<(g.outputChannels * g.groupInputChannels) {
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
    for filter in 0..<(g.outputChannels * g.groupInputChannels) {
      for i in rows {
        for j in columns {
          result[(filter * g.kernelHeight + i) * g.kernelWidth + j] = cropped[index]
          index += 1
        }
      }
    }
    return result
  }

  /// `output = conv(input, weight) + bias`, then `max(·, 0)` when `fusedReLU`.
  /// Shapes: `input: [N, C, H, W]`, `weight: [C_out, C/groups, kH, kW]`, `bias: [C_out]`,
  /// result `[N, C_out, Ho, Wo]`.
  public static func forward(
    input: [Float], weight: [Float], bias: [Float]?, geometry g: ConvolutionGeometry,
    fusedReLU: Bool = false
  ) -> [Float] {
    precondition(g.isValid, "conv2d: invalid geometry \(g)")
    precondition(input.count == g.inputCount && weight.count == g.weightCount, "conv2d: sizes")
    precondition(bias == nil || bias!.count == g.outputChannels, "conv2d: bias size")
    if g.batch == 0 { return [] }
    if let (smaller, rows, columns) = pruned(g) {
      return forward(
        input: input, weight: cropWeight(weight, geometry: g, rows: rows, columns: columns),
        bias: bias, geometry: smaller, fusedReLU: fusedReLU)
    }
    if winogradApplies(g) {
      return winogradForward(
        input: input, weight: weight, bias: bias, geometry: g, fusedReLU: fusedReLU)
    }
    let spatial = g.outputHeight * g.outputWidth
    let chunk = imagesPerChunk(g)
    let patch = g.inputChannels * g.kernelHeight * g.kernelWidth
    let needsCol = !(g.isPointwise && chunk == 1)
    var output = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
      count = g.outputCount
    }
    let colCount = needsCol ? patch * chunk * spatial : 0
    let stagingCount = chunk > 1 ? g.outputChannels * chunk * spatial : 0
    input.withUnsafeBufferPointer { pInput in
      weight.withUnsafeBufferPointer { pWeight in
        ScratchPool.shared.withBuffer(colCount) { colBase in
          ScratchPool.shared.withBuffer(stagingCount) { stagingBase in
            output.withUnsafeMutableBufferPointer { pOutput in
              let x = pInput.baseAddress!
              let out = pOutput.baseAddress!
              for first in stride(from: 0, to: g.batch, by: chunk) {
                let images = Swift.min(chunk, g.batch - first)
                let columns = images * spatial
                let imageInput = x + first * g.inputChannels * g.inputHeight * g.inputWidth
                let matrix: UnsafePointer<Float>
                if g.isPointwise && images == 1 {
                  matrix = imageInput
                } else if g.isPointwise {
                  reorder(
                    imageInput, images: images, channels: g.inputChannels, spatial: spatial,
                    into: colBase, inverse: false)
                  matrix = UnsafePointer(colBase)
                } else {
                  im2col(input: imageInput, images: images, geometry: g, col: colBase)
                  matrix = UnsafePointer(colBase)
                }
                let target =
                  images == 1 ? out + first * g.outputChannels * spatial : stagingBase
                multiplyGroups(
                  weight: pWeight.baseAddress!, matrix: matrix, columns: columns, geometry: g,
                  into: target)
                epilogue(
                  target, images: images, spatial: spatial, geometry: g,
                  output: out + first * g.outputChannels * spatial, bias: bias, relu: fusedReLU)
              }
            }
          }
        }
      }
    }
    return output
  }

  /// `result[C_out, columns] = W · matrix`, one GEMM per group.
  static func multiplyGroups(
    weight: UnsafePointer<Float>, matrix: UnsafePointer<Float>, columns: Int,
    geometry g: ConvolutionGeometry, into result: UnsafeMutablePointer<Float>
  ) {
    let m = g.groupOutputChannels
    let k = g.groupPatchSize
    for group in 0..<g.groups {
      BLAS.sgemm(
        m: m, n: columns, k: k,
        a: weight + group * m * k, aCount: m * k, transposeA: false,
        b: matrix + group * k * columns, bCount: k * columns, transposeB: false,
        c: result + group * m * columns, cCount: m * columns)
    }
  }

  /// Moves `gemm: [C_out, images·spatial]` into `output: [images, C_out, spatial]` adding the
  /// bias and applying ReLU (in place when `gemm` already is the output, for one image).
  static func epilogue(
    _ gemm: UnsafeMutablePointer<Float>, images: Int, spatial: Int, geometry g: ConvolutionGeometry,
    output: UnsafeMutablePointer<Float>, bias: [Float]?, relu: Bool
  ) {
    let channels = g.outputChannels
    let columns = images * spatial
    if images == 1 && bias == nil && !relu { return }
    parallelChunks(channels, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(columns, 1))) {
      range in
      for channel in range {
        let shift = bias?[channel] ?? 0
        for image in 0..<images {
          let source = gemm + channel * columns + image * spatial
          let target = output + (image * channels + channel) * spatial
          if relu {
            for index in 0..<spatial {
              let value = source[index] + shift
              target[index] = value > 0 ? value : 0
            }
          } else if shift != 0 || source != target {
            for index in 0..<spatial { target[index] = source[index] + shift }
          }
        }
      }
    }
  }

}
