import TestSupport
import Testing

@testable import Kernels

/// `[N, C, H, W]` ↔ `[C, N, H, W]`.
private func swapBatchAndChannels(_ values: [Float], _ first: Int, _ second: Int, plane: Int)
  -> [Float]
{
  var result = [Float](repeating: 0, count: values.count)
  for a in 0..<first {
    for b in 0..<second {
      for index in 0..<plane {
        result[(b * first + a) * plane + index] = values[(a * second + b) * plane + index]
      }
    }
  }
  return result
}

@Suite("Channel-major convolution")
struct ChannelMajorConvolutionTests {
  static let geometries: [ConvolutionGeometry] = [
    // ResNet-50's shapes on 32×32 inputs, shrunk in channels: the stem, 1×1 and 3×3 (stride 1
    // and 2, same-size im2col), the 1×1 stride-2 shortcut, 3×3 on 2×2 and 1×1 maps (pruned).
    ConvolutionGeometry(
      batch: 3, inputChannels: 3, inputHeight: 16, inputWidth: 16, outputChannels: 8,
      kernelHeight: 7, kernelWidth: 7, stride: 2, padding: 3),
    ConvolutionGeometry(
      batch: 5, inputChannels: 16, inputHeight: 8, inputWidth: 8, outputChannels: 12,
      kernelHeight: 1, kernelWidth: 1),
    ConvolutionGeometry(
      batch: 5, inputChannels: 12, inputHeight: 8, inputWidth: 8, outputChannels: 10,
      kernelHeight: 3, kernelWidth: 3, padding: 1),
    ConvolutionGeometry(
      batch: 4, inputChannels: 12, inputHeight: 8, inputWidth: 8, outputChannels: 10,
      kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
    ConvolutionGeometry(
      batch: 4, inputChannels: 16, inputHeight: 8, inputWidth: 8, outputChannels: 24,
      kernelHeight: 1, kernelWidth: 1, stride: 2),
    ConvolutionGeometry(
      batch: 6, inputChannels: 8, inputHeight: 2, inputWidth: 2, outputChannels: 8,
      kernelHeight: 3, kernelWidth: 3, padding: 1),
    ConvolutionGeometry(
      batch: 6, inputChannels: 8, inputHeight: 1, inputWidth: 1, outputChannels: 8,
      kernelHeight: 3, kernelWidth: 3, padding: 1),
    ConvolutionGeometry(
      batch: 3, inputChannels: 5, inputHeight: 7, inputWidth: 6, outputChannels: 4,
      kernelHeight: 3, kernelWidth: 3, padding: 2, dilation: 2),
    // Winograd-eligible (even ≥ 8×8 output, ≥ 32 channels, ≥ 8192 spatial·channels).
    ConvolutionGeometry(
      batch: 2, inputChannels: 32, inputHeight: 16, inputWidth: 16, outputChannels: 32,
      kernelHeight: 3, kernelWidth: 3, padding: 1),
  ]

  @Test("equals the naive NCHW convolution, transposed, with bias and ReLU", arguments: geometries)
  func matchesNaive(_ g: ConvolutionGeometry) {
    let input = convolutionTestValues(g.inputCount, seed: 1)
    let weight = convolutionTestValues(g.weightCount, seed: 2)
    let bias = convolutionTestValues(g.outputChannels, seed: 3)
    let expected = ConvolutionKernels.naiveForward(
      input: input, weight: weight, bias: bias, geometry: g
    ).map { max($0, 0) }
    let channelMajorInput = swapBatchAndChannels(
      input, g.batch, g.inputChannels, plane: g.inputHeight * g.inputWidth)
    let output = ConvolutionKernels.forwardChannelMajor(
      input: channelMajorInput, weight: weight, bias: bias, geometry: g, fusedReLU: true)
    let actual = swapBatchAndChannels(
      output, g.outputChannels, g.batch, plane: g.outputHeight * g.outputWidth)
    #expect(actual.count == expected.count)
    let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
    #expect(worst < 1e-4, "largest difference \(worst) for \(g)")
  }

  @Test("a Winograd filter cache is filled on first use, then read instead of the weight")
  func filterCache() {
    let g = Self.geometries.last!
    #expect(ConvolutionKernels.winogradApplies(g))
    let input = convolutionTestValues(g.inputCount, seed: 4)
    let weight = convolutionTestValues(g.weightCount, seed: 5)
    let plain = ConvolutionKernels.forwardChannelMajor(
      input: input, weight: weight, bias: nil, geometry: g)
    // An empty cache: the first call fills it and gives the same result as no cache.
    let cache = WinogradFilterCache()
    let first = ConvolutionKernels.forwardChannelMajor(
      input: input, weight: weight, bias: nil, geometry: g, filterCache: cache)
    #expect(first == plain)
    var recomputed = false
    let stored = cache.filters {
      recomputed = true
      return []
    }
    #expect(!recomputed && stored.count == 16 * g.outputChannels * g.inputChannels)
    // A cache holding zero filters is what the kernel uses: the output is all zeros.
    let zeros = WinogradFilterCache()
    _ = zeros.filters { [Float](repeating: 0, count: stored.count) }
    let fromCache = ConvolutionKernels.forwardChannelMajor(
      input: input, weight: weight, bias: nil, geometry: g, filterCache: zeros)
    #expect(fromCache.allSatisfy { $0 == 0 })
  }

  @Test("sgemm with leading dimensions writes a column block of a wider matrix")
  func leadingDimensions() {
    // C[2, 3..<5] of a 2×6 matrix = A[2×2] · B[2×2], B taken from a 2×4 matrix's first columns.
    let a: [Float] = [1, 2, 3, 4]
    let b: [Float] = [1, 0, 9, 9, 0, 1, 9, 9]
    var c = [Float](repeating: -1, count: 12)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          BLAS.sgemm(
            m: 2, n: 2, k: 2, a: pa.baseAddress!, aCount: 4, transposeA: false,
            b: pb.baseAddress!, bCount: 8, transposeB: false,
            c: pc.baseAddress! + 3, cCount: 9, ldb: 4, ldc: 6)
        }
      }
    }
    #expect(c == [-1, -1, -1, 1, 2, -1, -1, -1, -1, 3, 4, -1])
  }

  @Test(
    "backward equals the naive NCHW gradients, transposed, and the bias gradient sums G",
    arguments: geometries)
  func backwardMatchesNaive(_ g: ConvolutionGeometry) {
    let input = convolutionTestValues(g.inputCount, seed: 6)
    let weight = convolutionTestValues(g.weightCount, seed: 7)
    let gradOutput = convolutionTestValues(g.outputCount, seed: 8)
    let expected = ConvolutionKernels.naiveBackward(
      gradOutput: gradOutput, input: input, weight: weight, geometry: g)
    let (inputPlane, outputPlane) = (g.inputHeight * g.inputWidth, g.outputHeight * g.outputWidth)
    let channelMajorGrad = swapBatchAndChannels(
      gradOutput, g.batch, g.outputChannels, plane: outputPlane)
    let result = ConvolutionKernels.backwardChannelMajor(
      gradOutput: channelMajorGrad,
      input: swapBatchAndChannels(input, g.batch, g.inputChannels, plane: inputPlane),
      weight: weight, geometry: g)
    let gradInput = swapBatchAndChannels(
      result.input ?? [], g.inputChannels, g.batch, plane: inputPlane)
    let inputError = zip(gradInput, expected.input).map { abs($0 - $1) }.max() ?? 0
    let weightError = zip(result.weight ?? [], expected.weight).map { abs($0 - $1) }.max() ?? 0
    #expect(gradInput.count == g.inputCount && result.weight?.count == g.weightCount)
    #expect(
      inputError < 1e-4 && weightError < 1e-4,
      "∂x off by \(inputError), ∂W by \(weightError) for \(g)")
    for channel in [0, g.outputChannels - 1] {
      let rowSum = channelMajorGrad[
        (channel * g.batch * outputPlane)..<((channel + 1) * g.batch * outputPlane)
      ]
      .map(Double.init).reduce(0, +)
      #expect(abs(Double(result.bias?[channel] ?? .nan) - rowSum) < 1e-4)
    }
    // Only what is asked for is computed.
    let weightOnly = ConvolutionKernels.backwardChannelMajor(
      gradOutput: channelMajorGrad,
      input: swapBatchAndChannels(input, g.batch, g.inputChannels, plane: inputPlane),
      weight: weight, geometry: g, needsInput: false, needsBias: false)
    #expect(weightOnly.input == nil && weightOnly.bias == nil && weightOnly.weight == result.weight)
  }

  @Test(
    "sgemm split over threads equals the naive product, for column and row splits and transposes")
  func threadSplitGemm() {
    // At least 3 × 2^22 multiply-adds (`BLAS.minimumWorkPerThread`), so 3 threads take a block
    // each; odd sizes so the panels are uneven. Threads are passed, not set process-wide.
    for (m, n, k) in [(37, 700, 500), (700, 37, 500)] {
      #expect(m * n * k >= 3 * BLAS.minimumWorkPerThread)
      for (transposeA, transposeB) in [(false, false), (true, true)] {
        let a = convolutionTestValues(m * k, seed: 9)
        let b = convolutionTestValues(k * n, seed: 10)
        func product(threads: Int) -> (c: [Float], blocks: Int) {
          var c = [Float](repeating: 0, count: m * n)
          let blocks = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
              c.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(
                  m: m, n: n, k: k, a: pa.baseAddress!, aCount: a.count, transposeA: transposeA,
                  b: pb.baseAddress!, bCount: b.count, transposeB: transposeB,
                  c: pc.baseAddress!, cCount: m * n, alpha: 1, beta: 0, lda: nil, ldb: nil,
                  ldc: nil, threads: threads)
              }
            }
          }
          return (c, blocks)
        }
        let naive = MatMulKernels.naiveMatmul(
          a, batchA: 1, b, batchB: 1, m: m, k: k, n: n, transposeA: transposeA,
          transposeB: transposeB)
        let single = product(threads: 1)
        #expect(single.blocks == 1)
        let split = product(threads: 3)
        #if !canImport(Accelerate)
          #expect(split.blocks == 3, "m \(m), n \(n): split into \(split.blocks) blocks")
        #endif
        // Not bit-equal to one call: OpenBLAS takes other code paths for the narrower blocks.
        for c in [single.c, split.c] {
          expectClose(
            c, naive, absolute: 1e-4, relative: 1e-5, "m \(m), n \(n), transposed \(transposeA)")
        }
      }
    }
  }
}
