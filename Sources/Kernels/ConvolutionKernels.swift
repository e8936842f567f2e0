/// The sizes of one 2-D convolution over NCHW arrays (PyTorch's layout).
///
/// Shapes: input `[batch, inputChannels, inputHeight, inputWidth]`, weight
/// `[outputChannels, inputChannels / groups, kernelHeight, kernelWidth]`, output
/// `[batch, outputChannels, outputHeight, outputWidth]` with
/// `outputHeight = (inputHeight + 2·paddingHeight − dilationHeight·(kernelHeight − 1) − 1) / strideHeight + 1`.
public struct ConvolutionGeometry: Sendable, Equatable {
  /// N.
  public var batch: Int
  /// C.
  public var inputChannels: Int
  /// H.
  public var inputHeight: Int
  /// W.
  public var inputWidth: Int
  /// C_out.
  public var outputChannels: Int
  /// kH.
  public var kernelHeight: Int
  /// kW.
  public var kernelWidth: Int
  /// Vertical stride.
  public var strideHeight: Int
  /// Horizontal stride.
  public var strideWidth: Int
  /// Zero rows added above and below.
  public var paddingHeight: Int
  /// Zero columns added left and right.
  public var paddingWidth: Int
  /// Vertical spacing between kernel taps.
  public var dilationHeight: Int
  /// Horizontal spacing between kernel taps.
  public var dilationWidth: Int
  /// Channel groups: input and output channels split into this many independent convolutions.
  public var groups: Int

  /// A geometry; stride, padding and dilation apply to both axes.
  public init(
    batch: Int, inputChannels: Int, inputHeight: Int, inputWidth: Int,
    outputChannels: Int, kernelHeight: Int, kernelWidth: Int,
    stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
  ) {
    self.batch = batch
    self.inputChannels = inputChannels
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.outputChannels = outputChannels
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.strideHeight = stride
    self.strideWidth = stride
    self.paddingHeight = padding
    self.paddingWidth = padding
    self.dilationHeight = dilation
    self.dilationWidth = dilation
    self.groups = groups
  }

  /// Ho.
  public var outputHeight: Int {
    (inputHeight + 2 * paddingHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1
  }
  /// Wo.
  public var outputWidth: Int {
    (inputWidth + 2 * paddingWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1
  }
  /// Whether the sizes describe a computable convolution (positive sizes, output at least 1×1).
  public var isValid: Bool {
    batch >= 0 && inputChannels > 0 && outputChannels > 0 && kernelHeight > 0 && kernelWidth > 0
      && strideHeight > 0 && strideWidth > 0 && paddingHeight >= 0 && paddingWidth >= 0
      && dilationHeight > 0 && dilationWidth > 0 && groups > 0
      && inputChannels % groups == 0 && outputChannels % groups == 0
      && inputHeight + 2 * paddingHeight >= dilationHeight * (kernelHeight - 1) + 1
      && inputWidth + 2 * paddingWidth >= dilationWidth * (kernelWidth - 1) + 1
  }
  /// Elements of the input.
  public var inputCount: Int { batch * inputChannels * inputHeight * inputWidth }
  /// Elements of the output.
  public var outputCount: Int { batch * outputChannels * outputHeight * outputWidth }
  /// Elements of the weight.
  public var weightCount: Int { outputChannels * groupPatchSize }
  /// Input channels per group.
  var groupInputChannels: Int { inputChannels / groups }
  /// Output channels per group.
  var groupOutputChannels: Int { outputChannels / groups }
  /// Rows of one group's im2col matrix: `C/groups · kH · kW`.
  var groupPatchSize: Int { groupInputChannels * kernelHeight * kernelWidth }
  /// A 1×1, stride-1, unpadded convolution: the input already is the im2col matrix.
  var isPointwise: Bool {
    kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1
      && paddingHeight == 0 && paddingWidth == 0
  }
}

/// 2-D convolution (cross-correlation, as `torch.nn.functional.conv2d`) by im2col + one sgemm per
/// chunk of images, with its backward passes and a naive seven-loop twin.
///
/// Images are processed in chunks whose im2col matrix has about `targetColumns` columns, so the
/// GEMM `W·col` (`[C_out, C·kH·kW] · [C·kH·kW, images·Ho·Wo]`) stays large when each image is
/// small (ResNet's last stage on 32×32 inputs is 1×1 spatially) and the buffer stays bounded
/// when images are large. A chunk of one image writes the GEMM straight into the NCHW output.
public enum ConvolutionKernels {
  /// Columns of the im2col matrix per GEMM (images are grouped until they reach it).
  nonisolated(unsafe) public static var targetColumns = 2048

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

  /// Fills `col: [C·kH·kW, images·Ho·Wo]` from `input: [images, C, H, W]` (zeros for padding).
  /// Row `(c·kH + i)·kW + j`, column `(n·Ho + oh)·Wo + ow` holds
  /// `input[n, c, oh·sH − pH + i·dH, ow·sW − pW + j·dW]`.
  static func im2col(
    input: UnsafePointer<Float>, images: Int, geometry g: ConvolutionGeometry,
    col: UnsafeMutablePointer<Float>
  ) {
    let (height, width) = (g.inputHeight, g.inputWidth)
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let (kH, kW) = (g.kernelHeight, g.kernelWidth)
    let (sH, sW) = (g.strideHeight, g.strideWidth)
    let plane = height * width
    let spatial = outHeight * outWidth
    let columns = images * spatial
    let rows = g.inputChannels * kH * kW
    let contiguous = sH == 1 && sW == 1 && outWidth == width
    parallelChunks(rows, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(columns, 1))) {
      range in
      for row in range {
        let channel = row / (kH * kW)
        let i = (row / kW) % kH
        let j = row % kW
        let rowOffset = i * g.dilationHeight - g.paddingHeight
        let columnOffset = j * g.dilationWidth - g.paddingWidth
        let (ohStart, ohEnd) = validRange(
          outputs: outHeight, stride: sH, offset: rowOffset, extent: height)
        let (owStart, owEnd) = validRange(
          outputs: outWidth, stride: sW, offset: columnOffset, extent: width)
        for image in 0..<images {
          let source = input + (image * g.inputChannels + channel) * plane
          let target = col + row * columns + image * spatial
          if ohStart > 0 { zero(target, count: ohStart * outWidth) }
          if contiguous && ohStart < ohEnd && owStart < owEnd {
            // Same-size stride-1 output: the valid block is one shifted copy of the plane;
            // the few positions that fall in the padding are zeroed afterwards.
            let first = ohStart * outWidth + owStart
            let last = (ohEnd - 1) * outWidth + owEnd
            copy(
              source + first + rowOffset * width + columnOffset, target + first, count: last - first
            )
            if owStart > 0 || owEnd < outWidth {
              for oh in ohStart..<ohEnd {
                let line = target + oh * outWidth
                for ow in 0..<owStart { line[ow] = 0 }
                for ow in owEnd..<outWidth { line[ow] = 0 }
              }
            }
          } else {
            for oh in ohStart..<ohEnd {
              let line = target + oh * outWidth
              let sourceLine = source + (oh * sH + rowOffset) * width + columnOffset
              if owStart > 0 { zero(line, count: owStart) }
              if sW == 1 {
                copy(sourceLine + owStart, line + owStart, count: owEnd - owStart)
              } else {
                for ow in owStart..<owEnd { line[ow] = sourceLine[ow * sW] }
              }
              if owEnd < outWidth { zero(line + owEnd, count: outWidth - owEnd) }
            }
          }
          if ohEnd < outHeight {
            zero(target + ohEnd * outWidth, count: (outHeight - ohEnd) * outWidth)
          }
        }
      }
    }
  }

  /// Adds `col: [C·kH·kW, images·Ho·Wo]` back into `gradInput: [images, C, H, W]` (the adjoint
  /// of `im2col`). Parallel over channels, each of which owns its input planes. Entries of `col`
  /// that fall in the padding may be overwritten with zeros (it is scratch).
  static func col2im(
    col: UnsafeMutablePointer<Float>, images: Int, geometry g: ConvolutionGeometry,
    gradInput: UnsafeMutablePointer<Float>
  ) {
    let (height, width) = (g.inputHeight, g.inputWidth)
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let (kH, kW) = (g.kernelHeight, g.kernelWidth)
    let (sH, sW) = (g.strideHeight, g.strideWidth)
    let plane = height * width
    let spatial = outHeight * outWidth
    let columns = images * spatial
    let perChannel = kH * kW * columns
    let contiguous = sH == 1 && sW == 1 && outWidth == width
    parallelChunks(g.inputChannels, minimumPerThread: Swift.max(1, (1 << 14) / perChannel)) {
      range in
      for channel in range {
        for i in 0..<kH {
          let rowOffset = i * g.dilationHeight - g.paddingHeight
          let (ohStart, ohEnd) = validRange(
            outputs: outHeight, stride: sH, offset: rowOffset, extent: height)
          for j in 0..<kW {
            let columnOffset = j * g.dilationWidth - g.paddingWidth
            let (owStart, owEnd) = validRange(
              outputs: outWidth, stride: sW, offset: columnOffset, extent: width)
            let row = (channel * kH + i) * kW + j
            for image in 0..<images {
              let target = gradInput + (image * g.inputChannels + channel) * plane
              let source = col + row * columns + image * spatial
              if contiguous && ohStart < ohEnd && owStart < owEnd {
                // One shifted block add; entries that belong to padding are zeroed first so
                // they add nothing where the block wraps into the neighbouring row.
                if owStart > 0 || owEnd < outWidth {
                  for oh in ohStart..<ohEnd {
                    let line = source + oh * outWidth
                    for ow in 0..<owStart { line[ow] = 0 }
                    for ow in owEnd..<outWidth { line[ow] = 0 }
                  }
                }
                let first = ohStart * outWidth + owStart
                let count = (ohEnd - 1) * outWidth + owEnd - first
                let from = source + first
                let into = target + first + rowOffset * width + columnOffset
                for index in 0..<count { into[index] += from[index] }
                continue
              }
              for oh in ohStart..<ohEnd {
                let line = source + oh * outWidth
                let targetLine = target + (oh * sH + rowOffset) * width + columnOffset
                if sW == 1 {
                  for ow in owStart..<owEnd { targetLine[ow] += line[ow] }
                } else {
                  for ow in owStart..<owEnd { targetLine[ow * sW] += line[ow] }
                }
              }
            }
          }
        }
      }
    }
  }

  /// Copies `source: [images, channels, spatial]` into `target: [channels, images·spatial]`
  /// (or back when `inverse`): the reorder between NCHW and the GEMM's `[C, N·H·W]`.
  static func reorder(
    _ source: UnsafePointer<Float>, images: Int, channels: Int, spatial: Int,
    into target: UnsafeMutablePointer<Float>, inverse: Bool
  ) {
    let columns = images * spatial
    parallelChunks(channels, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(columns, 1))) {
      range in
      for channel in range {
        for image in 0..<images {
          let nchw = (image * channels + channel) * spatial
          let gemm = channel * columns + image * spatial
          if inverse {
            copy(source + gemm, target + nchw, count: spatial)
          } else {
            copy(source + nchw, target + gemm, count: spatial)
          }
        }
      }
    }
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
    if useWinograd && winogradApplies(g) {
      return winogradForward(
        input: input, weight: weight, bias: bias, geometry: g, fusedReLU: fusedReLU)
    }
    let spatial = g.outputHeight * g.outputWidth
    let chunk = imagesPerChunk(g)
    let patch = g.inputChannels * g.kernelHeight * g.kernelWidth
    let needsCol = !(g.isPointwise && chunk == 1)
    var col = [Float](unsafeUninitializedCapacity: needsCol ? patch * chunk * spatial : 0) {
      _, count in count = needsCol ? patch * chunk * spatial : 0
    }
    var staging = [Float](
      unsafeUninitializedCapacity: chunk > 1 ? g.outputChannels * chunk * spatial : 0
    ) {
      _, count in count = chunk > 1 ? g.outputChannels * chunk * spatial : 0
    }
    var output = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
      count = g.outputCount
    }
    input.withUnsafeBufferPointer { pInput in
      weight.withUnsafeBufferPointer { pWeight in
        col.withUnsafeMutableBufferPointer { pCol in
          staging.withUnsafeMutableBufferPointer { pStaging in
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
                    into: pCol.baseAddress!, inverse: false)
                  matrix = UnsafePointer(pCol.baseAddress!)
                } else {
                  im2col(input: imageInput, images: images, geometry: g, col: pCol.baseAddress!)
                  matrix = UnsafePointer(pCol.baseAddress!)
                }
                let target =
                  images == 1 ? out + first * g.outputChannels * spatial : pStaging.baseAddress!
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
    if let (smaller, rows, columns) = pruned(g) {
      let result = backward(
        gradOutput: gradOutput, input: input,
        weight: cropWeight(weight, geometry: g, rows: rows, columns: columns), geometry: smaller,
        needsInput: needsInput, needsWeight: needsWeight, needsBias: needsBias)
      return (
        result.input,
        result.weight.map { expandWeight($0, geometry: g, rows: rows, columns: columns) },
        result.bias
      )
    }
    let spatial = g.outputHeight * g.outputWidth
    let chunk = imagesPerChunk(g)
    let patch = g.inputChannels * g.kernelHeight * g.kernelWidth
    let (m, k) = (g.groupOutputChannels, g.groupPatchSize)
    let needsCol = (needsInput || needsWeight) && !(g.isPointwise && chunk == 1)
    let colCount = needsCol ? patch * chunk * spatial : 0
    var col = [Float](unsafeUninitializedCapacity: colCount) { _, count in count = colCount }
    let stagingCount = chunk > 1 ? g.outputChannels * chunk * spatial : 0
    var staging = [Float](unsafeUninitializedCapacity: stagingCount) { _, count in
      count = stagingCount
    }
    var gradInput = [Float](repeating: 0, count: needsInput ? g.inputCount : 0)
    var gradWeight = [Float](repeating: 0, count: needsWeight ? g.weightCount : 0)
    let gradBias = needsBias ? biasGradient(gradOutput, geometry: g) : nil
    guard (needsInput || needsWeight) && g.batch > 0 else {
      return (needsInput ? gradInput : nil, needsWeight ? gradWeight : nil, gradBias)
    }
    input.withUnsafeBufferPointer { pInput in
      weight.withUnsafeBufferPointer { pWeight in
        gradOutput.withUnsafeBufferPointer { pGrad in
          col.withUnsafeMutableBufferPointer { pCol in
            staging.withUnsafeMutableBufferPointer { pStaging in
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
                        into: pStaging.baseAddress!, inverse: false)
                      gradient = UnsafePointer(pStaging.baseAddress!)
                    }
                    let imageInput = pInput.baseAddress! + first * imageSize
                    if needsWeight {
                      let matrix: UnsafePointer<Float>
                      if g.isPointwise && images == 1 {
                        matrix = imageInput
                      } else if g.isPointwise {
                        reorder(
                          imageInput, images: images, channels: g.inputChannels, spatial: spatial,
                          into: pCol.baseAddress!, inverse: false)
                        matrix = UnsafePointer(pCol.baseAddress!)
                      } else {
                        im2col(
                          input: imageInput, images: images, geometry: g, col: pCol.baseAddress!)
                        matrix = UnsafePointer(pCol.baseAddress!)
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
                      let gradCol = direct ? target : pCol.baseAddress!
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
                          pCol.baseAddress!, images: images, channels: g.inputChannels,
                          spatial: spatial, into: target, inverse: true)
                      } else {
                        col2im(
                          col: pCol.baseAddress!, images: images, geometry: g, gradInput: target)
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

  // MARK: - Naive twins (seven nested loops, Double accumulation): the tests' oracle.

  /// Direct convolution: `out[n, o, y, x] = b[o] + Σ_{c, i, j} in[n, g·C/G + c, y·s − p + i·d,
  /// x·s − p + j·d] · w[o, c, i, j]` where `g = o / (C_out/G)`.
  public static func naiveForward(
    input: [Float], weight: [Float], bias: [Float]?, geometry g: ConvolutionGeometry
  ) -> [Float] {
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    var output = [Float](repeating: 0, count: g.outputCount)
    for n in 0..<g.batch {
      for o in 0..<g.outputChannels {
        let group = o / g.groupOutputChannels
        for y in 0..<outHeight {
          for x in 0..<outWidth {
            var sum = Double(bias?[o] ?? 0)
            for c in 0..<g.groupInputChannels {
              let channel = group * g.groupInputChannels + c
              for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                  let row = y * g.strideHeight - g.paddingHeight + i * g.dilationHeight
                  let column = x * g.strideWidth - g.paddingWidth + j * g.dilationWidth
                  guard row >= 0, row < g.inputHeight, column >= 0, column < g.inputWidth else {
                    continue
                  }
                  let value = input[
                    ((n * g.inputChannels + channel) * g.inputHeight + row) * g.inputWidth + column]
                  let tap = weight[
                    ((o * g.groupInputChannels + c) * g.kernelHeight + i) * g.kernelWidth + j]
                  sum += Double(value) * Double(tap)
                }
              }
            }
            output[((n * g.outputChannels + o) * outHeight + y) * outWidth + x] = Float(sum)
          }
        }
      }
    }
    return output
  }

  /// Direct gradients of `naiveForward` w.r.t. input and weight, by the same seven loops.
  public static func naiveBackward(
    gradOutput: [Float], input: [Float], weight: [Float], geometry g: ConvolutionGeometry
  ) -> (input: [Float], weight: [Float]) {
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    var gradInput = [Double](repeating: 0, count: g.inputCount)
    var gradWeight = [Double](repeating: 0, count: g.weightCount)
    for n in 0..<g.batch {
      for o in 0..<g.outputChannels {
        let group = o / g.groupOutputChannels
        for y in 0..<outHeight {
          for x in 0..<outWidth {
            let upstream = Double(
              gradOutput[((n * g.outputChannels + o) * outHeight + y) * outWidth + x])
            for c in 0..<g.groupInputChannels {
              let channel = group * g.groupInputChannels + c
              for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                  let row = y * g.strideHeight - g.paddingHeight + i * g.dilationHeight
                  let column = x * g.strideWidth - g.paddingWidth + j * g.dilationWidth
                  guard row >= 0, row < g.inputHeight, column >= 0, column < g.inputWidth else {
                    continue
                  }
                  let inputIndex =
                    ((n * g.inputChannels + channel) * g.inputHeight + row) * g.inputWidth + column
                  let weightIndex =
                    ((o * g.groupInputChannels + c) * g.kernelHeight + i) * g.kernelWidth + j
                  gradInput[inputIndex] += upstream * Double(weight[weightIndex])
                  gradWeight[weightIndex] += upstream * Double(input[inputIndex])
                }
              }
            }
          }
        }
      }
    }
    return (gradInput.map(Float.init), gradWeight.map(Float.init))
  }
}

// MARK: - Winograd F(2×2, 3×3) forward

extension ConvolutionKernels {
  /// Whether 3×3 stride-1 convolutions run forward through Winograd F(2×2, 3×3) (16 GEMMs on
  /// transformed tiles: 2.25× fewer multiplications than im2col). Backward always uses im2col.
  nonisolated(unsafe) public static var useWinograd = true

  /// 3×3, stride 1, no dilation, one group, an even output of at least 8×8 (odd sizes waste a
  /// row and a column of tiles) and `Ho·Wo·min(C, C_out) ≥ 8192`. Measured (2 cores, batch 16
  /// or 64): ×1.35 at 128@28² and 256@14², ×1.15 at 64@16², ×1.1 at 64@56² and 128@8²; slower
  /// at 64@8² (×0.85) and on 4×4 maps (×0.7–0.9), where the transforms outweigh the GEMMs.
  static func winogradApplies(_ g: ConvolutionGeometry) -> Bool {
    let spatial = g.outputHeight * g.outputWidth
    return g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideHeight == 1
      && g.strideWidth == 1 && g.dilationHeight == 1 && g.dilationWidth == 1 && g.groups == 1
      && g.outputHeight >= 8 && g.outputWidth >= 8 && g.outputHeight % 2 == 0
      && g.outputWidth % 2 == 0 && Swift.min(g.inputChannels, g.outputChannels) >= 32
      && spatial * Swift.min(g.inputChannels, g.outputChannels) >= 8192
  }

  /// `U[ξ, o, c] = (G·w[o, c]·Gᵀ)[ξ]` with `G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]]`.
  /// Shapes: `weight: [C_out, C, 3, 3]` → `[16, C_out, C]`.
  static func winogradFilters(_ weight: [Float], pairs: Int) -> [Float] {
    var result = [Float](repeating: 0, count: 16 * pairs)
    weight.withUnsafeBufferPointer { pw in
      result.withUnsafeMutableBufferPointer { pu in
        guard let w = pw.baseAddress, let u = pu.baseAddress else { return }
        for pair in 0..<pairs {
          let g = w + pair * 9
          // t = G·g (4×3) as rows; U = t·Gᵀ (4×4).
          let g0 = SIMD4<Float>(g[0], g[1], g[2], 0)
          let g1 = SIMD4<Float>(g[3], g[4], g[5], 0)
          let g2 = SIMD4<Float>(g[6], g[7], g[8], 0)
          @inline(__always) func store(_ index: Int, _ r: SIMD4<Float>) {
            u[(index * 4 + 0) * pairs + pair] = r[0]
            u[(index * 4 + 1) * pairs + pair] = 0.5 * (r[0] + r[1] + r[2])
            u[(index * 4 + 2) * pairs + pair] = 0.5 * (r[0] - r[1] + r[2])
            u[(index * 4 + 3) * pairs + pair] = r[2]
          }
          store(0, g0)
          store(1, 0.5 * (g0 + g1 + g2))
          store(2, 0.5 * (g0 - g1 + g2))
          store(3, g2)
        }
      }
    }
    return result
  }

  /// Winograd F(2×2, 3×3): per 2×2 output tile, `V = Bᵀ·d·B` of its 4×4 input patch
  /// (`Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]]`), `M[ξ] = U[ξ]·V[ξ]` (one
  /// `[C_out, C]·[C, tiles]` GEMM per ξ), `Y = Aᵀ·M·A` (`Aᵀ = [[1,1,1,0],[0,1,−1,−1]]`), then bias
  /// and ReLU. Same contract as `forward`.
  static func winogradForward(
    input: [Float], weight: [Float], bias: [Float]?, geometry g: ConvolutionGeometry,
    fusedReLU: Bool
  ) -> [Float] {
    let (channels, outChannels) = (g.inputChannels, g.outputChannels)
    let (height, width) = (g.inputHeight, g.inputWidth)
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let (tilesHigh, tilesWide) = ((outHeight + 1) / 2, (outWidth + 1) / 2)
    let tilesPerImage = tilesHigh * tilesWide
    // Images per chunk: enough tiles for efficient GEMMs, V and M bounded to ~16 MB each.
    let byTiles = Swift.max(1, 2048 / tilesPerImage)
    let byMemory = Swift.max(
      1, (1 << 22) / (16 * Swift.max(channels, outChannels) * tilesPerImage))
    let chunk = Swift.min(g.batch, Swift.min(byTiles, byMemory))
    let maxTiles = chunk * tilesPerImage
    let filters = winogradFilters(weight, pairs: outChannels * channels)
    let transformedCount = 16 * channels * maxTiles
    var transformed = [Float](unsafeUninitializedCapacity: transformedCount) { _, count in
      count = transformedCount
    }
    let productCount = 16 * outChannels * maxTiles + 8  // slack for 8-wide loads
    var products = [Float](unsafeUninitializedCapacity: productCount) { _, count in
      count = productCount
    }
    var output = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
      count = g.outputCount
    }
    let (padTop, padLeft) = (g.paddingHeight, g.paddingWidth)
    let paddedHeight = 2 * tilesHigh + 2
    let paddedWidth = 2 * tilesWide + 2
    input.withUnsafeBufferPointer { pInput in
      filters.withUnsafeBufferPointer { pFilters in
        transformed.withUnsafeMutableBufferPointer { pV in
          products.withUnsafeMutableBufferPointer { pM in
            output.withUnsafeMutableBufferPointer { pOutput in
              let (x, u, v, m, out) = (
                pInput.baseAddress!, pFilters.baseAddress!, pV.baseAddress!, pM.baseAddress!,
                pOutput.baseAddress!
              )
              for first in stride(from: 0, to: g.batch, by: chunk) {
                let images = Swift.min(chunk, g.batch - first)
                let tiles = images * tilesPerImage
                winogradInput(
                  x + first * channels * height * width, images: images, geometry: g,
                  padded: (paddedHeight, paddedWidth, padTop, padLeft),
                  tiles: (tilesHigh, tilesWide, tiles), into: v)
                for xi in 0..<16 {
                  BLAS.sgemm(
                    m: outChannels, n: tiles, k: channels,
                    a: u + xi * outChannels * channels, aCount: outChannels * channels,
                    transposeA: false,
                    b: v + xi * channels * tiles, bCount: channels * tiles, transposeB: false,
                    c: m + xi * outChannels * tiles, cCount: outChannels * tiles)
                }
                winogradOutput(
                  m, images: images, geometry: g, tiles: (tilesHigh, tilesWide, tiles),
                  bias: bias, relu: fusedReLU,
                  into: out + first * outChannels * outHeight * outWidth)
              }
            }
          }
        }
      }
    }
    return output
  }

  /// `V[ξ, c, t] = (Bᵀ·d·B)[ξ]` for every 4×4 patch `d` (stride 2) of each zero-padded plane,
  /// eight tiles at a time: each padded row is split into its even and odd columns so the four
  /// patch columns of eight neighbouring tiles are four contiguous 8-wide loads.
  static func winogradInput(
    _ x: UnsafePointer<Float>, images: Int, geometry g: ConvolutionGeometry,
    padded: (height: Int, width: Int, top: Int, left: Int),
    tiles: (high: Int, wide: Int, count: Int), into v: UnsafeMutablePointer<Float>
  ) {
    let (channels, height, width) = (g.inputChannels, g.inputHeight, g.inputWidth)
    let tilesPerImage = tiles.high * tiles.wide
    let step = channels * tiles.count
    // Even/odd columns of each padded row, with 8 floats of slack for the last block's loads.
    let half = tiles.wide + 1 + 8
    parallelChunks(channels, minimumPerThread: Swift.max(1, 4096 / tiles.count)) { range in
      let even = UnsafeMutablePointer<Float>.allocate(capacity: padded.height * half)
      let odd = UnsafeMutablePointer<Float>.allocate(capacity: padded.height * half)
      defer {
        even.deallocate()
        odd.deallocate()
      }
      even.initialize(repeating: 0, count: padded.height * half)
      odd.initialize(repeating: 0, count: padded.height * half)
      let rowsCopied = Swift.min(height, padded.height - padded.top)
      let columnsCopied = Swift.min(width, padded.width - padded.left)
      for channel in range {
        for image in 0..<images {
          let plane = x + (image * channels + channel) * height * width
          for row in 0..<rowsCopied {
            let source = plane + row * width
            let target = (row + padded.top) * half
            for column in 0..<columnsCopied {
              let padColumn = column + padded.left
              if padColumn & 1 == 0 {
                even[target + padColumn >> 1] = source[column]
              } else {
                odd[target + padColumn >> 1] = source[column]
              }
            }
          }
          let imageBase = v + channel * tiles.count + image * tilesPerImage
          for th in 0..<tiles.high {
            for block in stride(from: 0, to: tiles.wide, by: 8) {
              @inline(__always) func load(
                _ base: UnsafeMutablePointer<Float>, _ r: Int, _ shift: Int
              )
                -> SIMD8<Float>
              {
                UnsafeRawPointer(base + (2 * th + r) * half + block + shift).loadUnaligned(
                  as: SIMD8<Float>.self)
              }
              // Patch element (r, c): column c of tile j is even[j] (c = 0), odd[j], even[j+1], odd[j+1].
              @inline(__always) func patchRow(_ r: Int) -> (
                SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>
              ) {
                (load(even, r, 0), load(odd, r, 0), load(even, r, 1), load(odd, r, 1))
              }
              let d0 = patchRow(0)
              let d1 = patchRow(1)
              let d2 = patchRow(2)
              let d3 = patchRow(3)
              // t = Bᵀ·d (combine rows), then V = t·B (combine columns).
              let lanes = Swift.min(8, tiles.wide - block)
              let target = imageBase + th * tiles.wide + block
              @inline(__always) func store(
                _ index: Int, _ c0: SIMD8<Float>, _ c1: SIMD8<Float>, _ c2: SIMD8<Float>,
                _ c3: SIMD8<Float>
              ) {
                let values = (c0 - c2, c1 + c2, c2 - c1, c1 - c3)
                let bases = (
                  target + (index * 4) * step, target + (index * 4 + 1) * step,
                  target + (index * 4 + 2) * step, target + (index * 4 + 3) * step
                )
                if lanes == 8 {
                  UnsafeMutableRawPointer(bases.0).storeBytes(of: values.0, as: SIMD8<Float>.self)
                  UnsafeMutableRawPointer(bases.1).storeBytes(of: values.1, as: SIMD8<Float>.self)
                  UnsafeMutableRawPointer(bases.2).storeBytes(of: values.2, as: SIMD8<Float>.self)
                  UnsafeMutableRawPointer(bases.3).storeBytes(of: values.3, as: SIMD8<Float>.self)
                } else {
                  for lane in 0..<lanes {
                    bases.0[lane] = values.0[lane]
                    bases.1[lane] = values.1[lane]
                    bases.2[lane] = values.2[lane]
                    bases.3[lane] = values.3[lane]
                  }
                }
              }
              store(0, d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3)
              store(1, d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3)
              store(2, d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3)
              store(3, d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3)
            }
          }
        }
      }
    }
  }

  /// `Y = Aᵀ·M·A` per tile into `out: [images, C_out, Ho, Wo]` (even Ho, Wo), plus bias, then
  /// ReLU, eight tiles at a time (`M` is contiguous along tiles).
  static func winogradOutput(
    _ m: UnsafePointer<Float>, images: Int, geometry g: ConvolutionGeometry,
    tiles: (high: Int, wide: Int, count: Int), bias: [Float]?, relu: Bool,
    into out: UnsafeMutablePointer<Float>
  ) {
    let outChannels = g.outputChannels
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let step = outChannels * tiles.count
    let tilesPerImage = tiles.high * tiles.wide
    parallelChunks(outChannels, minimumPerThread: Swift.max(1, 4096 / tiles.count)) { range in
      for o in range {
        let shift = SIMD8<Float>(repeating: bias?[o] ?? 0)
        for image in 0..<images {
          let plane = out + (image * outChannels + o) * outHeight * outWidth
          for th in 0..<tiles.high {
            for block in stride(from: 0, to: tiles.wide, by: 8) {
              let p = m + o * tiles.count + image * tilesPerImage + th * tiles.wide + block
              @inline(__always) func r(_ xi: Int) -> SIMD8<Float> {
                UnsafeRawPointer(p + xi * step).loadUnaligned(as: SIMD8<Float>.self)
              }
              // s = Aᵀ·M (rows), Y = s·A (columns).
              let s00 = r(0) + r(4) + r(8)
              let s01 = r(1) + r(5) + r(9)
              let s02 = r(2) + r(6) + r(10)
              let s03 = r(3) + r(7) + r(11)
              let s10 = r(4) - r(8) - r(12)
              let s11 = r(5) - r(9) - r(13)
              let s12 = r(6) - r(10) - r(14)
              let s13 = r(7) - r(11) - r(15)
              var y00 = s00 + s01 + s02 + shift
              var y01 = s01 - s02 - s03 + shift
              var y10 = s10 + s11 + s12 + shift
              var y11 = s11 - s12 - s13 + shift
              if relu {
                let zero = SIMD8<Float>()
                y00 = pointwiseMax(y00, zero)
                y01 = pointwiseMax(y01, zero)
                y10 = pointwiseMax(y10, zero)
                y11 = pointwiseMax(y11, zero)
              }
              let top = plane + 2 * th * outWidth + 2 * block
              let bottom = top + outWidth
              for lane in 0..<Swift.min(8, tiles.wide - block) {
                top[2 * lane] = y00[lane]
                top[2 * lane + 1] = y01[lane]
                bottom[2 * lane] = y10[lane]
                bottom[2 * lane + 1] = y11[lane]
              }
            }
          }
        }
      }
    }
  }
}
