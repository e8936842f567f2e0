extension ConvolutionKernels {
  /// Fills `col: [images·Ho·Wo, kH·kW·C]` from `images` consecutive images of an NHWC batch
  /// starting at `input` (zeros for padding): row `(n·Ho + oh)·Wo + ow`, columns
  /// `(i·kW + j)·C ..< (i·kW + j + 1)·C` hold the channels of `input[n, oh·sH − pH + i·dH,
  /// ow·sW − pW + j·dW]`, one contiguous copy per tap. Parallel over rows.
  static func im2col(
    input: UnsafePointer<Float>, images: Int, geometry g: ConvolutionGeometry,
    col: UnsafeMutablePointer<Float>
  ) {
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let channels = g.inputChannels
    let patch = g.patchSize
    let rows = images * outHeight * outWidth
    parallelChunks(rows, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, patch))) {
      range in
      for row in range {
        let image = row / (outHeight * outWidth)
        let oh = row / outWidth % outHeight
        let ow = row % outWidth
        let target = col + row * patch
        for i in 0..<g.kernelHeight {
          let y = oh * g.strideHeight - g.paddingHeight + i * g.dilationHeight
          for j in 0..<g.kernelWidth {
            let x = ow * g.strideWidth - g.paddingWidth + j * g.dilationWidth
            let tap = target + (i * g.kernelWidth + j) * channels
            if y >= 0 && y < g.inputHeight && x >= 0 && x < g.inputWidth {
              copy(
                input + ((image * g.inputHeight + y) * g.inputWidth + x) * channels, tap,
                count: channels)
            } else {
              zero(tap, count: channels)
            }
          }
        }
      }
    }
  }

  /// Adds `col: [images·Ho·Wo, kH·kW·C]` back into those images of the NHWC `gradInput` — the
  /// adjoint of `im2col`. Parallel over channel ranges, each of which owns its part of every
  /// pixel (windows of neighbouring outputs overlap, channels never do).
  static func col2im(
    col: UnsafePointer<Float>, images: Int, geometry g: ConvolutionGeometry,
    gradInput: UnsafeMutablePointer<Float>
  ) {
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let channels = g.inputChannels
    let patch = g.patchSize
    let rows = images * outHeight * outWidth
    parallelChunks(
      channels, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(1, rows * patch / channels))
    ) { range in
      for row in 0..<rows {
        let image = row / (outHeight * outWidth)
        let oh = row / outWidth % outHeight
        let ow = row % outWidth
        let source = col + row * patch
        for i in 0..<g.kernelHeight {
          let y = oh * g.strideHeight - g.paddingHeight + i * g.dilationHeight
          guard y >= 0 && y < g.inputHeight else { continue }
          for j in 0..<g.kernelWidth {
            let x = ow * g.strideWidth - g.paddingWidth + j * g.dilationWidth
            guard x >= 0 && x < g.inputWidth else { continue }
            let tap = source + (i * g.kernelWidth + j) * channels
            let target = gradInput + ((image * g.inputHeight + y) * g.inputWidth + x) * channels
            for channel in range { target[channel] += tap[channel] }
          }
        }
      }
    }
  }

  /// `x[p, o] += bias[o] (+ residual[p, o])`, then `max(·, 0)` when `relu`, in place on a
  /// `[rows, channels]` matrix.
  static func biasResidualReLU(
    _ x: UnsafeMutablePointer<Float>, rows: Int, channels: Int, bias: [Float]?,
    residual: UnsafePointer<Float>?, relu: Bool
  ) {
    let zeros = [Float](repeating: 0, count: channels)
    (bias ?? zeros).withUnsafeBufferPointer { pBias in
      let b = pBias.baseAddress!
      parallelChunks(rows, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(1, channels))) {
        range in
        for row in range {
          let line = x + row * channels
          let shortcut = residual.map { $0 + row * channels }
          for channel in 0..<channels {
            var value = line[channel] + b[channel]
            if let shortcut { value += shortcut[channel] }
            line[channel] = relu && value < 0 ? 0 : value  // NaN stays NaN
          }
        }
      }
    }
  }

  /// `Σ_rows x[·, c]` for each of the `channels` columns of a `[rows, channels]` matrix, in
  /// Double (rows summed in Float blocks of 256 first).
  static func columnSums(_ x: [Float], channels: Int) -> [Float] {
    let rows = channels > 0 ? x.count / channels : 0
    var total = [Double](repeating: 0, count: channels)
    var partial = [Float](repeating: 0, count: channels)
    x.withUnsafeBufferPointer { pX in
      guard let source = pX.baseAddress else { return }
      var start = 0
      while start < rows {
        let end = Swift.min(rows, start + 256)
        for index in partial.indices { partial[index] = 0 }
        for row in start..<end {
          let line = source + row * channels
          for channel in 0..<channels { partial[channel] += line[channel] }
        }
        for channel in 0..<channels { total[channel] += Double(partial[channel]) }
        start = end
      }
    }
    return total.map { Float($0) }
  }
}
