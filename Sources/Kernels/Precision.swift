import CKernelSupport

/// The number format a frozen (folded, inference-only) layer multiplies in.
///
/// `fp32` is exact single precision. `bf16` rounds the weights to bfloat16 once, when the layer
/// is folded; the products are summed in fp32: by Intel AMX tile multiplies on bf16 weights and
/// activations where the CPU has AMX, else by AVX512-BF16 `vdpbf16ps` on bf16 pairs (twice an
/// FMA's multiply-adds per instruction) or, on CPUs where that instruction is slower than FMA, by
/// FMA of the rounded weights with fp32 activations (`PackedFormat`).
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

  /// Whether bf16 runs faster than fp32 on this CPU: where it has AMX (Intel Sapphire Rapids
  /// and later, with Linux granting the tile state), or where its `vdpbf16ps` does more
  /// multiply-adds per second than its FMA (AMD Zen 4: twice). Elsewhere (Intel CPUs without AMX:
  /// 0.55×) a supported bf16 runs its bf16-rounded weights through the fp32 FMA kernel with fp32
  /// activations: half its weights' memory, fp32's speed.
  public static var bf16IsFasterThanFP32: Bool {
    Precision.bf16.isSupported && PackedFormat.preferred(for: .bf16).roundsActivations
  }

  /// The form bf16 takes on this CPU, as feature cache keys name it: `amx`, `pairs-rows` (both
  /// round the activations too, and sum in different orders) or `values` (fp32 activations).
  /// `pairs-rows` pairs a kernel row's values, not each tap's channels (session 16): for an odd
  /// channel count (the stem) the sums differ from the former `pairs`, so its caches are not
  /// reused.
  public static var bf16FormName: String {
    switch PackedFormat.preferred(for: .bf16) {
    case .bf16AMX: "amx"
    case .bf16Pairs: "pairs-rows"
    case .bf16Values, .fp32, .fp32Swapped: "values"
    }
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

/// How a frozen convolution stores and multiplies its weight (`direct_conv.h`): fp32 with FMA, or
/// rounded to bf16 (16 bits a weight) and then multiplied by AMX tiles or as pairs of input
/// channels by AVX512-BF16's `vdpbf16ps` (in both, the activations rounded to bf16 as they are
/// read), or expanded to fp32 block by block for FMA. The bf16 forms use the same rounded weights
/// and sum in fp32.
enum PackedFormat: Int32, Sendable {
  case bf16Pairs = 1
  case bf16Values = 2
  case fp32 = 3
  case bf16AMX = 4
  /// fp32, the weight read swapped (see `CLASSIFY_FORMAT_FP32_SWAPPED`): a stride-1 training
  /// backward's ∂x without a transposed copy of the weight, and ∂W reading the im2col in place.
  case fp32Swapped = 5

  /// Whether the activations are rounded to bf16 too (as PyTorch's autocast does), not only the
  /// weights.
  var roundsActivations: Bool { self == .bf16Pairs || self == .bf16AMX }

  /// The form a convolution in `precision` takes on this CPU: for bf16, whichever this CPU
  /// multiplies faster, measured once per process (`classify_bf16_format`).
  static func preferred(for precision: Precision) -> PackedFormat {
    precision == .fp32 ? .fp32 : PackedFormat(rawValue: classify_bf16_format()) ?? .fp32
  }
}
