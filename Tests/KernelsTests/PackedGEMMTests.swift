import TestSupport
import Testing

@testable import Kernels

@Suite("Packed fp32 and bf16 GEMMs and convolutions against their naive twins")
struct PackedGEMMTests {
  @Test(
    "the packed GEMM equals its inputs (bf16-rounded for bf16, in both bf16 forms; fp32 read as rows) multiplied in Double (tails in m, k, n; shared and per-strip packing)",
    arguments: [PackedFormat.fp32Rows, .bf16Pairs, .bf16Values],
    [
      (12, 32, 64), (13, 33, 7), (25, 70, 301), (1, 1, 1), (40, 100, 600), (30, 300, 90),
      (20, 300, 1100),  // per-task strips over several blocks of k
    ])
  func gemm(format: PackedFormat, shape: (Int, Int, Int)) throws {
    let (m, n, k) = shape
    let precision: Precision = format == .fp32Rows ? .fp32 : .bf16
    // The bf16 values form runs on any AVX-512 CPU; the pairs need AVX512-BF16.
    guard PackedMatrix.isSupported(format == .bf16Pairs ? .bf16 : .fp32) else { return }
    let a = convolutionTestValues(m * k, seed: 31)
    // B with a row stride wider than n, as im2col chunks and channel-major inputs have.
    let ldb = n + 5
    let wide = convolutionTestValues(k * ldb, seed: 32)
    let b = (0..<k).flatMap { row in wide[(row * ldb)..<(row * ldb + n)] }
    let packed = PackedMatrix(a, rows: m, depth: k, precision: precision, format: format)
    let ldc = n + 3
    var c = [Float](repeating: -7, count: m * ldc)
    wide.withUnsafeBufferPointer { pb in
      c.withUnsafeMutableBufferPointer { pc in
        packed.multiply(pb.baseAddress!, ldb: ldb, columns: n, into: pc.baseAddress!, ldc: ldc)
      }
    }
    // The naive oracle on the inputs as the GEMM sees them (rounded to bf16 for bf16).
    let rounded = { (x: [Float]) in precision == .bf16 ? BFloat16.rounded(x) : x }
    let expected = MatMulKernels.naiveMatmul(
      rounded(a), batchA: 1, rounded(b), batchB: 1, m: m, k: k, n: n)
    let actual = (0..<m).flatMap { row in c[(row * ldc)..<(row * ldc + n)] }
    expectClose(actual, expected, absolute: 1e-4, relative: 1e-5, "m \(m) n \(n) k \(k)")
    // Columns past n are never written.
    #expect(
      (0..<m).allSatisfy { row in c[(row * ldc + n)..<((row + 1) * ldc)].allSatisfy { $0 == -7 } })
  }

  @Test(
    "a frozen fp32 or bf16 convolution equals the naive one (on bf16-rounded inputs for bf16): same-size, pruned, strided",
    arguments: [
      ConvolutionGeometry(
        batch: 3, inputChannels: 5, inputHeight: 9, inputWidth: 8, outputChannels: 13,
        kernelHeight: 3, kernelWidth: 3, padding: 1),
      ConvolutionGeometry(
        batch: 2, inputChannels: 32, inputHeight: 16, inputWidth: 16, outputChannels: 32,
        kernelHeight: 3, kernelWidth: 3, padding: 1),  // Winograd in fp32, im2col in bf16
      ConvolutionGeometry(
        batch: 4, inputChannels: 7, inputHeight: 6, inputWidth: 6, outputChannels: 9,
        kernelHeight: 1, kernelWidth: 1, stride: 2),
      ConvolutionGeometry(
        batch: 3, inputChannels: 4, inputHeight: 7, inputWidth: 5, outputChannels: 6,
        kernelHeight: 3, kernelWidth: 3, padding: 2, dilation: 2),  // same size, dilated
      ConvolutionGeometry(
        batch: 6, inputChannels: 8, inputHeight: 1, inputWidth: 1, outputChannels: 8,
        kernelHeight: 3, kernelWidth: 3, padding: 1),  // pruned to the centre tap
      ConvolutionGeometry(
        batch: 2, inputChannels: 3, inputHeight: 11, inputWidth: 10, outputChannels: 6,
        kernelHeight: 7, kernelWidth: 7, stride: 2, padding: 3),
    ])
  func convolution(_ g: ConvolutionGeometry) {
    for precision in Precision.allCases { convolution(g, precision: precision) }
  }

  func convolution(_ g: ConvolutionGeometry, precision: Precision) {
    let x = convolutionTestValues(g.inputCount, seed: 41)
    let w = convolutionTestValues(g.weightCount, seed: 42)
    let bias = convolutionTestValues(g.outputChannels, seed: 43)
    let frozen = FrozenWeight(w, precision: precision)
    let fast = g.forwardFromBatchMajor(x, weight: frozen.values, bias: bias, frozen: frozen)
    let rounded = frozen.precision == .bf16
    let expected = ConvolutionKernels.naiveForward(
      input: rounded ? BFloat16.rounded(x) : x, weight: rounded ? BFloat16.rounded(w) : w,
      bias: bias, geometry: g)
    expectClose(fast, expected, absolute: 1e-4, relative: 1e-4, "bf16 conv \(g)")
    // Twice: the packed and cropped forms are kept and give the same result.
    #expect(g.forwardFromBatchMajor(x, weight: frozen.values, bias: bias, frozen: frozen) == fast)
  }

  @Test(
    "relu(conv + bias + residual) fused into the GEMM's store equals the naive convolution plus the residual: packed fp32 and bf16, BLAS, Winograd; one and several im2col chunks",
    arguments: [
      ConvolutionGeometry(
        batch: 3, inputChannels: 5, inputHeight: 9, inputWidth: 8, outputChannels: 13,
        kernelHeight: 3, kernelWidth: 3, padding: 1),  // same size (Winograd unfrozen)
      ConvolutionGeometry(
        batch: 4, inputChannels: 7, inputHeight: 6, inputWidth: 6, outputChannels: 9,
        kernelHeight: 1, kernelWidth: 1),  // pointwise: B is the input itself
      ConvolutionGeometry(
        batch: 10, inputChannels: 3, inputHeight: 32, inputWidth: 32, outputChannels: 5,
        kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),  // 16×16 outputs: 2 chunks
      ConvolutionGeometry(
        batch: 2, inputChannels: 64, inputHeight: 16, inputWidth: 16, outputChannels: 8,
        kernelHeight: 3, kernelWidth: 3, padding: 1),  // k = 576: the epilogue after 3 blocks
    ])
  func residual(_ g: ConvolutionGeometry) {
    #expect(ConvolutionKernels.imagesPerChunk(g) < g.batch || g.batch < 10)
    let x = convolutionTestValues(g.inputCount, seed: 51)
    let w = convolutionTestValues(g.weightCount, seed: 52)
    let bias = convolutionTestValues(g.outputChannels, seed: 53)
    // A folded batch norm's scale, some channels negative (so the ReLU sees a flipped sign).
    let scale = convolutionTestValues(g.outputChannels, seed: 55).map { $0 * 4 }
    // Channel-major, like the output; large enough to flip the sign of many sums.
    let shortcut = convolutionTestValues(g.outputCount, seed: 54).map { $0 * 3 }
    for precision in [Precision?.none, .fp32, .bf16] {
      let frozen = precision.map { FrozenWeight(w, precision: $0) }
      let rounded = frozen?.precision == .bf16
      // The naive output is NCHW; make it channel-major to add the channel-major residual.
      let cnhw = swapLeadingAxes(
        ConvolutionKernels.naiveForward(
          input: rounded ? BFloat16.rounded(x) : x, weight: rounded ? BFloat16.rounded(w) : w,
          bias: nil, geometry: g), g.batch, g.outputChannels,
        plane: g.outputHeight * g.outputWidth)
      let plane = g.outputCount / g.outputChannels
      for scaled in [false, true] {
        let fused = ConvolutionKernels.forward(
          input: g.channelMajorInput(x), weight: frozen?.values ?? w, bias: bias, geometry: g,
          outputScale: scaled ? scale : nil, fusedReLU: true, residual: shortcut, frozen: frozen)
        let expected = cnhw.indices.map { index in
          let channel = index / plane
          let product = scaled ? cnhw[index] * scale[channel] : cnhw[index]
          return Swift.max(product + bias[channel] + shortcut[index], 0)
        }
        expectClose(
          fused, expected, absolute: 1e-4, relative: 1e-4,
          "\(String(describing: precision)) scaled \(scaled) \(g)")
        #expect(fused.contains { $0 == 0 } && fused.contains { $0 > 0 }, "the ReLU is exercised")
      }
    }
  }

  @Test("a frozen fp32 weight is read where it lies: its GEMM form shares the weight's storage")
  func fp32SharesStorage() {
    let weight = convolutionTestValues(64 * 27, seed: 61)
    let frozen = FrozenWeight(weight, precision: .fp32)
    guard let packed = frozen.packedMatrix(rows: 64) else { return }  // no AVX-512: BLAS
    #expect(packed.sharesStorage(with: weight))
    #expect(packed.copiedBytes == 0)
    let bf16 = FrozenWeight(weight, precision: .bf16).packedMatrix(rows: 64)
    #expect(bf16.map { !$0.sharesStorage(with: weight) } ?? true, "bf16 rounds a copy")
  }

  @Test(
    "both bf16 forms hold 16 bits a weight (rows padded to 12, k to even), half the fp32 weight",
    arguments: [PackedFormat.bf16Pairs, .bf16Values])
  func bf16HoldsHalf(format: PackedFormat) {
    // 40 rows pad to 4 panels of 12, 27 k to 14 pairs; 48 × 28 needs no padding: exactly half.
    for (m, k, bytes) in [(40, 27, 48 * 14 * 4), (48, 28, 48 * 28 * 2)] {
      let weight = convolutionTestValues(m * k, seed: 62)
      let packed = PackedMatrix(weight, rows: m, depth: k, precision: .bf16, format: format)
      #expect(packed.copiedBytes == bytes, "\(m)×\(k)")
    }
  }

  @Test("bf16 is only used where the CPU has it; fp32 is always supported")
  func support() {
    let preferred = PackedFormat.preferred(for: .bf16)
    #expect(
      Precision.bf16.isSupported ? preferred != .fp32Rows : true,
      "a CPU with bf16 instructions multiplies bf16 in one of the bf16 forms")
    #expect(PackedFormat.preferred(for: .fp32) == .fp32Rows)
    #expect(Precision.fp32.isSupported && Precision.fp32.effective == .fp32)
    if !Precision.bf16.isSupported { #expect(!Precision.bf16IsFasterThanFP32) }
    let frozen = FrozenWeight([1, 2, 3], precision: .bf16)
    #expect(frozen.precision == (Precision.bf16.isSupported ? .bf16 : .fp32))
    #expect(
      (FrozenWeight([1], precision: .fp32).packedMatrix(rows: 1) == nil)
        == !PackedMatrix.isSupported(.fp32))
  }
}
