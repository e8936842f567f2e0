import TestSupport
import Testing

@testable import Kernels

/// A compact frozen weight keeps only its packed bf16 form; these check that unpacking gives back
/// exactly the rounded weight in every packed layout, and that a compact weight convolves as the
/// full one does, bit for bit.
@Suite("Compact bf16 frozen weights: the packed form alone, unpacked exactly")
struct CompactFrozenWeightTests {
  /// `[C_out, C, kH, kW]` shapes that exercise each layout's edges: a partial block of outputs,
  /// an odd kernel row (kw·C odd: the pairs' padding), the stem's 3 channels, a depth past one
  /// AMX step, a 1×1.
  static let shapes: [(Int, Int, Int, Int)] = [
    (13, 5, 3, 3), (70, 3, 7, 7), (130, 33, 3, 3), (16, 64, 1, 1), (3, 2, 2, 3),
  ]

  @Test(
    "unpacking each bf16 layout gives PyTorch's rounding of every value, in PyTorch's order",
    arguments: [PackedFormat.bf16Values, .bf16Pairs, .bf16AMX])
  func unpackInvertsPack(format: PackedFormat) {
    for (outputs, channels, height, width) in Self.shapes {
      var weight = convolutionTestValues(outputs * channels * height * width, seed: 91)
      // Values whose rounding is not the identity, a tie, an infinity and a NaN.
      weight[0] = 1 + 1 / 256 + 1 / 512
      weight[1] = -.infinity
      weight[2] = .nan
      let packed = DirectConvolutionWeight(
        weight, outputChannels: outputs, inputChannels: channels, kernelHeight: height,
        kernelWidth: width, precision: .bf16, format: format)
      let expanded = packed.expanded()
      let expected = BFloat16.rounded(weight)
      #expect(expanded.count == weight.count)
      #expect(expanded[2].isNaN, "a NaN weight stays NaN")
      #expect(
        zip(expanded, expected).dropFirst(3).allSatisfy { $0 == $1 }
          && expanded[0] == expected[0] && expanded[1] == -.infinity,
        "\(format) \([outputs, channels, height, width])")
      // The rounding really happened (the oracle is not the identity on these values).
      #expect(zip(expanded, weight).contains { $0 != $1 && !$1.isNaN })
    }
  }

  @Test("a compact weight keeps no fp32 copy: its values are the rounded weight, its bytes half")
  func holdsOnlyThePackedForm() {
    let weight = convolutionTestValues(64 * 32 * 3 * 3, seed: 92)
    let frozen = FrozenWeight(
      packing: weight, outputChannels: 64, inputChannels: 32, kernelHeight: 3, kernelWidth: 3,
      precision: .bf16)
    guard DirectConvolutionWeight.isSupported(.bf16) else {
      // Without bf16 instructions it is an ordinary frozen weight, sharing the caller's storage.
      #expect(!frozen.isCompact && frozen.holds(weight) && frozen.precision == .fp32)
      return
    }
    #expect(frozen.isCompact && frozen.precision == .bf16)
    #expect(!frozen.holds(weight), "it holds no caller's storage")
    #expect(frozen.values == BFloat16.rounded(weight))
    #expect(frozen.count == weight.count)
    // 16 bits a weight (the pairs and values forms pad nothing here: C·kw is even).
    #expect(frozen.derivedBytes <= weight.count * 2 + 64 * 64)
    #expect(frozen.derivedBytes >= weight.count * 2)
    // A wrong shape is never packed (the plain weight is kept instead).
    let misfit = FrozenWeight(
      packing: weight, outputChannels: 63, inputChannels: 32, kernelHeight: 3, kernelWidth: 3,
      precision: .bf16)
    #expect(!misfit.isCompact && misfit.holds(weight))
  }

  @Test(
    "a compact weight convolves bit-identically to the full bf16 one: with scale, bias, shortcut and ReLU, strided, cropped to the taps that read the image",
    arguments: DirectConvolutionTests.frozenGeometries)
  func convolvesAsTheFullWeight(_ g: ConvolutionGeometry) {
    let x = g.nhwcInput(convolutionTestValues(g.inputCount, seed: 93))
    let w = convolutionTestValues(g.weightCount, seed: 94)
    let bias = convolutionTestValues(g.outputChannels, seed: 95)
    let scale = convolutionTestValues(g.outputChannels, seed: 96).map { $0 * 4 }
    let shortcut = convolutionTestValues(g.outputCount, seed: 97).map { $0 * 3 }
    let full = FrozenWeight(w, precision: .bf16)
    let compact = FrozenWeight(
      packing: w, outputChannels: g.outputChannels, inputChannels: g.inputChannels,
      kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, precision: .bf16)
    #expect(compact.isCompact == DirectConvolutionWeight.isSupported(.bf16))
    for residual in [nil, shortcut] {
      let expected = ConvolutionKernels.forward(
        input: x, weight: w, bias: bias, geometry: g, outputScale: scale, fusedReLU: true,
        residual: residual, frozen: full)
      for _ in 0..<2 {  // twice: the kept crop gives the same result
        let got = ConvolutionKernels.forward(
          input: x, frozen: compact, bias: bias, geometry: g, outputScale: scale,
          fusedReLU: true, residual: residual)
        #expect(got == expected, "\(g) residual \(residual != nil)")
      }
    }
    // And it is the rounded weight's convolution (an independent oracle: the naive twin, NCHW).
    let naive = g.nhwcOutput(
      ConvolutionKernels.naiveForward(
        input: g.nchwInput(
          x,
          rounded: PackedFormat.preferred(for: .bf16).roundsActivations
            && compact.isCompact),
        weight: compact.isCompact ? BFloat16.rounded(w) : w, bias: bias, geometry: g))
    let plain = ConvolutionKernels.forward(input: x, frozen: compact, bias: bias, geometry: g)
    expectClose(plain, naive, absolute: 1e-4, relative: 1e-4, "\(g)")
  }
}

extension ConvolutionGeometry {
  /// An NHWC input of this geometry back in NCHW, optionally rounded to bf16.
  fileprivate func nchwInput(_ nhwc: [Float], rounded: Bool) -> [Float] {
    let plane = inputHeight * inputWidth
    var nchw = [Float](repeating: 0, count: nhwc.count)
    for image in 0..<batch {
      for pixel in 0..<plane {
        for channel in 0..<inputChannels {
          nchw[(image * inputChannels + channel) * plane + pixel] =
            nhwc[(image * plane + pixel) * inputChannels + channel]
        }
      }
    }
    return rounded ? BFloat16.rounded(nchw) : nchw
  }
}
