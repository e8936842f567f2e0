// MARK: - Channel-major (CNHW) forward, for inference

extension ConvolutionKernels {
  /// `output = conv(input, weight) + bias` (then ReLU) on channel-major activations: `input` is
  /// `[C, N, H, W]` and the result `[C_out, N, Ho, Wo]`; the weight is PyTorch's as always.
  ///
  /// In this layout the whole batch is one matrix `[C, N·H·W]`: a 1×1 convolution is a single
  /// GEMM on the input as it lies, and every GEMM writes its columns straight into the output, so
  /// the NCHW path's per-chunk reorders and output scatter disappear (they cost a third of a
  /// ResNet-50 forward on 32×32 images, whose maps are 8×8 and smaller). One group only.
  ///
  /// `filterCache` keeps this convolution's Winograd filter transform across calls (frozen
  /// weights only: the cache never looks at the weight again).
  public static func forwardChannelMajor(
    input: [Float], weight: [Float], bias: [Float]?, geometry g: ConvolutionGeometry,
    fusedReLU: Bool = false, filterCache: WinogradFilterCache? = nil
  ) -> [Float] {
    precondition(g.isValid && g.groups == 1, "conv2d (channel-major): invalid geometry \(g)")
    precondition(input.count == g.inputCount && weight.count == g.weightCount, "conv2d: sizes")
    precondition(bias == nil || bias!.count == g.outputChannels, "conv2d: bias size")
    if g.batch == 0 { return [] }
    if let (smaller, rows, columns) = pruned(g) {
      return forwardChannelMajor(
        input: input, weight: cropWeight(weight, geometry: g, rows: rows, columns: columns),
        bias: bias, geometry: smaller, fusedReLU: fusedReLU)
    }
    if winogradApplies(g) {
      return winogradForward(
        input: input, weight: weight, bias: bias, geometry: g, fusedReLU: fusedReLU,
        channelMajor: true, filterCache: filterCache)
    }
    let spatial = g.outputHeight * g.outputWidth
    let totalColumns = g.batch * spatial
    let patch = g.inputChannels * g.kernelHeight * g.kernelWidth
    let direct = g.isPointwise
    let chunk = direct ? g.batch : imagesPerChunk(g)
    var output = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
      count = g.outputCount
    }
    let layout = PlaneLayout.channelMajor(batch: g.batch)
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
                im2col(
                  input: x + first * plane, images: images, geometry: g, col: col, layout: layout)
                matrix = UnsafePointer(col)
                ldb = columns
              }
              BLAS.sgemm(
                m: g.outputChannels, n: columns, k: patch,
                a: w, aCount: g.weightCount, transposeA: false,
                b: matrix, bCount: (patch - 1) * ldb + columns, transposeB: false,
                c: out + first * spatial, cCount: g.outputCount - first * spatial,
                ldb: ldb, ldc: totalColumns)
            }
            if bias != nil || fusedReLU {
              biasReLU(
                out, rows: g.outputChannels, columns: totalColumns, bias: bias, relu: fusedReLU)
            }
          }
        }
      }
    }
    return output
  }

  /// im2col of a stride-1, same-size convolution on a channel-major chunk of `images` images:
  /// each row `(c, i, j)` is the channel's whole `[images·H·W]` block shifted by one offset (a
  /// single copy), then the positions whose tap falls in the padding are zeroed.
  static func im2colSameSize(
    input: UnsafePointer<Float>, images: Int, geometry g: ConvolutionGeometry,
    col: UnsafeMutablePointer<Float>
  ) {
    let (height, width) = (g.inputHeight, g.inputWidth)
    let (kH, kW) = (g.kernelHeight, g.kernelWidth)
    let plane = height * width
    let columns = images * plane
    let rows = g.inputChannels * kH * kW
    parallelChunks(rows, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(columns, 1))) {
      range in
      for row in range {
        let channel = row / (kH * kW)
        let rowOffset = (row / kW) % kH * g.dilationHeight - g.paddingHeight
        let columnOffset = row % kW * g.dilationWidth - g.paddingWidth
        let (ohStart, ohEnd) = validRange(
          outputs: height, stride: 1, offset: rowOffset, extent: height)
        let (owStart, owEnd) = validRange(
          outputs: width, stride: 1, offset: columnOffset, extent: width)
        let source = input + channel * g.batch * plane
        let target = col + row * columns
        let shift = rowOffset * width + columnOffset
        let start = Swift.max(0, -shift)
        let end = Swift.min(columns, columns - shift)
        if start > 0 { zero(target, count: start) }
        if start < end { copy(source + start + shift, target + start, count: end - start) }
        if end < columns { zero(target + end, count: columns - end) }
        for image in 0..<images {
          let base = target + image * plane
          if ohStart > 0 { zero(base, count: ohStart * width) }
          if ohEnd < height { zero(base + ohEnd * width, count: (height - ohEnd) * width) }
          if owStart > 0 || owEnd < width {
            for oh in ohStart..<ohEnd {
              let line = base + oh * width
              for ow in 0..<owStart { line[ow] = 0 }
              for ow in owEnd..<width { line[ow] = 0 }
            }
          }
        }
      }
    }
  }

  /// `x[r, ·] += bias[r]`, then `max(·, 0)` when `relu`, in place on a `[rows, columns]` matrix.
  static func biasReLU(
    _ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: [Float]?, relu: Bool
  ) {
    parallelChunks(rows, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(columns, 1))) {
      range in
      for row in range {
        let shift = SIMD8<Float>(repeating: bias?[row] ?? 0)
        let zero = SIMD8<Float>()
        let line = x + row * columns
        var index = 0
        while index + 8 <= columns {
          var value = UnsafeRawPointer(line + index).loadUnaligned(as: SIMD8<Float>.self) + shift
          if relu { value.replace(with: zero, where: value .< zero) }
          UnsafeMutableRawPointer(line + index).storeBytes(of: value, as: SIMD8<Float>.self)
          index += 8
        }
        while index < columns {
          let value = line[index] + shift[0]
          line[index] = relu ? Swift.max(value, 0) : value
          index += 1
        }
      }
    }
  }
}
