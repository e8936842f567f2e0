import TestSupport
import Testing

@testable import Kernels

@Suite("The direct NHWC convolution for frozen weights against the naive twin")
struct DirectConvolutionTests {
  static let formats: [PackedFormat] = [.fp32, .bf16Values, .bf16Pairs, .bf16AMX]

  static let geometries: [ConvolutionGeometry] = [
    ConvolutionGeometry(
      batch: 3, inputChannels: 5, inputHeight: 9, inputWidth: 8, outputChannels: 13,
      kernelHeight: 3, kernelWidth: 3, padding: 1),  // odd channels, one partial block
    ConvolutionGeometry(
      batch: 2, inputChannels: 3, inputHeight: 23, inputWidth: 19, outputChannels: 64,
      kernelHeight: 7, kernelWidth: 7, stride: 2, padding: 3),  // the stem: whole kernel rows
    ConvolutionGeometry(
      batch: 2, inputChannels: 20, inputHeight: 9, inputWidth: 9, outputChannels: 70,
      kernelHeight: 3, kernelWidth: 3, padding: 1),  // two blocks, the second of 6 channels
    ConvolutionGeometry(
      batch: 4, inputChannels: 64, inputHeight: 8, inputWidth: 8, outputChannels: 16,
      kernelHeight: 1, kernelWidth: 1),  // pointwise
    ConvolutionGeometry(
      batch: 2, inputChannels: 33, inputHeight: 11, inputWidth: 11, outputChannels: 130,
      kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),  // strided, three blocks
    ConvolutionGeometry(
      batch: 3, inputChannels: 48, inputHeight: 5, inputWidth: 5, outputChannels: 64,
      kernelHeight: 1, kernelWidth: 1, stride: 2),  // a downsample
    ConvolutionGeometry(
      batch: 2, inputChannels: 17, inputHeight: 10, inputWidth: 12, outputChannels: 40,
      kernelHeight: 3, kernelWidth: 3, padding: 2, dilation: 2),  // dilated
    ConvolutionGeometry(
      batch: 1, inputChannels: 18, inputHeight: 9, inputWidth: 10, outputChannels: 20,
      kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 2, dilation: 2),  // dilated, even C
    ConvolutionGeometry(
      batch: 1, inputChannels: 512, inputHeight: 3, inputWidth: 3, outputChannels: 600,
      kernelHeight: 1, kernelWidth: 1),  // a 1×1 past 1 MiB: pairs rounds its input once
    ConvolutionGeometry(
      batch: 7, inputChannels: 24, inputHeight: 4, inputWidth: 4, outputChannels: 40,
      kernelHeight: 3, kernelWidth: 3, padding: 1),  // small maps: tiles by position
    ConvolutionGeometry(
      batch: 13, inputChannels: 9, inputHeight: 2, inputWidth: 2, outputChannels: 70,
      kernelHeight: 3, kernelWidth: 3, padding: 1),  // by position, odd C, a short last tile
    ConvolutionGeometry(
      batch: 8, inputChannels: 32, inputHeight: 5, inputWidth: 6, outputChannels: 16,
      kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),  // by position, strided, 3×3 out
    ConvolutionGeometry(
      batch: 2, inputChannels: 8, inputHeight: 4, inputWidth: 4, outputChannels: 12,
      kernelHeight: 1, kernelWidth: 1, padding: 1),  // a padded 1×1: pairs rounds tile by tile
    ConvolutionGeometry(
      batch: 2, inputChannels: 160, inputHeight: 4, inputWidth: 4, outputChannels: 130,
      kernelHeight: 3, kernelWidth: 3, padding: 1),  // weight past 1 MiB: a block per task
    ConvolutionGeometry(
      batch: 1, inputChannels: 2, inputHeight: 6, inputWidth: 5, outputChannels: 3,
      kernelHeight: 2, kernelWidth: 3),  // rectangular kernel, 5 pixels: one short tile
    ConvolutionGeometry(
      batch: 2, inputChannels: 4, inputHeight: 4, inputWidth: 5, outputChannels: 8,
      kernelHeight: 3, kernelWidth: 3, padding: 3),  // outputs whose whole window is padding
    ConvolutionGeometry(
      batch: 2, inputChannels: 64, inputHeight: 20, inputWidth: 18, outputChannels: 70,
      kernelHeight: 3, kernelWidth: 3, padding: 1),  // AMX implicit: two padded planes
    ConvolutionGeometry(
      batch: 1, inputChannels: 32, inputHeight: 18, inputWidth: 17, outputChannels: 33,
      kernelHeight: 3, kernelWidth: 3),  // AMX implicit without padding
    ConvolutionGeometry(
      batch: 1, inputChannels: 96, inputHeight: 12, inputWidth: 12, outputChannels: 320,
      kernelHeight: 3, kernelWidth: 3, padding: 1),  // AMX implicit, the weight in two chunks
  ]

  @Test(
    "each format equals the naive convolution of the values it multiplies, through the whole epilogue (scale, bias, shortcut, ReLU)",
    arguments: formats, geometries)
  func againstNaive(format: PackedFormat, geometry g: ConvolutionGeometry) {
    guard DirectConvolutionWeight.isSupported(format: format) else { return }
    let x = convolutionTestValues(g.inputCount, seed: 41).map { $0 * 2 }
    let w = convolutionTestValues(g.weightCount, seed: 42)
    let bias = convolutionTestValues(g.outputChannels, seed: 43)
    let scale = convolutionTestValues(g.outputChannels, seed: 44).map { $0 * 3 }
    let shortcut = convolutionTestValues(g.outputCount, seed: 45).map { $0 * 2 }
    let weight = DirectConvolutionWeight(
      w, outputChannels: g.outputChannels, inputChannels: g.inputChannels,
      kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, precision: .bf16, format: format)
    // NCHW for the twin: bf16 weights in every bf16 form, bf16 inputs in the AMX and pairs forms.
    let nchwInput = nhwcToNCHW(
      x, images: g.batch, channels: g.inputChannels, plane: g.inputHeight * g.inputWidth)
    let naive = g.nhwcOutput(
      ConvolutionKernels.naiveForward(
        input: format.roundsActivations ? BFloat16.rounded(nchwInput) : nchwInput,
        weight: format == .fp32 ? w : BFloat16.rounded(w), bias: nil, geometry: g))
    let expected = naive.indices.map { index in
      let channel = index % g.outputChannels
      return Swift.max(naive[index] * scale[channel] + bias[channel] + shortcut[index], 0)
    }
    var output = [Float](repeating: .nan, count: g.outputCount)
    x.withUnsafeBufferPointer { pInput in
      output.withUnsafeMutableBufferPointer { pOutput in
        shortcut.withUnsafeBufferPointer { pShortcut in
          weight.convolve(
            pInput.baseAddress!, geometry: g, into: pOutput.baseAddress!,
            epilogue: ConvolutionEpilogue(
              scale: scale, bias: bias, residual: pShortcut.baseAddress, relu: true))
        }
      }
    }
    expectClose(output, expected, absolute: 1e-4, relative: 1e-4, "\(format) \(g)")
    #expect(output.contains { $0 == 0 } && output.contains { $0 > 0 }, "the ReLU is exercised")
    // Without an epilogue: the plain sums.
    x.withUnsafeBufferPointer { pInput in
      output.withUnsafeMutableBufferPointer { pOutput in
        weight.convolve(pInput.baseAddress!, geometry: g, into: pOutput.baseAddress!)
      }
    }
    expectClose(output, naive, absolute: 1e-4, relative: 1e-4, "plain \(format) \(g)")
  }

  @Test("a NaN anywhere in a window stays NaN through the fused ReLU (never shown as 0)")
  func nanSurvivesReLU() {
    let g = ConvolutionGeometry(
      batch: 1, inputChannels: 4, inputHeight: 5, inputWidth: 5, outputChannels: 8,
      kernelHeight: 3, kernelWidth: 3, padding: 1)
    var x = convolutionTestValues(g.inputCount, seed: 3)
    x[(2 * 5 + 2) * 4 + 1] = .nan  // pixel (2, 2): the 3×3 block around it
    // bf16 too: its activations are rounded (a NaN to a bf16 NaN) once for the whole input.
    for precision in Precision.allCases {
      let frozen = FrozenWeight(convolutionTestValues(g.weightCount, seed: 4), precision: precision)
      for residual in [nil, [Float](repeating: -100, count: g.outputCount)] {
        let y = ConvolutionKernels.forward(
          input: x, weight: frozen.values, bias: nil, geometry: g, fusedReLU: true,
          residual: residual, frozen: frozen)
        let nanPixels = Set(y.indices.filter { y[$0].isNaN }.map { $0 / 8 })
        #expect(
          nanPixels == [6, 7, 8, 11, 12, 13, 16, 17, 18],
          "\(precision), residual \(residual != nil)")
      }
    }
  }

  /// Frozen layers through `ConvolutionKernels`: a 3×3, a strided 1×1, one pruned to its centre
  /// tap, a stem-like 7×7 (also the compact weights' cases, `CompactFrozenWeightTests`).
  static let frozenGeometries = [
    ConvolutionGeometry(
      batch: 3, inputChannels: 5, inputHeight: 9, inputWidth: 8, outputChannels: 13,
      kernelHeight: 3, kernelWidth: 3, padding: 1),
    ConvolutionGeometry(
      batch: 4, inputChannels: 7, inputHeight: 6, inputWidth: 6, outputChannels: 9,
      kernelHeight: 1, kernelWidth: 1, stride: 2),
    ConvolutionGeometry(
      batch: 6, inputChannels: 8, inputHeight: 1, inputWidth: 1, outputChannels: 8,
      kernelHeight: 3, kernelWidth: 3, padding: 1),  // pruned to the centre tap
    ConvolutionGeometry(
      batch: 2, inputChannels: 3, inputHeight: 11, inputWidth: 10, outputChannels: 70,
      kernelHeight: 7, kernelWidth: 7, stride: 2, padding: 3),  // two blocks, the second partial
  ]

  @Test(
    "a frozen convolution in each precision equals the naive one through ConvolutionKernels: pruned, strided, same size",
    arguments: frozenGeometries)
  func frozenConvolution(_ g: ConvolutionGeometry) {
    for precision in Precision.allCases {
      let x = convolutionTestValues(g.inputCount, seed: 41)
      let w = convolutionTestValues(g.weightCount, seed: 42)
      let bias = convolutionTestValues(g.outputChannels, seed: 43)
      let frozen = FrozenWeight(w, precision: precision)
      let fast = g.forwardFromNCHW(x, weight: frozen.values, bias: bias, frozen: frozen)
      // The form this CPU multiplies bf16 in decides which inputs are rounded.
      let format = PackedFormat.preferred(for: frozen.precision)
      let usesDirect = DirectConvolutionWeight.isSupported(frozen.precision)
      let expected = ConvolutionKernels.naiveForward(
        input: usesDirect && format.roundsActivations ? BFloat16.rounded(x) : x,
        weight: frozen.precision == .bf16 ? BFloat16.rounded(w) : w, bias: bias, geometry: g)
      expectClose(fast, expected, absolute: 1e-4, relative: 1e-4, "\(precision) \(g)")
      // Twice: the packed and cropped forms are kept and give the same result.
      #expect(g.forwardFromNCHW(x, weight: frozen.values, bias: bias, frozen: frozen) == fast)
    }
  }

  @Test(
    "relu(scale ⊙ conv + bias + residual) equals the naive convolution plus the residual: direct fp32 and bf16, BLAS; one and several im2col chunks",
    arguments: [
      ConvolutionGeometry(
        batch: 3, inputChannels: 5, inputHeight: 9, inputWidth: 8, outputChannels: 13,
        kernelHeight: 3, kernelWidth: 3, padding: 1),
      ConvolutionGeometry(
        batch: 4, inputChannels: 7, inputHeight: 6, inputWidth: 6, outputChannels: 9,
        kernelHeight: 1, kernelWidth: 1),  // pointwise: BLAS reads the input itself
      ConvolutionGeometry(
        batch: 10, inputChannels: 3, inputHeight: 32, inputWidth: 32, outputChannels: 5,
        kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),  // 16×16 outputs: 2 chunks
    ])
  func residual(_ g: ConvolutionGeometry) {
    #expect(ConvolutionKernels.imagesPerChunk(g) < g.batch || g.batch < 10)
    let x = convolutionTestValues(g.inputCount, seed: 51)
    let w = convolutionTestValues(g.weightCount, seed: 52)
    let bias = convolutionTestValues(g.outputChannels, seed: 53)
    // A folded batch norm's scale, some channels negative (so the ReLU sees a flipped sign).
    let scale = convolutionTestValues(g.outputChannels, seed: 55).map { $0 * 4 }
    // NHWC, like the output; large enough to flip the sign of many sums.
    let shortcut = convolutionTestValues(g.outputCount, seed: 54).map { $0 * 3 }
    for precision in [Precision?.none, .fp32, .bf16] {
      let frozen = precision.map { FrozenWeight(w, precision: $0) }
      let bf16 = frozen?.precision == .bf16
      let pairs = bf16 && PackedFormat.preferred(for: .bf16).roundsActivations
      let nhwc = g.nhwcOutput(
        ConvolutionKernels.naiveForward(
          input: pairs ? BFloat16.rounded(x) : x, weight: bf16 ? BFloat16.rounded(w) : w,
          bias: nil, geometry: g))
      for scaled in [false, true] {
        let fused = ConvolutionKernels.forward(
          input: g.nhwcInput(x), weight: frozen?.values ?? w, bias: bias, geometry: g,
          outputScale: scaled ? scale : nil, fusedReLU: true, residual: shortcut, frozen: frozen)
        let expected = nhwc.indices.map { index in
          let channel = index % g.outputChannels
          let product = scaled ? nhwc[index] * scale[channel] : nhwc[index]
          return Swift.max(product + bias[channel] + shortcut[index], 0)
        }
        expectClose(
          fused, expected, absolute: 1e-4, relative: 1e-4,
          "\(String(describing: precision)) scaled \(scaled) \(g)")
        #expect(fused.contains { $0 == 0 } && fused.contains { $0 > 0 }, "the ReLU is exercised")
      }
    }
  }

  @Test("fp32 shares the weight (no copy); the bf16 forms hold 16 bits a weight, padded")
  func packedSizes() {
    // 64 outputs (one block), 27 = 3·3·3 weights each; bf16 pairs pair each kernel row's
    // 3·3 = 9 values into 5 pairs (one zero), 3 rows.
    let weight = convolutionTestValues(64 * 27, seed: 61)
    func bytes(_ format: PackedFormat) -> Int {
      DirectConvolutionWeight(
        weight, outputChannels: 64, inputChannels: 3, kernelHeight: 3, kernelWidth: 3,
        precision: .bf16, format: format
      ).bytes
    }
    #expect(bytes(.fp32) == 0)
    #expect(bytes(.bf16Values) == 64 * 27 * 2)
    #expect(bytes(.bf16Pairs) == 64 * 3 * 5 * 4)
    // AMX: blocks of 32 outputs, the depth 27 padded to one step of 32.
    #expect(bytes(.bf16AMX) == 2 * 32 * 32 * 2)
  }

  @Test("bf16 is only used where the CPU has it; fp32 is always supported")
  func support() {
    let preferred = PackedFormat.preferred(for: .bf16)
    #expect(
      Precision.bf16.isSupported ? preferred != .fp32 : true,
      "a CPU with bf16 instructions multiplies bf16 in one of the bf16 forms")
    #expect(PackedFormat.preferred(for: .fp32) == .fp32)
    #expect(Precision.fp32.isSupported && Precision.fp32.effective == .fp32)
    if !Precision.bf16.isSupported { #expect(!Precision.bf16IsFasterThanFP32) }
    let frozen = FrozenWeight([1, 2, 3], precision: .bf16)
    #expect(frozen.precision == (Precision.bf16.isSupported ? .bf16 : .fp32))
    let one = ConvolutionGeometry(
      batch: 1, inputChannels: 1, inputHeight: 1, inputWidth: 1, outputChannels: 1,
      kernelHeight: 1, kernelWidth: 1)
    #expect(
      (FrozenWeight([1], precision: .fp32).directWeight(for: one) == nil)
        == !DirectConvolutionWeight.isSupported(.fp32))
  }
}
