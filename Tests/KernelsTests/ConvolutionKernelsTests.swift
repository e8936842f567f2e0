import TestSupport
import Testing

@testable import Kernels

/// Deterministic pseudo-random values in [-1, 1) for convolution and pooling kernel tests.
func convolutionTestValues(_ count: Int, seed: UInt64) -> [Float] {
  var state = seed &* 2_862_933_555_777_941_757 &+ 3_037_000_493
  return (0..<count).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Float(state >> 40) / Float(1 << 23) - 1
  }
}

/// NCHW `[n, c, plane]` → NHWC `[n, plane, c]` (the naive twins are NCHW, the kernels NHWC, so
/// every comparison also checks the layout).
func nchwToNHWC(_ values: [Float], images: Int, channels: Int, plane: Int) -> [Float] {
  var result = [Float](repeating: 0, count: values.count)
  for n in 0..<images {
    for c in 0..<channels {
      for index in 0..<plane {
        result[(n * plane + index) * channels + c] = values[(n * channels + c) * plane + index]
      }
    }
  }
  return result
}

/// NHWC `[n, plane, c]` → NCHW `[n, c, plane]`.
func nhwcToNCHW(_ values: [Float], images: Int, channels: Int, plane: Int) -> [Float] {
  var result = [Float](repeating: 0, count: values.count)
  for n in 0..<images {
    for c in 0..<channels {
      for index in 0..<plane {
        result[(n * channels + c) * plane + index] = values[(n * plane + index) * channels + c]
      }
    }
  }
  return result
}

extension ConvolutionGeometry {
  /// An NCHW input of this geometry, NHWC.
  func nhwcInput(_ nchw: [Float]) -> [Float] {
    nchwToNHWC(nchw, images: batch, channels: inputChannels, plane: inputHeight * inputWidth)
  }
  /// An NCHW output of this geometry, NHWC.
  func nhwcOutput(_ nchw: [Float]) -> [Float] {
    nchwToNHWC(nchw, images: batch, channels: outputChannels, plane: outputHeight * outputWidth)
  }
  /// An NHWC output of this geometry, as NCHW.
  func nchwOutput(_ nhwc: [Float]) -> [Float] {
    nhwcToNCHW(nhwc, images: batch, channels: outputChannels, plane: outputHeight * outputWidth)
  }
  /// The fast forward on an NCHW input, its result NCHW again.
  func forwardFromNCHW(
    _ x: [Float], weight: [Float], bias: [Float]?, fusedReLU: Bool = false,
    frozen: FrozenWeight? = nil
  ) -> [Float] {
    nchwOutput(
      ConvolutionKernels.forward(
        input: nhwcInput(x), weight: weight, bias: bias, geometry: self, fusedReLU: fusedReLU,
        frozen: frozen))
  }
}

@Suite("ConvolutionKernels (NHWC) against the naive NCHW twins")
struct ConvolutionKernelsTests {
  @Test("1-channel 3×3 input with a 2×2 kernel, by hand")
  func handDerived() {
    // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], b = 0.5:
    // y[0,0] = 1·1 + 2·2 + 4·3 + 5·4 = 37, y[0,1] = 2 + 6 + 15 + 24 = 47,
    // y[1,0] = 4 + 10 + 21 + 32 = 67, y[1,1] = 5 + 12 + 24 + 36 = 77.
    let g = ConvolutionGeometry(
      batch: 1, inputChannels: 1, inputHeight: 3, inputWidth: 3, outputChannels: 1,
      kernelHeight: 2, kernelWidth: 2)
    let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    let w: [Float] = [1, 2, 3, 4]
    #expect(
      ConvolutionKernels.forward(input: x, weight: w, bias: [0.5], geometry: g) == [
        37.5, 47.5, 67.5, 77.5,
      ])
    // Padding 1, stride 2: windows at (−1,−1), (−1,1), (1,−1), (1,1):
    // y[0,0] = 4·1 = 4, y[0,1] = 3·2... tap (i,j) hits x[2i−1+…]: see below.
    // (−1,−1): only x[0,0]·w[1,1] = 4; (−1,1): x[0,1]·w[1,0] + x[0,2]·w[1,1] = 6 + 12 = 18;
    // (1,−1): x[1,0]·w[0,1] + x[2,0]·w[1,1] = 8 + 28 = 36;
    // (1,1): 5·1 + 6·2 + 8·3 + 9·4 = 77.
    var padded = g
    padded.paddingHeight = 1
    padded.paddingWidth = 1
    padded.strideHeight = 2
    padded.strideWidth = 2
    #expect(
      ConvolutionKernels.forward(input: x, weight: w, bias: nil, geometry: padded) == [
        4, 18, 36, 77,
      ])
    // Backward with G = 1 everywhere (no padding): ∂x[i,j] = Σ of the taps that touch (i,j):
    // [[1,3,2],[4,10,6],[3,7,4]]; ∂w[u,v] = Σ of the 2×2 block of x at (u,v): [[12,16],[24,28]].
    let grads = ConvolutionKernels.backward(
      gradOutput: [1, 1, 1, 1], input: x, weight: w, geometry: g)
    #expect(grads.input == [1, 3, 2, 4, 10, 6, 3, 7, 4])
    #expect(grads.weight == [12, 16, 24, 28])
    #expect(grads.bias == [4])
  }

  static let geometries: [ConvolutionGeometry] = {
    func make(
      _ n: Int, _ c: Int, _ h: Int, _ w: Int, _ o: Int, _ k: Int, stride: Int = 1,
      padding: Int = 0, dilation: Int = 1, kernelWidth: Int? = nil
    ) -> ConvolutionGeometry {
      ConvolutionGeometry(
        batch: n, inputChannels: c, inputHeight: h, inputWidth: w, outputChannels: o,
        kernelHeight: k, kernelWidth: kernelWidth ?? k, stride: stride, padding: padding,
        dilation: dilation)
    }
    return [
      make(2, 3, 5, 7, 5, 3, padding: 1),  // odd sizes, 3×3 pad 1
      make(3, 5, 9, 8, 6, 3, stride: 2, padding: 1),  // stride 2
      make(2, 3, 11, 13, 4, 7, stride: 2, padding: 3),  // ResNet stem shape, small
      make(2, 6, 6, 6, 7, 3, padding: 3),  // padding 3 (output larger than input)
      make(3, 9, 4, 5, 11, 1),  // 1×1, batched pointwise GEMM
      make(7, 3, 20, 20, 5, 1),  // 1×1: one GEMM over the batch
      make(2, 5, 48, 48, 3, 1),  // 1×1 on large maps
      make(3, 7, 9, 9, 13, 1, stride: 2),  // 1×1 stride 2 (ResNet downsample)
      make(2, 4, 7, 7, 6, 3, padding: 2, dilation: 2),  // dilation
      make(5, 12, 8, 8, 10, 3, padding: 1),  // same-size im2col (one shifted copy per row)
      make(4, 12, 8, 8, 10, 3, stride: 2, padding: 1),  // stride 2 on 8×8
      make(6, 8, 2, 2, 8, 3, padding: 1),  // 3×3 on 2×2 (pruned)
      make(1, 2, 6, 5, 3, 2, kernelWidth: 3),  // rectangular kernel
      make(5, 13, 1, 1, 10, 1),  // 1×1 spatial (ResNet's last stage on 32×32)
      make(3, 3, 50, 47, 2, 3, stride: 1, padding: 1),  // several chunks of im2col
      make(3, 6, 1, 1, 5, 3, padding: 1),  // 3×3 on 1×1: pruned to the centre tap
      make(2, 4, 2, 2, 3, 3, stride: 2, padding: 1),  // pruned to a 2×2 sub-kernel
      make(2, 2, 3, 3, 3, 7, stride: 2, padding: 3),  // 7×7 on 3×3: pruned to 5×5
      make(3, 3, 16, 16, 8, 7, stride: 2, padding: 3),  // the stem, shrunk
      // Channels past one 64-wide block and not whole 16-lane vectors, either way round (the
      // direct kernel's ∂x swaps them): a 3×3 and a 1×1.
      make(2, 70, 5, 5, 66, 3, padding: 1),
      make(2, 130, 3, 3, 20, 1),
      make(2, 5, 9, 9, 6, 5, padding: 2),  // 5×5 at stride 1: ∂x's weight packed by gathers
      // Whole 64-wide blocks, where the direct kernel reads ∂x's weight and ∂W's im2col in
      // place: a 1×1 (∂W over 1,152 rows, two chunks), two blocks, a 3×3 (patch 9·64).
      make(2, 64, 24, 24, 24, 1),
      make(3, 128, 6, 6, 70, 1),
      make(2, 64, 5, 5, 20, 3, padding: 1),
      make(2, 256, 24, 24, 8, 1),  // ∂W from 256 channels over 1,152 rows: two chunks
    ]
  }()

  @Test(
    "the forward (direct kernel on AVX-512) and its BLAS path (im2col + sgemm) each equal the seven-loop convolution",
    arguments: geometries)
  func forwardAgainstNaive(geometry g: ConvolutionGeometry) {
    let x = convolutionTestValues(g.inputCount, seed: UInt64(g.inputCount))
    let w = convolutionTestValues(g.weightCount, seed: UInt64(g.weightCount + 1))
    let b = convolutionTestValues(g.outputChannels, seed: 3)
    let naive = ConvolutionKernels.naiveForward(input: x, weight: w, bias: b, geometry: g)
    let fast = g.forwardFromNCHW(x, weight: w, bias: b)
    expectClose(fast, naive, absolute: 1e-5, relative: 1e-4, "forward \(g)")
    let fastNoBias = g.forwardFromNCHW(x, weight: w, bias: nil)
    let naiveNoBias = ConvolutionKernels.naiveForward(input: x, weight: w, bias: nil, geometry: g)
    expectClose(fastNoBias, naiveNoBias, absolute: 1e-5, relative: 1e-4, "no bias \(g)")
    let fused = g.forwardFromNCHW(x, weight: w, bias: b, fusedReLU: true)
    expectClose(fused, naive.map { max($0, 0) }, absolute: 1e-5, relative: 1e-4, "ReLU \(g)")
    // The BLAS path runs where the CPU has no AVX-512 (macOS on arm64): checked here too; a
    // geometry with padding-only taps runs unpruned there (its im2col reads them as zeros).
    let blas = g.nchwOutput(
      ConvolutionKernels.blasForward(
        input: g.nhwcInput(x), weight: w, bias: b, geometry: g, fusedReLU: true))
    expectClose(blas, naive.map { max($0, 0) }, absolute: 1e-5, relative: 1e-4, "BLAS \(g)")
  }

  @Test(
    "backward (∂x on the direct kernel at stride 1 with AVX-512, else col2im; weight GEMM; bias sum) equals the seven-loop gradients, and so does its BLAS path",
    arguments: geometries)
  func backwardAgainstNaive(geometry g: ConvolutionGeometry) {
    let x = convolutionTestValues(g.inputCount, seed: 11)
    let w = convolutionTestValues(g.weightCount, seed: 12)
    let upstream = convolutionTestValues(g.outputCount, seed: 13)
    let naive = ConvolutionKernels.naiveBackward(
      gradOutput: upstream, input: x, weight: w, geometry: g)
    let nhwcUpstream = g.nhwcOutput(upstream)
    let nhwcInput = g.nhwcInput(x)
    let fast = ConvolutionKernels.backward(
      gradOutput: nhwcUpstream, input: nhwcInput, weight: w, geometry: g)
    let gradInput = nhwcToNCHW(
      fast.input ?? [], images: g.batch, channels: g.inputChannels,
      plane: g.inputHeight * g.inputWidth)
    expectClose(gradInput, naive.input, absolute: 1e-5, relative: 1e-4, "∂input \(g)")
    expectClose(fast.weight ?? [], naive.weight, absolute: 1e-4, relative: 1e-4, "∂weight \(g)")
    let spatial = g.outputHeight * g.outputWidth
    let biasExpected = (0..<g.outputChannels).map { o in
      (0..<g.batch).reduce(0.0) { total, n in
        total
          + upstream[
            ((n * g.outputChannels + o) * spatial)..<((n * g.outputChannels + o + 1) * spatial)
          ]
          .reduce(0.0) { $0 + Double($1) }
      }
    }
    expectClose(fast.bias ?? [], biasExpected, absolute: 1e-5, relative: 1e-5, "∂bias \(g)")
    let onlyWeight = ConvolutionKernels.backward(
      gradOutput: nhwcUpstream, input: nhwcInput, weight: w, geometry: g,
      needsInput: false, needsBias: false)
    #expect(onlyWeight.input == nil && onlyWeight.bias == nil)
    expectClose(onlyWeight.weight ?? [], naive.weight, absolute: 1e-4, relative: 1e-4)
    // The BLAS path's ∂x (col2im), which CPUs without AVX-512 and other strides run.
    let blas = ConvolutionKernels.blasBackward(
      gradOutput: nhwcUpstream, input: nhwcInput, weight: w, geometry: g, needsInput: true,
      needsWeight: false)
    let blasInput = nhwcToNCHW(
      blas.input ?? [], images: g.batch, channels: g.inputChannels,
      plane: g.inputHeight * g.inputWidth)
    expectClose(blasInput, naive.input, absolute: 1e-5, relative: 1e-4, "BLAS ∂input \(g)")
    // ∂W both ways, whichever this process's OpenBLAS would pick: BLAS's GEMM, and the direct
    // kernel's convolution of Gᵀ by the im2col (where the CPU has AVX-512).
    for direct in [false, true] {
      let weights = ConvolutionKernels.blasBackward(
        gradOutput: nhwcUpstream, input: nhwcInput, weight: w, geometry: g, needsInput: false,
        needsWeight: true, directWeights: direct)
      expectClose(
        weights.weight ?? [], naive.weight, absolute: 1e-4, relative: 1e-4,
        "∂weight, direct \(direct), \(g)")
    }
  }

  @Test(
    "∂x of a stride-1 convolution is a convolution of ∂y; other strides and over-padding are not")
  func inputGradientGeometry() throws {
    // 3×3 pad 1 on 5×7, 4 → 6 channels: ∂x is a 3×3 pad 1 from 6 to 4 channels on 5×7.
    let same = ConvolutionGeometry(
      batch: 2, inputChannels: 4, inputHeight: 5, inputWidth: 7, outputChannels: 6,
      kernelHeight: 3, kernelWidth: 3, padding: 1)
    let transposed = try #require(ConvolutionKernels.inputGradientGeometry(same))
    #expect(transposed.inputChannels == 6 && transposed.outputChannels == 4)
    #expect(transposed.paddingHeight == 1 && transposed.outputWidth == 7)
    // Unpadded 3×3 on 5×5 → 3×3: ∂x pads ∂y by 2 back to 5×5.
    var valid = same
    valid.paddingHeight = 0
    valid.paddingWidth = 0
    #expect(ConvolutionKernels.inputGradientGeometry(valid)?.paddingWidth == 2)
    var strided = same
    strided.strideHeight = 2
    strided.strideWidth = 2
    #expect(ConvolutionKernels.inputGradientGeometry(strided) == nil)
    var overPadded = same
    overPadded.paddingHeight = 3
    overPadded.paddingWidth = 3
    #expect(ConvolutionKernels.inputGradientGeometry(overPadded) == nil)
  }

  @Test(
    "a frozen weight keeps its derived form (packed for the direct convolution, or tap-major for BLAS without AVX-512), never for another weight"
  )
  func frozenWeight() {
    let g = ConvolutionGeometry(
      batch: 2, inputChannels: 32, inputHeight: 16, inputWidth: 16, outputChannels: 32,
      kernelHeight: 3, kernelWidth: 3, padding: 1)
    let input = convolutionTestValues(g.inputCount, seed: 4)
    let weight = convolutionTestValues(g.weightCount, seed: 5)
    let plain = ConvolutionKernels.forward(input: input, weight: weight, bias: nil, geometry: g)
    let frozen = FrozenWeight(weight)
    #expect(!frozen.hasDirectWeight && frozen.derivedBytes == 0)
    let first = ConvolutionKernels.forward(
      input: input, weight: frozen.values, bias: nil, geometry: g, frozen: frozen)
    // The same kernel as unfrozen (on AVX-512 the direct convolution, which a layer being
    // trained runs too; else BLAS): the same values, bit for bit.
    #expect(first == plain)
    let direct = DirectConvolutionWeight.isSupported(.fp32)
    #expect(direct == frozen.hasDirectWeight)
    // fp32 on AVX-512 reads the weight where it lies; BLAS keeps one tap-major copy.
    #expect(frozen.derivedBytes == (direct ? 0 : g.weightCount * 4))
    #expect(
      ConvolutionKernels.forward(
        input: input, weight: frozen.values, bias: nil, geometry: g, frozen: frozen) == first)
    // Another weight (even a copy that was changed) never reads the frozen one's forms.
    var other = weight
    other[0] += 1
    let fresh = ConvolutionKernels.forward(input: input, weight: other, bias: nil, geometry: g)
    #expect(
      ConvolutionKernels.forward(
        input: input, weight: other, bias: nil, geometry: g, frozen: frozen) == fresh)
    #expect(fresh != plain)
  }

  @Test("output size follows PyTorch's formula")
  func outputSize() {
    // torch.nn.Conv2d(3, 64, 7, 2, 3)(torch.zeros(1, 3, 224, 224)).shape == (1, 64, 112, 112)
    let stem = ConvolutionGeometry(
      batch: 1, inputChannels: 3, inputHeight: 224, inputWidth: 224, outputChannels: 64,
      kernelHeight: 7, kernelWidth: 7, stride: 2, padding: 3)
    #expect(stem.outputHeight == 112 && stem.outputWidth == 112)
    // A 5×5 kernel on a 3×3 input without padding has no output.
    let tooSmall = ConvolutionGeometry(
      batch: 1, inputChannels: 1, inputHeight: 3, inputWidth: 3, outputChannels: 1,
      kernelHeight: 5, kernelWidth: 5)
    #expect(!tooSmall.isValid)
  }
}

@Suite("PoolingKernels")
struct PoolingKernelsTests {
  let arange16 = (0..<16).map(Float.init)  // [[0,1,2,3],[4,5,6,7],[8,9,10,11],[12,13,14,15]]

  @Test("max pooling on arange, by hand")
  func maxOnArange() {
    // 2×2 stride 2: maxima 5, 7, 13, 15 at flat indices 5, 7, 13, 15.
    let plain = PoolingKernels.maxPool(
      arange16,
      geometry: PoolingGeometry(
        images: 1, channels: 1, inputHeight: 4, inputWidth: 4, kernelSize: 2, stride: 2, padding: 0)
    )
    #expect(plain.values == [5, 7, 13, 15])
    #expect(plain.indices == [5, 7, 13, 15])
    // 3×3 stride 2 padding 1 (ResNet): windows rows/cols {−1,0,1} and {1,2,3}: 5, 7, 13, 15.
    let resnet = PoolingGeometry(
      images: 1, channels: 1, inputHeight: 4, inputWidth: 4, kernelSize: 3, stride: 2, padding: 1)
    #expect(PoolingKernels.maxPool(arange16, geometry: resnet).values == [5, 7, 13, 15])
    // Padding is −∞, never 0: an all-negative input keeps its values.
    let negative = arange16.map { -$0 - 1 }
    // windows: {0,1,4,5} → −1, {1,2,3,5,6,7} → −2, {4,5,8,9,12,13} → −5, {5,6,7,9,...} → −6
    #expect(PoolingKernels.maxPool(negative, geometry: resnet).values == [-1, -2, -5, -6])
    // Ties: the first maximum in scan order wins, so the gradient goes there.
    let ties = PoolingKernels.maxPool(
      [Float](repeating: 1, count: 16),
      geometry: PoolingGeometry(
        images: 1, channels: 1, inputHeight: 4, inputWidth: 4, kernelSize: 2, stride: 2, padding: 0)
    )
    #expect(ties.indices == [0, 2, 8, 10])
    let back = PoolingKernels.maxPoolBackward(
      [1, 2, 3, 4], indices: plain.indices,
      geometry: PoolingGeometry(
        images: 1, channels: 1, inputHeight: 4, inputWidth: 4, kernelSize: 2, stride: 2, padding: 0)
    )
    #expect(back == [0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4])
  }

  @Test("average pooling on arange, by hand")
  func averageOnArange() {
    let g = PoolingGeometry(
      images: 1, channels: 1, inputHeight: 4, inputWidth: 4, kernelSize: 2, stride: 2, padding: 0)
    // (0+1+4+5)/4 = 2.5, (2+3+6+7)/4 = 4.5, 10.5, 12.5
    #expect(PoolingKernels.averagePool(arange16, geometry: g) == [2.5, 4.5, 10.5, 12.5])
    // 3×3 s2 p1: window (0,0) covers {0,1,4,5} = 10, divided by 9 with padding counted, by 4 without.
    let padded = PoolingGeometry(
      images: 1, channels: 1, inputHeight: 4, inputWidth: 4, kernelSize: 3, stride: 2, padding: 1)
    #expect(PoolingKernels.averagePool(arange16, geometry: padded)[0] == Float(10) / 9)
    #expect(
      PoolingKernels.averagePool(arange16, geometry: padded, countIncludingPadding: false)[0] == 2.5
    )
  }

  @Test("adaptive average pooling windows follow floor/ceil")
  func adaptiveWindows() {
    // 7 → 3: [0,3), [2,5), [4,7) (torch: start = floor(i·7/3), end = ceil((i+1)·7/3))
    #expect(
      (0..<3).map { PoolingKernels.adaptiveWindow($0, input: 7, output: 3) } == [
        0..<3, 2..<5, 4..<7,
      ])
    // 4×4 arange → 1×1 is the mean 7.5; → 2×2 equals 2×2 average pooling.
    #expect(
      PoolingKernels.adaptiveAveragePool(
        arange16, images: 1, channels: 1, inputHeight: 4, inputWidth: 4, outputHeight: 1,
        outputWidth: 1) == [
          7.5
        ])
    #expect(
      PoolingKernels.adaptiveAveragePool(
        arange16, images: 1, channels: 1, inputHeight: 4, inputWidth: 4, outputHeight: 2,
        outputWidth: 2) == [
          2.5, 4.5, 10.5, 12.5,
        ])
  }

  @Test(
    "fast pooling equals the naive twins on awkward shapes (channels below, at and past 16 lanes)",
    arguments: [
      (3, 1, 7, 9, 3, 2, 1), (2, 3, 5, 5, 2, 1, 0), (4, 17, 11, 6, 3, 3, 1), (1, 1, 1, 1, 1, 1, 0),
      (2, 16, 8, 8, 5, 2, 2),
      (2, 33, 9, 70, 3, 2, 1),  // ResNet's 3×3 stride 2 on a wide row, 2 full lanes and a tail
      (3, 64, 16, 16, 3, 2, 1),  // … on a CIFAR image's 16×16 stem output
      (2, 5, 5, 34, 3, 2, 1), (2, 20, 4, 33, 3, 2, 1),
    ])
  func againstNaive(shape: (Int, Int, Int, Int, Int, Int, Int)) {
    let (images, channels, height, width, kernel, stride, padding) = shape
    let g = PoolingGeometry(
      images: images, channels: channels, inputHeight: height, inputWidth: width,
      kernelSize: kernel, stride: stride, padding: padding)
    var x = convolutionTestValues(g.inputCount, seed: UInt64(height * 31 + width))
    // Repeated values exercise the tie rule.
    for index in Swift.stride(from: 0, to: x.count, by: 5) { x[index] = 0.5 }
    let fast = PoolingKernels.maxPool(x, geometry: g)
    let naive = PoolingKernels.naiveMaxPool(x, geometry: g)
    #expect(fast.values == naive.values)
    #expect(fast.indices == naive.indices)
    // Inference's pass without indices gives the same values.
    #expect(PoolingKernels.maxPool(x, geometry: g, withIndices: false).values == naive.values)
    for include in [true, false] {
      expectClose(
        PoolingKernels.averagePool(x, geometry: g, countIncludingPadding: include),
        PoolingKernels.naiveAveragePool(x, geometry: g, countIncludingPadding: include),
        absolute: 1e-6, relative: 1e-5)
    }
    // The backward passes route each gradient as their twins' definitions say.
    let upstream = convolutionTestValues(g.outputCount, seed: 77)
    var routed = [Float](repeating: 0, count: g.inputCount)
    for (o, index) in naive.indices.enumerated() {
      let image = o / (g.outputHeight * g.outputWidth * channels)
      routed[(image * height * width + Int(index)) * channels + o % channels] += upstream[o]
    }
    expectClose(
      PoolingKernels.maxPoolBackward(upstream, indices: fast.indices, geometry: g), routed,
      absolute: 1e-6, relative: 1e-6)
  }

  @Test("a NaN in one channel reaches only that channel's windows, in the 16-lane pass too")
  func nanInOneChannel() {
    let g = PoolingGeometry(
      images: 1, channels: 20, inputHeight: 5, inputWidth: 5, kernelSize: 3, stride: 2,
      padding: 1)
    var x = convolutionTestValues(g.inputCount, seed: 8)
    x[(1 * 5 + 1) * 20 + 3] = .nan  // pixel (1, 1), channel 3: in windows (0,0) (0,1) (1,0) (1,1)
    x[(0 * 5 + 0) * 20 + 17] = .nan  // pixel (0, 0), channel 17 (the scalar tail): window 0
    for withIndices in [true, false] {
      let values = PoolingKernels.maxPool(x, geometry: g, withIndices: withIndices).values
      let nans = values.indices.filter { values[$0].isNaN }
      #expect(nans == [3, 17, 23, 63, 83], "indices \(withIndices)")
    }
  }

  @Test("max pooling propagates NaN, as PyTorch")
  func nanWins() {
    var x = arange16
    x[0] = .nan
    let g = PoolingGeometry(
      images: 1, channels: 1, inputHeight: 4, inputWidth: 4, kernelSize: 2, stride: 2, padding: 0)
    let result = PoolingKernels.maxPool(x, geometry: g)
    #expect(result.values[0].isNaN && result.indices[0] == 0)
    #expect(PoolingKernels.naiveMaxPool(x, geometry: g).values[0].isNaN)
    // Without indices too, wherever the NaN sits in its window (first, or after the maximum).
    var late = arange16
    late[5] = .nan
    for input in [x, late] {
      let values = PoolingKernels.maxPool(input, geometry: g, withIndices: false).values
      #expect(values[0].isNaN && values[1...] == [7, 13, 15])
    }
    // On a wide row (the 16-lane passes of ResNet's 3×3 stride-2 pooling), a NaN reaches
    // exactly the windows that hold it.
    let wide = PoolingGeometry(
      images: 1, channels: 1, inputHeight: 3, inputWidth: 80, kernelSize: 3, stride: 2, padding: 1)
    var row = (0..<240).map { Float($0 % 13) }
    row[80 + 41] = .nan  // middle row, column 41: windows of outputs 20 (39…41) and 21 (41…43)
    let pooled = PoolingKernels.maxPool(row, geometry: wide, withIndices: false).values
    let naive = PoolingKernels.naiveMaxPool(row, geometry: wide).values
    #expect(pooled.indices.filter { pooled[$0].isNaN } == [20, 21, 60, 61])
    #expect(zip(pooled, naive).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    // On a narrow row, at both ends: a NaN in the first or last column reaches only the edge
    // windows, and the padding (−∞) never wins.
    let narrow = PoolingGeometry(
      images: 1, channels: 1, inputHeight: 1, inputWidth: 9, kernelSize: 3, stride: 2, padding: 1)
    var ends = (0..<9).map { -Float($0) - 1 }  // −1 … −9: every window's maximum is negative
    #expect(
      PoolingKernels.maxPool(ends, geometry: narrow, withIndices: false).values == [
        -1, -2, -4, -6, -8,
      ])
    ends[0] = .nan
    ends[8] = .nan
    let edges = PoolingKernels.maxPool(ends, geometry: narrow, withIndices: false).values
    #expect(edges.indices.filter { edges[$0].isNaN } == [0, 4])
    #expect(edges[1...3] == [-2, -4, -6])
  }
}

@Suite("BatchNormKernels")
struct BatchNormKernelsTests {
  @Test("statistics equal the Double loop; the mean and biased variance of a known channel")
  func statistics() {
    // [rows, channels] = [[1,2],[3,4],[5,6],[7,8]]: channel 0 is 1,3,5,7 → mean 4, biased
    // variance (9+1+1+9)/4 = 5; channel 1 is 2,4,6,8 → mean 5, variance 5.
    let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
    let (mean, variance) = BatchNormKernels.statistics(x, rows: 4, channels: 2)
    #expect(mean == [4, 5])
    #expect(variance == [5, 5])
    // More rows than one block of the per-channel sums, and a channel count past 16 lanes.
    let random = convolutionTestValues(300 * 21, seed: 9).map { $0 * 3 + 1 }
    let fast = BatchNormKernels.statistics(random, rows: 300, channels: 21)
    let naive = BatchNormKernels.naiveStatistics(random, rows: 300, channels: 21)
    expectClose(fast.mean, naive.mean, absolute: 1e-6, relative: 1e-5)
    expectClose(fast.variance, naive.variance, absolute: 1e-6, relative: 1e-5)
    // A large offset with a small spread: the shifted one-pass sums must not cancel.
    let offset = convolutionTestValues(100 * 3, seed: 4).map { 1000 + $0 * 0.01 }
    let shifted = BatchNormKernels.statistics(offset, rows: 100, channels: 3)
    let reference = BatchNormKernels.naiveStatistics(offset, rows: 100, channels: 3)
    expectClose(shifted.mean, reference.mean, absolute: 0, relative: 1e-6)
    expectClose(shifted.variance, reference.variance, absolute: 1e-9, relative: 1e-2)
  }

  @Test("scale and shift per channel, with fused ReLU")
  func scaleShift() {
    // channel 0: ×2 + 0; channel 1: ×(−1) + 1, then ReLU.
    let y = BatchNormKernels.scaleShift(
      [1, 2, 3, 4, 5, 6, 7, 8], scale: [2, -1], shift: [0, 1], rows: 4, channels: 2, relu: true)
    #expect(y == [2, 0, 6, 0, 10, 0, 14, 0])
  }

  @Test("backward equals the per-channel formula evaluated in Double, training and evaluation")
  func backward() {
    let (rows, channels) = (260, 5)
    let x = convolutionTestValues(rows * channels, seed: 14).map { $0 * 2 + 3 }
    let g = convolutionTestValues(rows * channels, seed: 15)
    let (mean, variance) = BatchNormKernels.naiveStatistics(x, rows: rows, channels: channels)
    let invStd = variance.map { 1 / ($0 + 1e-5).squareRoot() }
    let gamma: [Float] = [1, -2, 0.5, 3, 1.5]
    for training in [true, false] {
      let fast = BatchNormKernels.backward(
        gradOutput: g, input: x, mean: mean, invStd: invStd, weight: gamma, rows: rows,
        channels: channels, training: training)
      for c in 0..<channels {
        let column = (0..<rows).map { $0 * channels + c }
        let dBeta = column.reduce(0.0) { $0 + Double(g[$1]) }
        let dGamma = column.reduce(0.0) {
          $0 + Double(g[$1]) * Double(x[$1] - mean[c]) * Double(invStd[c])
        }
        #expect(abs(Double(fast.bias[c]) - dBeta) < 1e-3)
        #expect(abs(Double(fast.weight[c]) - dGamma) < 1e-3)
        for index in column {
          let hat = Double(x[index] - mean[c]) * Double(invStd[c])
          let expected =
            Double(gamma[c]) * Double(invStd[c])
            * (Double(g[index])
              - (training ? dBeta / Double(rows) + hat * dGamma / Double(rows) : 0))
          #expect(abs(Double(fast.input[index]) - expected) < 1e-4 * (1 + abs(expected)))
        }
      }
    }
  }
}
