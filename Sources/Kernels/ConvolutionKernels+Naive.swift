extension ConvolutionKernels {
  // MARK: - Naive twins (seven nested loops, Double accumulation): the tests' oracle.
  // They read and write PyTorch's NCHW layout on purpose, so a test compares the fast kernels
  // with an independent formula *and* an independent layout (the tests transpose).

  /// Direct convolution on NCHW arrays: `out[n, o, y, x] = b[o] + Σ_{c, i, j} in[n, c,
  /// y·s − p + i·d, x·s − p + j·d] · w[o, c, i, j]`.
  public static func naiveForward(
    input: [Float], weight: [Float], bias: [Float]?, geometry g: ConvolutionGeometry
  ) -> [Float] {
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    var output = [Float](repeating: 0, count: g.outputCount)
    for n in 0..<g.batch {
      for o in 0..<g.outputChannels {
        for y in 0..<outHeight {
          for x in 0..<outWidth {
            var sum = Double(bias?[o] ?? 0)
            for channel in 0..<g.inputChannels {
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
                    ((o * g.inputChannels + channel) * g.kernelHeight + i) * g.kernelWidth + j]
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

  /// Direct gradients of `naiveForward` w.r.t. input and weight (NCHW), by the same seven loops.
  public static func naiveBackward(
    gradOutput: [Float], input: [Float], weight: [Float], geometry g: ConvolutionGeometry
  ) -> (input: [Float], weight: [Float]) {
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    var gradInput = [Double](repeating: 0, count: g.inputCount)
    var gradWeight = [Double](repeating: 0, count: g.weightCount)
    for n in 0..<g.batch {
      for o in 0..<g.outputChannels {
        for y in 0..<outHeight {
          for x in 0..<outWidth {
            let upstream = Double(
              gradOutput[((n * g.outputChannels + o) * outHeight + y) * outWidth + x])
            for channel in 0..<g.inputChannels {
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
                    ((o * g.inputChannels + channel) * g.kernelHeight + i) * g.kernelWidth + j
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
