import CKernelSupport

/// The number format a frozen (folded, inference-only) layer multiplies in.
///
/// `fp32` is exact single precision. `bf16` rounds the weights to bfloat16 once, when the layer
/// is folded, and each GEMM's activations as they are packed; the bf16 products are summed in
/// fp32, by AVX512-BF16 `vdpbf16ps` (twice an FMA's multiply-adds per instruction) or, on CPUs
/// where that instruction is slower than FMA, by FMA on the rounded values (`PackedFormat`).
/// Features then differ from fp32 by about 1 % relative, as PyTorch's own bf16 autocast does.
/// Training is always fp32.
public enum Precision: String, Sendable, CaseIterable, Codable {
  case fp32, bf16

  /// Whether this CPU runs the precision's kernels: fp32 always; bf16 where the CPU has
  /// AVX512-BF16 and the operating system saves the AVX-512 registers (never an illegal
  /// instruction: other CPUs get `false`).
  public var isSupported: Bool {
    switch self {
    case .fp32: true
    case .bf16: classify_cpu_has_bf16() != 0
    }
  }

  /// `self` where this CPU supports it, else fp32: what a layer folded for `self` runs in.
  public var effective: Precision { isSupported ? self : .fp32 }

  /// Whether bf16 runs faster than fp32 on this CPU: where its `vdpbf16ps` does more
  /// multiply-adds per second than its FMA (AMD Zen 4: twice). Elsewhere (Intel Sapphire and
  /// Emerald Rapids without AMX: 0.55×) a supported bf16 runs as bf16-rounded values through the
  /// fp32 FMA kernel: bf16's results, half its weights' memory, fp32's speed.
  public static var bf16IsFasterThanFP32: Bool {
    Precision.bf16.isSupported && PackedFormat.preferred(for: .bf16) == .bf16Pairs
  }
}

/// bfloat16 rounding, as PyTorch's `.to(torch.bfloat16)` (the tests' reference).
public enum BFloat16 {
  /// The bf16 bits of each value: round-to-nearest-even; NaN becomes 0xFFFF (a NaN, as ATen's
  /// vector conversion writes it); infinities and subnormals are kept.
  public static func bits(_ values: [Float]) -> [UInt16] {
    var result = [UInt16](repeating: 0, count: values.count)
    values.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        classify_round_bf16(source.baseAddress, target.baseAddress, values.count)
      }
    }
    return result
  }

  /// Each value rounded to the nearest bf16, as a Float.
  public static func rounded(_ values: [Float]) -> [Float] {
    bits(values).map { Float(bitPattern: UInt32($0) << 16) }
  }
}

/// How a packed GEMM stores and multiplies its inputs (`packed_gemm.h`): fp32 with FMA on the
/// weight's own rows, or rounded to bf16, stored as pairs (16 bits a weight), and then either
/// multiplied by
/// AVX512-BF16's `vdpbf16ps` or expanded to fp32 values block by block for FMA. Both bf16 forms
/// give bf16 × bf16 products exactly and sum them in fp32: they differ only in the order of the
/// sums, and in speed, which depends on the CPU.
enum PackedFormat: Int32, Sendable {
  case bf16Pairs = 1
  case bf16Values = 2
  case fp32Rows = 3

  /// The form a GEMM in `precision` takes on this CPU: for bf16, whichever this CPU multiplies
  /// faster, measured once per process (`classify_bf16_format`).
  static func preferred(for precision: Precision) -> PackedFormat {
    precision == .fp32 ? .fp32Rows : PackedFormat(rawValue: classify_bf16_format()) ?? .fp32Rows
  }
}

/// A frozen GEMM weight `A` (`m × k`, row-major) in the form our AVX-512 GEMM reads, as fp32 or
/// rounded to bf16 (`precision`), in the form this CPU multiplies fastest (`format`): bf16 pairs
/// packed into panels, or, in fp32, `A` itself (the caller's very storage, so a frozen fp32 weight
/// costs no second copy).
struct PackedMatrix: Sendable {
  let rows: Int
  let depth: Int
  let precision: Precision
  let format: PackedFormat
  /// What the GEMM reads: the packed words, or `A`'s rows (`fp32Rows`).
  private let storage: Storage

  private enum Storage {
    case packed([UInt32])
    case rows([Float])
  }

  /// Whether this CPU runs the packed GEMM in `precision` (AVX-512; AVX512-BF16 for bf16).
  static func isSupported(_ precision: Precision) -> Bool {
    precision == .bf16 ? classify_cpu_has_bf16() != 0 : classify_cpu_has_avx512() != 0
  }

  /// `a` in `format` (by default the preferred one for `precision`): shared as it is for fp32
  /// rows, packed otherwise.
  init(_ a: [Float], rows: Int, depth: Int, precision: Precision, format: PackedFormat? = nil) {
    self.rows = rows
    self.depth = depth
    self.precision = precision
    let format = format ?? .preferred(for: precision)
    self.format = format
    switch format {
    case .fp32Rows:
      storage = .rows(a)
    case .bf16Pairs, .bf16Values:
      var words = [UInt32](repeating: 0, count: classify_packed_count(rows, depth))
      a.withUnsafeBufferPointer { source in
        words.withUnsafeMutableBufferPointer { target in
          classify_pack_a(source.baseAddress, rows, depth, depth, target.baseAddress)
        }
      }
      storage = .packed(words)
    }
  }

  /// Whether the GEMM reads `a`'s own storage (the fp32 row form), i.e. holds no copy of it.
  func sharesStorage(with a: [Float]) -> Bool {
    guard case .rows(let values) = storage else { return false }
    return values.count == a.count
      && StorageIdentity.address(of: values) == StorageIdentity.address(of: a)
  }

  /// The bytes of its own it holds beside `A`: none in the fp32 row form; in both bf16 forms 2
  /// per weight (its bf16 bits, in pairs), rows padded to panels of 12 and k to even.
  var copiedBytes: Int {
    guard case .packed(let words) = storage else { return 0 }
    return words.count * MemoryLayout<UInt32>.size
  }

  /// Calls `body` with the words the C GEMM takes as its `A`.
  private func withA<R>(_ body: (UnsafePointer<UInt32>?) -> R) -> R {
    switch storage {
    case .packed(let words):
      return words.withUnsafeBufferPointer { body($0.baseAddress) }
    case .rows(let values):
      return values.withUnsafeBufferPointer { floats in
        floats.withMemoryRebound(to: UInt32.self) { body($0.baseAddress) }
      }
    }
  }

  /// `c[m × n] (row stride ldc) = epilogue(A · b[k × n] (row stride ldb))`, in `precision` with
  /// fp32 sums, on the compute pool's threads. Only where `isSupported(precision)`.
  func multiply(
    _ b: UnsafePointer<Float>, ldb: Int, columns: Int, into c: UnsafeMutablePointer<Float>,
    ldc: Int, epilogue: GEMMEpilogue = GEMMEpilogue()
  ) {
    withA { packed in
      epilogue.withC { cEpilogue in
        classify_packed_gemm(
          packed, format.rawValue, rows, depth, b, ldb, columns, c, ldc, cEpilogue,
          ComputeThreads.count)
      }
    }
  }

  /// `output[C_out, N·Ho·Wo] = epilogue(A · im2col(input))` for the convolution `geometry`,
  /// packing B straight from the channel-major input (no im2col matrix is written). Only where
  /// `isSupported(precision)`, and for inputs of fewer than 2^31 elements (the gather's indices).
  func multiplyConvolution(
    _ input: UnsafePointer<Float>, geometry g: ConvolutionGeometry,
    into output: UnsafeMutablePointer<Float>, epilogue: GEMMEpilogue = GEMMEpilogue()
  ) {
    var source = classify_conv_input(
      input: input, images: g.batch, height: g.inputHeight, width: g.inputWidth,
      output_height: g.outputHeight, output_width: g.outputWidth,
      kernel_height: g.kernelHeight, kernel_width: g.kernelWidth,
      stride_height: g.strideHeight, stride_width: g.strideWidth,
      dilation_height: g.dilationHeight, dilation_width: g.dilationWidth,
      padding_height: g.paddingHeight, padding_width: g.paddingWidth)
    withA { packed in
      epilogue.withC { cEpilogue in
        classify_packed_gemm_conv(
          packed, format.rawValue, rows, depth, &source, output,
          g.batch * g.outputHeight * g.outputWidth, cEpilogue, ComputeThreads.count)
      }
    }
  }
}

/// What a GEMM applies to each output element as it stores it: `× scale[row]`, `+ bias[row]`,
/// `+ residual[row, column]` (a matrix laid out as the output, row stride `residualStride`), then
/// `max(·, 0)` when `relu`: a folded batch norm's scale, a convolution's bias, a bottleneck's
/// shortcut sum and its ReLU fused into the GEMM's one write of the output.
struct GEMMEpilogue {
  var scale: [Float]? = nil
  var bias: [Float]? = nil
  var residual: UnsafePointer<Float>? = nil
  var residualStride = 0
  var relu = false

  /// Whether it does anything.
  var isEmpty: Bool { scale == nil && bias == nil && residual == nil && !relu }

  /// The epilogue as the C GEMM takes it (nil when empty), valid inside `body`.
  func withC<R>(_ body: (UnsafePointer<classify_epilogue>?) -> R) -> R {
    if isEmpty { return body(nil) }
    func call(_ scalePointer: UnsafePointer<Float>?, _ biasPointer: UnsafePointer<Float>?) -> R {
      var epilogue = classify_epilogue(
        scale: scalePointer, bias: biasPointer, residual: residual,
        residual_stride: residualStride, relu: relu ? 1 : 0)
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
