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
        parallelChunks(
          g.planes, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, height * width))
        ) { range in
          ScratchPool.shared.withBuffer(width) { columnMax in
            for plane in range {
              let x = source + plane * height * width
              let out = target + plane * outHeight * outWidth
              for oh in 0..<outHeight {
                let rowStart = Swift.max(oh * g.strideHeight - g.paddingHeight, 0)
                let rowEnd = Swift.min(
                  oh * g.strideHeight - g.paddingHeight + g.kernelHeight, height)
                let first = x + rowStart * width
                for column in 0..<width { columnMax[column] = first[column] }
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
                // Output `ow`'s window, one column at a time.
                func window(_ ow: Int) -> Float {
                  let columnStart = Swift.max(ow * g.strideWidth - g.paddingWidth, 0)
                  let columnEnd = Swift.min(
                    ow * g.strideWidth - g.paddingWidth + g.kernelWidth, width)
                  var best = columnMax[columnStart]
                  for column in (columnStart + 1)..<Swift.max(columnEnd, columnStart + 1) {
                    best = maxPropagatingNaN(best, columnMax[column])
                  }
                  return best
                }
                var ow = 0
                if g.kernelWidth == 3 && g.strideWidth == 2 && g.paddingWidth == 1 && outWidth > 0 {
                  // Windows 2·ow − 1 … 2·ow + 1 (ow ≥ 1): the odd and even lanes of two 32-wide
                  // loads, for every block of 16 outputs whose windows lie inside the row.
                  out[oh * outWidth] = window(0)
                  ow = 1
                  while ow + 16 <= outWidth && 2 * (ow + 15) + 1 < width {
                    let left = UnsafeRawPointer(columnMax + 2 * ow - 1).loadUnaligned(
                      as: SIMD32<Float>.self)
                    let right = UnsafeRawPointer(columnMax + 2 * ow).loadUnaligned(
                      as: SIMD32<Float>.self)
                    let best = maxPropagatingNaN(
                      maxPropagatingNaN(left.evenHalf, left.oddHalf), right.oddHalf)
                    UnsafeMutableRawPointer(out + oh * outWidth + ow).storeBytes(
                      of: best, as: SIMD16<Float>.self)
                    ow += 16
                  }
                }
                while ow < outWidth {
                  out[oh * outWidth + ow] = window(ow)
                  ow += 1
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
