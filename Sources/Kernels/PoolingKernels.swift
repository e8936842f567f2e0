/// The sizes of a 2-D window pooling over `planes` independent `[H, W]` planes (`N·C` of NCHW).
///
/// `outputHeight = (inputHeight + 2·paddingHeight − kernelHeight) / strideHeight + 1`
/// (PyTorch's `ceil_mode=False`).
public struct PoolingGeometry: Sendable, Equatable {
  /// N·C.
  public var planes: Int
  /// H.
  public var inputHeight: Int
  /// W.
  public var inputWidth: Int
  /// kH.
  public var kernelHeight: Int
  /// kW.
  public var kernelWidth: Int
  /// Vertical stride.
  public var strideHeight: Int
  /// Horizontal stride.
  public var strideWidth: Int
  /// Implicit padding rows (−∞ for max pooling, 0 for average pooling).
  public var paddingHeight: Int
  /// Implicit padding columns.
  public var paddingWidth: Int

  /// A square-window geometry.
  public init(
    planes: Int, inputHeight: Int, inputWidth: Int, kernelSize: Int, stride: Int, padding: Int
  ) {
    self.planes = planes
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.kernelHeight = kernelSize
    self.kernelWidth = kernelSize
    self.strideHeight = stride
    self.strideWidth = stride
    self.paddingHeight = padding
    self.paddingWidth = padding
  }

  /// Ho.
  public var outputHeight: Int {
    (inputHeight + 2 * paddingHeight - kernelHeight) / strideHeight + 1
  }
  /// Wo.
  public var outputWidth: Int { (inputWidth + 2 * paddingWidth - kernelWidth) / strideWidth + 1 }
  /// Positive sizes, padding at most half the kernel (PyTorch's rule), output at least 1×1.
  public var isValid: Bool {
    planes >= 0 && kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && strideWidth > 0
      && paddingHeight >= 0 && paddingWidth >= 0 && 2 * paddingHeight <= kernelHeight
      && 2 * paddingWidth <= kernelWidth && inputHeight + 2 * paddingHeight >= kernelHeight
      && inputWidth + 2 * paddingWidth >= kernelWidth
  }
}

/// Max, average and adaptive-average pooling over NCHW planes, forward and backward, each with
/// a naive twin. Parallel over planes.
public enum PoolingKernels {
  /// Max over each window (padding never wins); `indices` hold the flat `h·W + w` position of
  /// the first maximum in its plane (as `return_indices=True`), and a NaN wins, as in PyTorch.
  /// Shapes: `input: [planes, H, W]` → `[planes, Ho, Wo]` twice.
  ///
  /// `withIndices: false` skips the argmax indices (inference: no backward will route through
  /// them), returning an empty array for them.
  public static func maxPool(
    _ input: [Float], geometry g: PoolingGeometry, withIndices: Bool = true
  )
    -> (values: [Float], indices: [Int32])
  {
    precondition(g.isValid && input.count == g.planes * g.inputHeight * g.inputWidth, "maxPool")
    if !withIndices { return (maxPoolValues(input, geometry: g), []) }
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let (height, width) = (g.inputHeight, g.inputWidth)
    let outputCount = g.planes * outHeight * outWidth
    var values = [Float](repeating: 0, count: outputCount)
    var indices = [Int32](repeating: 0, count: withIndices ? outputCount : 0)
    input.withUnsafeBufferPointer { pInput in
      values.withUnsafeMutableBufferPointer { pValues in
        indices.withUnsafeMutableBufferPointer { pIndices in
          guard let source = pInput.baseAddress, let valueOut = pValues.baseAddress else { return }
          let indexOut = withIndices ? pIndices.baseAddress : nil
          parallelChunks(
            g.planes, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, height * width))
          ) { range in
            for plane in range {
              let x = source + plane * height * width
              let base = plane * outHeight * outWidth
              for oh in 0..<outHeight {
                let rowStart = Swift.max(oh * g.strideHeight - g.paddingHeight, 0)
                let rowEnd = Swift.min(
                  oh * g.strideHeight - g.paddingHeight + g.kernelHeight, height)
                for ow in 0..<outWidth {
                  let columnStart = Swift.max(ow * g.strideWidth - g.paddingWidth, 0)
                  let columnEnd = Swift.min(
                    ow * g.strideWidth - g.paddingWidth + g.kernelWidth, width)
                  var best = -Float.infinity
                  var bestIndex = rowStart * width + columnStart
                  search: for row in rowStart..<rowEnd {
                    for column in columnStart..<columnEnd {
                      let value = x[row * width + column]
                      if value > best || value.isNaN {
                        best = value
                        bestIndex = row * width + column
                        if value.isNaN { break search }
                      }
                    }
                  }
                  valueOut[base + oh * outWidth + ow] = best
                  indexOut?[base + oh * outWidth + ow] = Int32(bestIndex)
                }
              }
            }
          }
        }
      }
    }
    return (values, indices)
  }

  /// Routes each output gradient to its window's argmax: `∂input[plane, indices[o]] += g[o]`.
  public static func maxPoolBackward(
    _ gradOutput: [Float], indices: [Int32], geometry g: PoolingGeometry
  ) -> [Float] {
    let outputPlane = g.outputHeight * g.outputWidth
    let inputPlane = g.inputHeight * g.inputWidth
    precondition(
      gradOutput.count == g.planes * outputPlane && indices.count == gradOutput.count,
      "maxPoolBackward: sizes")
    var gradInput = [Float](repeating: 0, count: g.planes * inputPlane)
    gradOutput.withUnsafeBufferPointer { pGrad in
      indices.withUnsafeBufferPointer { pIndices in
        gradInput.withUnsafeMutableBufferPointer { pInput in
          guard let grad = pGrad.baseAddress, let index = pIndices.baseAddress,
            let target = pInput.baseAddress
          else { return }
          parallelChunks(
            g.planes, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(1, outputPlane))
          ) {
            range in
            for plane in range {
              let planeTarget = target + plane * inputPlane
              for o in (plane * outputPlane)..<((plane + 1) * outputPlane) {
                planeTarget[Int(index[o])] += grad[o]
              }
            }
          }
        }
      }
    }
    return gradInput
  }

  /// Mean over each window. With `countIncludingPadding` (PyTorch's default) the divisor is the
  /// window clipped to the padded input, otherwise the number of real elements.
  public static func averagePool(
    _ input: [Float], geometry g: PoolingGeometry, countIncludingPadding: Bool = true
  ) -> [Float] {
    precondition(g.isValid && input.count == g.planes * g.inputHeight * g.inputWidth, "avgPool")
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let (height, width) = (g.inputHeight, g.inputWidth)
    var output = [Float](repeating: 0, count: g.planes * outHeight * outWidth)
    input.withUnsafeBufferPointer { pInput in
      output.withUnsafeMutableBufferPointer { pOutput in
        guard let source = pInput.baseAddress, let target = pOutput.baseAddress else { return }
        parallelChunks(
          g.planes, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, height * width))
        ) {
          range in
          for plane in range {
            let x = source + plane * height * width
            for oh in 0..<outHeight {
              for ow in 0..<outWidth {
                let w = averageWindow(oh, ow, g, countIncludingPadding)
                var sum: Float = 0
                for row in w.rows { for column in w.columns { sum += x[row * width + column] } }
                target[(plane * outHeight + oh) * outWidth + ow] = sum / Float(w.divisor)
              }
            }
          }
        }
      }
    }
    return output
  }

  /// Spreads each output gradient evenly over its window (divided by the same divisor).
  public static func averagePoolBackward(
    _ gradOutput: [Float], geometry g: PoolingGeometry, countIncludingPadding: Bool = true
  ) -> [Float] {
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let (height, width) = (g.inputHeight, g.inputWidth)
    precondition(gradOutput.count == g.planes * outHeight * outWidth, "avgPoolBackward: sizes")
    var gradInput = [Float](repeating: 0, count: g.planes * height * width)
    gradOutput.withUnsafeBufferPointer { pGrad in
      gradInput.withUnsafeMutableBufferPointer { pInput in
        guard let grad = pGrad.baseAddress, let target = pInput.baseAddress else { return }
        parallelChunks(
          g.planes, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, height * width))
        ) {
          range in
          for plane in range {
            let x = target + plane * height * width
            for oh in 0..<outHeight {
              for ow in 0..<outWidth {
                let w = averageWindow(oh, ow, g, countIncludingPadding)
                let share = grad[(plane * outHeight + oh) * outWidth + ow] / Float(w.divisor)
                for row in w.rows { for column in w.columns { x[row * width + column] += share } }
              }
            }
          }
        }
      }
    }
    return gradInput
  }

  /// PyTorch's avg_pool2d window: clipped to the padded input for the divisor, to the input for
  /// the sum.
  @inline(__always)
  static func averageWindow(
    _ oh: Int, _ ow: Int, _ g: PoolingGeometry, _ countIncludingPadding: Bool
  ) -> (rows: Range<Int>, columns: Range<Int>, divisor: Int) {
    let rowStart = oh * g.strideHeight - g.paddingHeight
    let columnStart = ow * g.strideWidth - g.paddingWidth
    let rowEnd = Swift.min(rowStart + g.kernelHeight, g.inputHeight + g.paddingHeight)
    let columnEnd = Swift.min(columnStart + g.kernelWidth, g.inputWidth + g.paddingWidth)
    let padded = (rowEnd - rowStart) * (columnEnd - columnStart)
    let rows = Swift.max(rowStart, 0)..<Swift.min(rowEnd, g.inputHeight)
    let columns = Swift.max(columnStart, 0)..<Swift.min(columnEnd, g.inputWidth)
    return (rows, columns, countIncludingPadding ? padded : rows.count * columns.count)
  }

  /// PyTorch's adaptive window along one axis: `[floor(i·in/out), ceil((i+1)·in/out))`.
  @inline(__always)
  public static func adaptiveWindow(_ index: Int, input: Int, output: Int) -> Range<Int> {
    (index * input / output)..<(((index + 1) * input + output - 1) / output)
  }

  /// Adaptive average pooling: output cell `(i, j)` is the mean of rows
  /// `adaptiveWindow(i, H, Ho)` and columns `adaptiveWindow(j, W, Wo)`.
  /// Shapes: `input: [planes, H, W]` → `[planes, Ho, Wo]`.
  public static func adaptiveAveragePool(
    _ input: [Float], planes: Int, inputHeight: Int, inputWidth: Int, outputHeight: Int,
    outputWidth: Int
  ) -> [Float] {
    precondition(
      input.count == planes * inputHeight * inputWidth && outputHeight > 0 && outputWidth > 0,
      "adaptiveAveragePool: sizes")
    var output = [Float](repeating: 0, count: planes * outputHeight * outputWidth)
    input.withUnsafeBufferPointer { pInput in
      output.withUnsafeMutableBufferPointer { pOutput in
        guard let source = pInput.baseAddress, let target = pOutput.baseAddress else { return }
        parallelChunks(
          planes, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, inputHeight * inputWidth))
        ) { range in
          for plane in range {
            let x = source + plane * inputHeight * inputWidth
            for oh in 0..<outputHeight {
              let rows = adaptiveWindow(oh, input: inputHeight, output: outputHeight)
              for ow in 0..<outputWidth {
                let columns = adaptiveWindow(ow, input: inputWidth, output: outputWidth)
                var sum: Float = 0
                for row in rows { for column in columns { sum += x[row * inputWidth + column] } }
                target[(plane * outputHeight + oh) * outputWidth + ow] =
                  sum / Float(rows.count * columns.count)
              }
            }
          }
        }
      }
    }
    return output
  }

  /// The adjoint of `adaptiveAveragePool`: each output gradient spread evenly over its window.
  public static func adaptiveAveragePoolBackward(
    _ gradOutput: [Float], planes: Int, inputHeight: Int, inputWidth: Int, outputHeight: Int,
    outputWidth: Int
  ) -> [Float] {
    precondition(gradOutput.count == planes * outputHeight * outputWidth, "adaptive backward")
    var gradInput = [Float](repeating: 0, count: planes * inputHeight * inputWidth)
    gradOutput.withUnsafeBufferPointer { pGrad in
      gradInput.withUnsafeMutableBufferPointer { pInput in
        guard let grad = pGrad.baseAddress, let target = pInput.baseAddress else { return }
        parallelChunks(
          planes, minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, inputHeight * inputWidth))
        ) { range in
          for plane in range {
            let x = target + plane * inputHeight * inputWidth
            for oh in 0..<outputHeight {
              let rows = adaptiveWindow(oh, input: inputHeight, output: outputHeight)
              for ow in 0..<outputWidth {
                let columns = adaptiveWindow(ow, input: inputWidth, output: outputWidth)
                let share =
                  grad[(plane * outputHeight + oh) * outputWidth + ow]
                  / Float(rows.count * columns.count)
                for row in rows { for column in columns { x[row * inputWidth + column] += share } }
              }
            }
          }
        }
      }
    }
    return gradInput
  }

  // MARK: - Naive twins

  /// Max pooling by explicit padding with −∞ and a scan of every window tap in order.
  public static func naiveMaxPool(_ input: [Float], geometry g: PoolingGeometry) -> (
    values: [Float], indices: [Int32]
  ) {
    var values: [Float] = []
    var indices: [Int32] = []
    for plane in 0..<g.planes {
      for oh in 0..<g.outputHeight {
        for ow in 0..<g.outputWidth {
          var best = -Float.infinity
          var bestIndex = -1
          for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
              let row = oh * g.strideHeight - g.paddingHeight + i
              let column = ow * g.strideWidth - g.paddingWidth + j
              let inside = row >= 0 && row < g.inputHeight && column >= 0 && column < g.inputWidth
              let value =
                inside
                ? input[(plane * g.inputHeight + row) * g.inputWidth + column] : -Float.infinity
              if best.isNaN { continue }
              if inside && (bestIndex < 0 || value > best || value.isNaN) {
                best = value
                bestIndex = row * g.inputWidth + column
              }
            }
          }
          values.append(best)
          indices.append(Int32(bestIndex))
        }
      }
    }
    return (values, indices)
  }

  /// Average pooling by explicit zero padding, in Double.
  public static func naiveAveragePool(
    _ input: [Float], geometry g: PoolingGeometry, countIncludingPadding: Bool = true
  ) -> [Float] {
    var output: [Float] = []
    for plane in 0..<g.planes {
      for oh in 0..<g.outputHeight {
        for ow in 0..<g.outputWidth {
          var sum = 0.0
          var real = 0
          var padded = 0
          for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
              let row = oh * g.strideHeight - g.paddingHeight + i
              let column = ow * g.strideWidth - g.paddingWidth + j
              if row < g.inputHeight + g.paddingHeight && column < g.inputWidth + g.paddingWidth {
                padded += 1
              }
              guard row >= 0, row < g.inputHeight, column >= 0, column < g.inputWidth else {
                continue
              }
              real += 1
              sum += Double(input[(plane * g.inputHeight + row) * g.inputWidth + column])
            }
          }
          output.append(Float(sum / Double(countIncludingPadding ? padded : real)))
        }
      }
    }
    return output
  }
}
