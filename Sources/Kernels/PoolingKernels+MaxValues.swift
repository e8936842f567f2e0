// Max pooling for inference: values only, separable, 16 lanes at a time.

extension PoolingKernels {
  /// The larger of `a` and `b`, NaN when either is (PyTorch's max pooling propagates NaN),
  /// without a branch.
  @inline(__always)
  private static func maxPropagatingNaN(_ a: Float, _ b: Float) -> Float {
    b > a || b.isNaN ? b : a
  }

  /// `maxPropagatingNaN` lane by lane.
  @inline(__always)
  private static func maxPropagatingNaN(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    a.replacing(with: b, where: (b .> a) .| (b .!= b))
  }

  /// Max pooling without argmax indices (inference): separable, each window's maximum the
  /// maximum over its columns of the maxima over its rows, 16 lanes at a time (and ResNet's
  /// 3-wide stride-2 column pass too, from even and odd lanes). Equal to the indexed pass's
  /// values, NaN included (a NaN anywhere in a window wins, as in PyTorch).
  static func maxPoolValues(_ input: [Float], geometry g: PoolingGeometry) -> [Float] {
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let (height, width) = (g.inputHeight, g.inputWidth)
    var values = [Float](unsafeUninitializedCapacity: g.planes * outHeight * outWidth) {
      _, count in count = g.planes * outHeight * outWidth
    }
    input.withUnsafeBufferPointer { pInput in
      values.withUnsafeMutableBufferPointer { pValues in
        guard let source = pInput.baseAddress, let target = pValues.baseAddress else { return }
        // ResNet's 3×3 stride-2 padding-1 window reads columns 2·ow − 1 … 2·ow + 1: with the
        // column maxima stored from `columnMax[1]`, −∞ (the padding) at 0 and past the row, every
        // block of 16 outputs, the row's ends included, is the odd and even lanes of two 32-wide
        // loads, on planes of any width (a CIFAR image's 16×16 stem output too).
        let resnetWindow =
          g.kernelWidth == 3 && g.strideWidth == 2 && g.paddingWidth == 1 && outWidth > 0
        let slack = 2 * outWidth + 34
        parallelChunks(
          g.planes, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, height * width))
        ) { range in
          ScratchPool.shared.withBuffer(Swift.max(width, slack) + 1) { buffer in
            buffer.initialize(repeating: -.infinity, count: Swift.max(width, slack) + 1)
            let columnMax = buffer + 1
            for plane in range {
              let x = source + plane * height * width
              let out = target + plane * outHeight * outWidth
              for oh in 0..<outHeight {
                let rowStart = Swift.max(oh * g.strideHeight - g.paddingHeight, 0)
                let rowEnd = Swift.min(
                  oh * g.strideHeight - g.paddingHeight + g.kernelHeight, height)
                let first = x + rowStart * width
                columnMax.update(from: first, count: width)
                for row in (rowStart + 1)..<Swift.max(rowEnd, rowStart + 1) {
                  let line = x + row * width
                  var column = 0
                  while column + 16 <= width {
                    let sofar = UnsafeRawPointer(columnMax + column).loadUnaligned(
                      as: SIMD16<Float>.self)
                    let next = UnsafeRawPointer(line + column).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(columnMax + column).storeBytes(
                      of: maxPropagatingNaN(sofar, next), as: SIMD16<Float>.self)
                    column += 16
                  }
                  while column < width {
                    columnMax[column] = maxPropagatingNaN(columnMax[column], line[column])
                    column += 1
                  }
                }
                let outRow = out + oh * outWidth
                if resnetWindow {
                  for ow in stride(from: 0, to: outWidth, by: 16) {
                    let left = UnsafeRawPointer(buffer + 2 * ow).loadUnaligned(
                      as: SIMD32<Float>.self)
                    let right = UnsafeRawPointer(buffer + 2 * ow + 1).loadUnaligned(
                      as: SIMD32<Float>.self)
                    let best = maxPropagatingNaN(
                      maxPropagatingNaN(left.evenHalf, left.oddHalf), right.oddHalf)
                    if ow + 16 <= outWidth {
                      UnsafeMutableRawPointer(outRow + ow).storeBytes(
                        of: best, as: SIMD16<Float>.self)
                    } else {
                      for lane in 0..<(outWidth - ow) { outRow[ow + lane] = best[lane] }
                    }
                  }
                  continue
                }
                // Any other window, one output at a time.
                for ow in 0..<outWidth {
                  let columnStart = Swift.max(ow * g.strideWidth - g.paddingWidth, 0)
                  let columnEnd = Swift.min(
                    ow * g.strideWidth - g.paddingWidth + g.kernelWidth, width)
                  var best = columnMax[columnStart]
                  for column in (columnStart + 1)..<Swift.max(columnEnd, columnStart + 1) {
                    best = maxPropagatingNaN(best, columnMax[column])
                  }
                  outRow[ow] = best
                }
              }
            }
          }
        }
      }
    }
    return values
  }
}
