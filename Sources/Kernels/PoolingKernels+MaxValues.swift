// Max pooling for inference: values only, separable and branch-free.

extension PoolingKernels {
  /// The larger of `a` and `b`, NaN when either is (PyTorch's max pooling propagates NaN),
  /// without a branch.
  @inline(__always)
  private static func maxPropagatingNaN(_ a: Float, _ b: Float) -> Float {
    b > a || b.isNaN ? b : a
  }

  /// Max pooling without argmax indices (inference): separable, each window's maximum the
  /// maximum over its columns of the maxima over its rows, branch-free, so the row pass
  /// vectorises. Equal to the indexed pass's values, NaN included (a NaN anywhere in a window
  /// wins, as in PyTorch).
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
                  for column in 0..<width {
                    columnMax[column] = maxPropagatingNaN(columnMax[column], line[column])
                  }
                }
                for ow in 0..<outWidth {
                  let columnStart = Swift.max(ow * g.strideWidth - g.paddingWidth, 0)
                  let columnEnd = Swift.min(
                    ow * g.strideWidth - g.paddingWidth + g.kernelWidth, width)
                  var best = columnMax[columnStart]
                  for column in (columnStart + 1)..<Swift.max(columnEnd, columnStart + 1) {
                    best = maxPropagatingNaN(best, columnMax[column])
                  }
                  out[oh * outWidth + ow] = best
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
