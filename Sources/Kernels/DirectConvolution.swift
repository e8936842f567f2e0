import CKernelSupport

/// A frozen convolution weight in the form the direct NHWC convolution reads (`direct_conv.h`):
/// in fp32 PyTorch's weight itself, shared (each thread packs the 64-channel blocks its tasks
/// need into its scratch, so freezing copies no weight); in bf16 rounded once into blocks of 64
/// output channels, each the taps in order, each the input channels with 64 outputs contiguous,
/// as bf16 bits or pairs, or into AMX tiles of 32 output channels (16 bits a weight). Made once
/// per frozen weight (`FrozenWeight`) on a CPU with AVX-512.
struct DirectConvolutionWeight: Sendable {
  let format: PackedFormat
  /// `[C_out, C, kH, kW]`: what the packing depends on.
  let outputChannels: Int
  let inputChannels: Int
  let kernelHeight: Int
  let kernelWidth: Int
  private let storage: Storage

  private enum Storage {
    case floats([Float])
    case halves([UInt16])
    case pairs([UInt32])
  }

  /// Whether this CPU runs the direct convolution in `precision` (AVX-512; AVX512-BF16 for bf16).
  static func isSupported(_ precision: Precision) -> Bool {
    precision == .bf16 ? classify_cpu_has_bf16() != 0 : classify_cpu_has_avx512() != 0
  }

  /// Whether this CPU runs `format` (AMX for `bf16AMX`).
  static func isSupported(format: PackedFormat) -> Bool {
    switch format {
    case .fp32, .fp32Swapped: isSupported(Precision.fp32)
    case .bf16Pairs, .bf16Values: isSupported(Precision.bf16)
    case .bf16AMX: classify_cpu_has_amx() != 0
    }
  }

  /// `weight` (`[C_out, C, kH, kW]`, PyTorch's layout) packed in `format` (by default the
  /// preferred one for `precision`).
  init(
    _ weight: [Float], outputChannels: Int, inputChannels: Int, kernelHeight: Int,
    kernelWidth: Int, precision: Precision, format: PackedFormat? = nil
  ) {
    self.format = format ?? .preferred(for: precision)
    self.outputChannels = outputChannels
    self.inputChannels = inputChannels
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    var shape = classify_conv_shape()
    shape.outputs = outputChannels
    shape.channels = inputChannels
    shape.kernel_height = kernelHeight
    shape.kernel_width = kernelWidth
    let count = Int(classify_conv_packed_count(&shape, self.format.rawValue))
    let formatCode = self.format.rawValue
    func packed<T>(_ zero: T) -> [T] {
      var result = [T](repeating: zero, count: count)
      weight.withUnsafeBufferPointer { source in
        result.withUnsafeMutableBytes { target in
          classify_conv_pack_weight(source.baseAddress, &shape, formatCode, target.baseAddress)
        }
      }
      return result
    }
    switch self.format {
    case .fp32, .fp32Swapped: storage = .floats(weight)
    case .bf16Values, .bf16AMX: storage = .halves(packed(UInt16(0)))
    case .bf16Pairs: storage = .pairs(packed(UInt32(0)))
    }
  }

  /// The weight back in PyTorch's layout `[C_out, C, kH, kW]`: in bf16 each value the exact fp32
  /// of its rounding (what the convolution multiplies by), in fp32 the weight itself (for
  /// `fp32Swapped` the forward weight it reads, not W̃).
  func expanded() -> [Float] {
    if case .floats(let values) = storage { return values }
    var shape = classify_conv_shape()
    shape.outputs = outputChannels
    shape.channels = inputChannels
    shape.kernel_height = kernelHeight
    shape.kernel_width = kernelWidth
    let count = outputChannels * inputChannels * kernelHeight * kernelWidth
    let formatCode = format.rawValue
    return [Float](unsafeUninitializedCapacity: count) { target, written in
      withPacked { packed in
        _ = classify_conv_unpack_weight(packed, &shape, formatCode, target.baseAddress)
      }
      written = count
    }
  }

  /// The bytes it holds beside the weight (none in fp32, which shares the weight's storage).
  var bytes: Int {
    switch storage {
    case .floats: 0
    case .halves(let values): values.count * 2
    case .pairs(let values): values.count * 4
    }
  }

  private func withPacked<R>(_ body: (UnsafeRawPointer?) -> R) -> R {
    switch storage {
    case .floats(let values): values.withUnsafeBytes { body($0.baseAddress) }
    case .halves(let values): values.withUnsafeBytes { body($0.baseAddress) }
    case .pairs(let values): values.withUnsafeBytes { body($0.baseAddress) }
    }
  }

  /// `output[N, Ho, Wo, C_out] = epilogue(conv(input[N, H, W, C]))` for `geometry` (whose
  /// channels and kernel are this weight's), on the compute pool's threads.
  func convolve(
    _ input: UnsafePointer<Float>, geometry g: ConvolutionGeometry,
    into output: UnsafeMutablePointer<Float>, epilogue: ConvolutionEpilogue = ConvolutionEpilogue()
  ) {
    precondition(
      g.outputChannels == outputChannels && g.inputChannels == inputChannels
        && g.kernelHeight == kernelHeight && g.kernelWidth == kernelWidth,
      "direct convolution: geometry \(g) does not match the packed weight")
    var shape = classify_conv_shape(
      images: g.batch, height: g.inputHeight, width: g.inputWidth, channels: g.inputChannels,
      outputs: g.outputChannels, output_height: g.outputHeight, output_width: g.outputWidth,
      kernel_height: g.kernelHeight, kernel_width: g.kernelWidth, stride_height: g.strideHeight,
      stride_width: g.strideWidth, padding_height: g.paddingHeight, padding_width: g.paddingWidth,
      dilation_height: g.dilationHeight, dilation_width: g.dilationWidth)
    let threads = ComputeThreads.count
    let scratch = Int(classify_conv_scratch_count(&shape, format.rawValue, threads))
    ScratchPool.shared.withBuffer(scratch) { buffer in
      withPacked { packed in
        epilogue.withC(outputChannels: g.outputChannels) { cEpilogue in
          classify_conv_nhwc(
            packed, format.rawValue, &shape, input, output, cEpilogue, buffer, threads)
        }
      }
    }
  }
}

/// What a frozen convolution applies to each output element as it stores it: `× scale[o]`,
/// `+ bias[o]`, `+ residual[p, o]` (laid out as the output, `[N·Ho·Wo, C_out]`), then `max(·, 0)`
/// when `relu`: a folded batch norm's scale, a bias and a bottleneck's shortcut sum and its ReLU
/// fused into the convolution's one write of the output.
struct ConvolutionEpilogue {
  var scale: [Float]? = nil
  var bias: [Float]? = nil
  var residual: UnsafePointer<Float>? = nil
  var relu = false

  /// The epilogue as the C kernel takes it, valid inside `body`; `residual` rows are
  /// `outputChannels` apart.
  func withC<R>(outputChannels: Int, _ body: (UnsafePointer<classify_epilogue>?) -> R) -> R {
    func call(_ scalePointer: UnsafePointer<Float>?, _ biasPointer: UnsafePointer<Float>?) -> R {
      var epilogue = classify_epilogue(
        scale: scalePointer, bias: biasPointer, residual: residual,
        residual_stride: outputChannels, relu: relu ? 1 : 0)
      return withUnsafePointer(to: &epilogue) { body($0) }
    }
    func withBias(_ scalePointer: UnsafePointer<Float>?) -> R {
      guard let bias else { return call(scalePointer, nil) }
      return bias.withUnsafeBufferPointer { call(scalePointer, $0.baseAddress) }
    }
    guard let scale else { return withBias(nil) }
    return scale.withUnsafeBufferPointer { withBias($0.baseAddress) }
  }
}
