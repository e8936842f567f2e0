/// The sizes of a 2-D window pooling over NHWC activations: `images` images of
/// `inputHeight × inputWidth` pixels, each `channels` contiguous values.
///
/// `outputHeight = (inputHeight + 2·paddingHeight − kernelHeight) / strideHeight + 1`
/// (PyTorch's `ceil_mode=False`).
public struct PoolingGeometry: Sendable, Equatable {
  /// N.
  public var images: Int
  /// C.
  public var channels: Int
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
    images: Int, channels: Int, inputHeight: Int, inputWidth: Int, kernelSize: Int, stride: Int,
    padding: Int
  ) {
    self.images = images
    self.channels = channels
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
    images >= 0 && channels > 0 && kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0
      && strideWidth > 0 && paddingHeight >= 0 && paddingWidth >= 0
      && 2 * paddingHeight <= kernelHeight && 2 * paddingWidth <= kernelWidth
      && inputHeight + 2 * paddingHeight >= kernelHeight
      && inputWidth + 2 * paddingWidth >= kernelWidth
  }
  /// Elements of the input.
  public var inputCount: Int { images * inputHeight * inputWidth * channels }
  /// Elements of the output.
  public var outputCount: Int { images * outputHeight * outputWidth * channels }

  /// The input rows of output row `oh` that lie in the image.
  func rows(_ oh: Int) -> Range<Int> {
    let start = oh * strideHeight - paddingHeight
    return Swift.max(start, 0)..<Swift.min(start + kernelHeight, inputHeight)
  }

  /// The input columns of output column `ow` that lie in the image.
  func columns(_ ow: Int) -> Range<Int> {
    let start = ow * strideWidth - paddingWidth
    return Swift.max(start, 0)..<Swift.min(start + kernelWidth, inputWidth)
  }
}

/// Max, average and adaptive-average pooling over NHWC activations, forward and backward, each
/// with a naive twin. A pixel's channels are contiguous, so every window step is a run of vector
/// operations across channels; parallel over output rows.
public enum PoolingKernels {
  /// Max over each window (padding never wins); `indices` hold, per output element, the flat
  /// `h·W + w` position in its image of the first maximum of that channel (as
  /// `return_indices=True`), and a NaN wins, as in PyTorch.
  /// Shapes: `input: [N, H, W, C]` → `[N, Ho, Wo, C]` twice.
  ///
  /// `withIndices: false` skips the argmax indices (inference: no backward will route through
  /// them), returning an empty array for them.
  public static func maxPool(
    _ input: [Float], geometry g: PoolingGeometry, withIndices: Bool = true
  ) -> (values: [Float], indices: [Int32]) {
    precondition(g.isValid && input.count == g.inputCount, "maxPool")
    let channels = g.channels
    var values = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
      count = g.outputCount
    }
    var indices = [Int32](repeating: 0, count: withIndices ? g.outputCount : 0)
    input.withUnsafeBufferPointer { pInput in
      values.withUnsafeMutableBufferPointer { pValues in
        indices.withUnsafeMutableBufferPointer { pIndices in
          guard let source = pInput.baseAddress, let valueOut = pValues.baseAddress else { return }
          let indexOut = withIndices ? pIndices.baseAddress : nil
          forEachOutputRow(g) { image, oh in
            let rows = g.rows(oh)
            for ow in 0..<g.outputWidth {
              let columns = g.columns(ow)
              let out = ((image * g.outputHeight + oh) * g.outputWidth + ow) * channels
              let best = valueOut + out
              best.update(repeating: -.infinity, count: channels)
              // Every tap in order: a later value wins only when larger, a NaN always (and stays).
              for row in rows {
                for column in columns {
                  let x =
                    source + ((image * g.inputHeight + row) * g.inputWidth + column) * channels
                  let position = Int32(row * g.inputWidth + column)
                  if let indexOut {
                    let first = row == rows.lowerBound && column == columns.lowerBound
                    for channel in 0..<channels {
                      let value = x[channel]
                      if first || value > best[channel] || (value.isNaN && !best[channel].isNaN) {
                        best[channel] = value
                        indexOut[out + channel] = position
                      }
                    }
                  } else {
                    var channel = 0
                    while channel + 16 <= channels {
                      let sofar = UnsafeRawPointer(best + channel).loadUnaligned(
                        as: SIMD16<Float>.self)
                      let next = UnsafeRawPointer(x + channel).loadUnaligned(as: SIMD16<Float>.self)
                      let larger = sofar.replacing(
                        with: next, where: (next .> sofar) .| (next .!= next))
                      UnsafeMutableRawPointer(best + channel).storeBytes(
                        of: larger, as: SIMD16<Float>.self)
                      channel += 16
                    }
                    while channel < channels {
                      let value = x[channel]
                      if value > best[channel] || value.isNaN { best[channel] = value }
                      channel += 1
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (values, indices)
  }

  /// Routes each output gradient to its window's argmax: `∂input[n, indices[o], c] += g[o]`.
  public static func maxPoolBackward(
    _ gradOutput: [Float], indices: [Int32], geometry g: PoolingGeometry
  ) -> [Float] {
    precondition(
      gradOutput.count == g.outputCount && indices.count == gradOutput.count,
      "maxPoolBackward: sizes")
    var gradInput = [Float](repeating: 0, count: g.inputCount)
    let channels = g.channels
    let outputImage = g.outputHeight * g.outputWidth * channels
    gradOutput.withUnsafeBufferPointer { pGrad in
      indices.withUnsafeBufferPointer { pIndices in
        gradInput.withUnsafeMutableBufferPointer { pInput in
          guard let grad = pGrad.baseAddress, let index = pIndices.baseAddress,
            let target = pInput.baseAddress
          else { return }
          // Images own disjoint parts of the gradient.
          parallelChunks(
            g.images, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(1, outputImage))
          ) { range in
            for image in range {
              let imageTarget = target + image * g.inputHeight * g.inputWidth * channels
              for o in (image * outputImage)..<((image + 1) * outputImage) {
                imageTarget[Int(index[o]) * channels + o % channels] += grad[o]
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
    precondition(g.isValid && input.count == g.inputCount, "avgPool")
    let channels = g.channels
    var output = [Float](repeating: 0, count: g.outputCount)
    input.withUnsafeBufferPointer { pInput in
      output.withUnsafeMutableBufferPointer { pOutput in
        guard let source = pInput.baseAddress, let target = pOutput.baseAddress else { return }
        forEachOutputRow(g) { image, oh in
          for ow in 0..<g.outputWidth {
            let w = averageWindow(oh, ow, g, countIncludingPadding)
            let out = target + ((image * g.outputHeight + oh) * g.outputWidth + ow) * channels
            for row in w.rows {
              for column in w.columns {
                let x = source + ((image * g.inputHeight + row) * g.inputWidth + column) * channels
                for channel in 0..<channels { out[channel] += x[channel] }
              }
            }
            let divisor = Float(w.divisor)
            for channel in 0..<channels { out[channel] /= divisor }
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
    precondition(gradOutput.count == g.outputCount, "avgPoolBackward: sizes")
    let channels = g.channels
    var gradInput = [Float](repeating: 0, count: g.inputCount)
    gradOutput.withUnsafeBufferPointer { pGrad in
      gradInput.withUnsafeMutableBufferPointer { pInput in
        guard let grad = pGrad.baseAddress, let target = pInput.baseAddress else { return }
        // Windows of one image overlap; images own disjoint parts of the gradient.
        parallelChunks(g.images, minimumPerThread: 1) { range in
          for image in range {
            for oh in 0..<g.outputHeight {
              for ow in 0..<g.outputWidth {
                let w = averageWindow(oh, ow, g, countIncludingPadding)
                let g0 = grad + ((image * g.outputHeight + oh) * g.outputWidth + ow) * channels
                let divisor = Float(w.divisor)
                for row in w.rows {
                  for column in w.columns {
                    let x =
                      target + ((image * g.inputHeight + row) * g.inputWidth + column) * channels
                    for channel in 0..<channels { x[channel] += g0[channel] / divisor }
                  }
                }
              }
            }
          }
        }
      }
    }
    return gradInput
  }

  /// `body(image, oh)` for every output row, parallel over them.
  private static func forEachOutputRow(_ g: PoolingGeometry, _ body: (Int, Int) -> Void) {
    let work = g.outputWidth * g.kernelHeight * g.kernelWidth * g.channels
    parallelChunks(
      g.images * g.outputHeight, minimumPerThread: Swift.max(1, (1 << 15) / Swift.max(1, work))
    ) { range in
      for index in range { body(index / g.outputHeight, index % g.outputHeight) }
    }
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
  /// `adaptiveWindow(i, H, Ho)` and columns `adaptiveWindow(j, W, Wo)`, channel by channel.
  /// Shapes: `input: [N, H, W, C]` → `[N, Ho, Wo, C]`.
  public static func adaptiveAveragePool(
    _ input: [Float], images: Int, channels: Int, inputHeight: Int, inputWidth: Int,
    outputHeight: Int, outputWidth: Int
  ) -> [Float] {
    precondition(
      input.count == images * inputHeight * inputWidth * channels && outputHeight > 0
        && outputWidth > 0, "adaptiveAveragePool: sizes")
    var output = [Float](repeating: 0, count: images * outputHeight * outputWidth * channels)
    input.withUnsafeBufferPointer { pInput in
      output.withUnsafeMutableBufferPointer { pOutput in
        guard let source = pInput.baseAddress, let target = pOutput.baseAddress else { return }
        parallelChunks(
          images * outputHeight,
          minimumPerThread: Swift.max(1, (1 << 14) / Swift.max(1, inputWidth * channels))
        ) { range in
          for index in range {
            let (image, oh) = (index / outputHeight, index % outputHeight)
            let rows = adaptiveWindow(oh, input: inputHeight, output: outputHeight)
            for ow in 0..<outputWidth {
              let columns = adaptiveWindow(ow, input: inputWidth, output: outputWidth)
              let out = target + ((image * outputHeight + oh) * outputWidth + ow) * channels
              for row in rows {
                for column in columns {
                  let x = source + ((image * inputHeight + row) * inputWidth + column) * channels
                  for channel in 0..<channels { out[channel] += x[channel] }
                }
              }
              let count = Float(rows.count * columns.count)
              for channel in 0..<channels { out[channel] /= count }
            }
          }
        }
      }
    }
    return output
  }

  /// The adjoint of `adaptiveAveragePool`: each output gradient spread evenly over its window.
  public static func adaptiveAveragePoolBackward(
    _ gradOutput: [Float], images: Int, channels: Int, inputHeight: Int, inputWidth: Int,
    outputHeight: Int, outputWidth: Int
  ) -> [Float] {
    precondition(
      gradOutput.count == images * outputHeight * outputWidth * channels, "adaptive backward")
    var gradInput = [Float](repeating: 0, count: images * inputHeight * inputWidth * channels)
    gradOutput.withUnsafeBufferPointer { pGrad in
      gradInput.withUnsafeMutableBufferPointer { pInput in
        guard let grad = pGrad.baseAddress, let target = pInput.baseAddress else { return }
        parallelChunks(images, minimumPerThread: 1) { range in
          for image in range {
            for oh in 0..<outputHeight {
              let rows = adaptiveWindow(oh, input: inputHeight, output: outputHeight)
              for ow in 0..<outputWidth {
                let columns = adaptiveWindow(ow, input: inputWidth, output: outputWidth)
                let g0 = grad + ((image * outputHeight + oh) * outputWidth + ow) * channels
                let count = Float(rows.count * columns.count)
                for row in rows {
                  for column in columns {
                    let x = target + ((image * inputHeight + row) * inputWidth + column) * channels
                    for channel in 0..<channels { x[channel] += g0[channel] / count }
                  }
                }
              }
            }
          }
        }
      }
    }
    return gradInput
  }

  // MARK: - Naive twins

  /// Max pooling by explicit padding with −∞ and a scan of every window tap in order, one
  /// element at a time.
  public static func naiveMaxPool(_ input: [Float], geometry g: PoolingGeometry) -> (
    values: [Float], indices: [Int32]
  ) {
    var values: [Float] = []
    var indices: [Int32] = []
    for image in 0..<g.images {
      for oh in 0..<g.outputHeight {
        for ow in 0..<g.outputWidth {
          for channel in 0..<g.channels {
            var best = -Float.infinity
            var bestIndex = -1
            for i in 0..<g.kernelHeight {
              for j in 0..<g.kernelWidth {
                let row = oh * g.strideHeight - g.paddingHeight + i
                let column = ow * g.strideWidth - g.paddingWidth + j
                let inside =
                  row >= 0 && row < g.inputHeight && column >= 0 && column < g.inputWidth
                let value =
                  inside
                  ? input[
                    ((image * g.inputHeight + row) * g.inputWidth + column) * g.channels
                      + channel] : -Float.infinity
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
    }
    return (values, indices)
  }

  /// Average pooling by explicit zero padding, in Double, one element at a time.
  public static func naiveAveragePool(
    _ input: [Float], geometry g: PoolingGeometry, countIncludingPadding: Bool = true
  ) -> [Float] {
    var output: [Float] = []
    for image in 0..<g.images {
      for oh in 0..<g.outputHeight {
        for ow in 0..<g.outputWidth {
          for channel in 0..<g.channels {
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
                sum += Double(
                  input[
                    ((image * g.inputHeight + row) * g.inputWidth + column) * g.channels
                      + channel])
              }
            }
            output.append(Float(sum / Double(countIncludingPadding ? padded : real)))
          }
        }
      }
    }
    return output
  }
}
