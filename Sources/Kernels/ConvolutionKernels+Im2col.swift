extension ConvolutionKernels {
  /// Fills `col: [C·kH·kW, images·Ho·Wo]` from `images` consecutive images of a channel-major
  /// `[C, N, H, W]` batch starting at `input` (zeros for padding). Row `(c·kH + i)·kW + j`,
  /// column `(n·Ho + oh)·Wo + ow` holds `input[c, n, oh·sH − pH + i·dH, ow·sW − pW + j·dW]`.
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
          let source = input + (channel * g.batch + image) * plane
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

  /// Adds `col: [C·kH·kW, images·Ho·Wo]` back into those images of the channel-major
  /// `gradInput` — the adjoint of `im2col`. Parallel over channels, each of which
  /// owns its input planes. Entries of `col` that fall in the padding may be overwritten with
  /// zeros (it is scratch).
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
              let target = gradInput + (channel * g.batch + image) * plane
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
