import Foundation

/// A convolution weight that will not change (a folded, inference-only layer), together with the
/// forms kernels derive from it, each computed on first use and kept: an inference engine runs
/// the same convolution with the same weight many times, and deriving a form (the direct
/// convolution's packing of a 512×512×3×3 weight is 2.4 million scattered writes) costs more than
/// some of the convolutions that use it.
///
/// Keyed by the weight itself: it holds the weight's storage, and a kernel uses the derived forms
/// only when the weight it is handed *is* that storage (`holds(_:)`). Because this object keeps
/// the buffer alive and never writes to it, any change to the caller's copy goes to a new buffer
/// (copy-on-write), so a stale form can never be used.
///
/// `precision` is what the layer multiplies in: `.bf16` rounds the weight to bfloat16 once (see
/// `Precision`); it is `.fp32` wherever the CPU lacks bf16 instructions. On an AVX-512 CPU the
/// direct convolution reads `values` where they lie in fp32 (freezing costs no memory) and a
/// packed bf16 copy, half the weight's size, in bf16 (`DirectConvolutionWeight`); elsewhere BLAS
/// reads the weight itself, or its tap-major copy.
///
/// A *compact* frozen weight (`init(packing:…)`, bf16 where the direct convolution runs) keeps
/// only that packed copy: the fp32 weight is not kept at all, which is what lets a folded bf16
/// model take half the memory of its fp32 weights. Its `values` are then the exact fp32 of the
/// rounded weight, unpacked on each call.
///
/// `@unchecked Sendable`: the derived forms are only read and written under `lock`.
public final class FrozenWeight: @unchecked Sendable {
  /// The number of values, `C_out·C·kH·kW`.
  public let count: Int
  /// The precision the layer's GEMMs run in (`Precision.effective` of the one asked for).
  public let precision: Precision
  private let storage: Storage
  private let lock = NSLock()
  /// Its own lock: `values` is read while `lock` is held (a crop made from it).
  private let unpackLock = NSLock()
  private var unpacks = 0
  private var tapMajorForm: [Float]?
  private var direct: DirectConvolutionWeight?
  private var crops: [String: FrozenWeight] = [:]
  /// The scale buffer and the weight scaled by it.
  private var scaledForm: ([Float], FrozenWeight)?

  private enum Storage {
    /// The caller's weight, shared.
    case values([Float])
    /// Only the direct convolution's packed bf16 form.
    case packed(DirectConvolutionWeight)
  }

  /// Freezes `values` (shares their storage; no copy) for GEMMs in `precision` (fp32 where this
  /// CPU lacks bf16).
  public init(_ values: [Float], precision: Precision = .fp32) {
    count = values.count
    storage = .values(values)
    self.precision = precision.effective
  }

  /// Freezes the weight `values: [C_out, C, kH, kW]` compactly where it can: in bf16 on a CPU
  /// whose direct convolution runs bf16, it is rounded and packed now and only the packed form is
  /// kept (half the fp32 weight's bytes, and the fp32 weight can be released); elsewhere it is
  /// `init(values, precision:)`.
  public init(
    packing values: [Float], outputChannels: Int, inputChannels: Int, kernelHeight: Int,
    kernelWidth: Int, precision: Precision
  ) {
    count = values.count
    self.precision = precision.effective
    let shapeFits = outputChannels * inputChannels * kernelHeight * kernelWidth == values.count
    if shapeFits, self.precision == .bf16, DirectConvolutionWeight.isSupported(.bf16) {
      storage = .packed(
        DirectConvolutionWeight(
          values, outputChannels: outputChannels, inputChannels: inputChannels,
          kernelHeight: kernelHeight, kernelWidth: kernelWidth, precision: .bf16))
    } else {
      storage = .values(values)
    }
  }

  /// The weight, `[C_out, C, kH, kW]`: the caller's values, or for a compact weight the exact
  /// fp32 of its bf16 rounding (unpacked on each call: for a fallback, not a loop).
  public var values: [Float] {
    switch storage {
    case .values(let values): return values
    case .packed(let packed):
      unpackLock.lock()
      unpacks += 1
      unpackLock.unlock()
      return packed.expanded()
    }
  }

  /// How many times a compact weight's `values` were unpacked: a crop's first use does it once,
  /// a forward never should (each unpack is the whole weight).
  public var unpackCount: Int {
    unpackLock.lock()
    defer { unpackLock.unlock() }
    return unpacks
  }

  /// Whether only the packed bf16 form is kept (`init(packing:…)` where the CPU allowed it).
  public var isCompact: Bool {
    if case .packed = storage { return true }
    return false
  }

  /// Whether `weight` is this frozen weight's own storage (same buffer, same count); never for a
  /// compact weight, which holds no caller's storage.
  func holds(_ weight: [Float]) -> Bool {
    guard case .values(let values) = storage else { return false }
    return weight.count == values.count
      && StorageIdentity.address(of: weight) == StorageIdentity.address(of: values)
  }

  private func cached<T>(_ slot: ReferenceWritableKeyPath<FrozenWeight, T?>, _ make: () -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    if let value = self[keyPath: slot] { return value }
    let made = make()
    self[keyPath: slot] = made
    return made
  }

  /// The weight in tap-major order `[C_out, kH, kW, C]` (BLAS's im2col order), made with `make`
  /// the first time.
  func tapMajor(_ make: () -> [Float]) -> [Float] { cached(\.tapMajorForm, make) }

  /// The weight packed for the direct convolution in `precision`, packed the first time; nil
  /// where this CPU lacks AVX-512 (the convolution then uses BLAS) or `geometry` is not this
  /// weight's shape (`values` is its `[C_out, C, kH, kW]` weight).
  func directWeight(for geometry: ConvolutionGeometry) -> DirectConvolutionWeight? {
    guard geometry.weightCount == count else { return nil }
    switch storage {
    case .packed(let packed):
      let fits =
        packed.outputChannels == geometry.outputChannels
        && packed.inputChannels == geometry.inputChannels
        && packed.kernelHeight == geometry.kernelHeight
        && packed.kernelWidth == geometry.kernelWidth
      return fits ? packed : nil
    case .values(let values):
      guard DirectConvolutionWeight.isSupported(precision) else { return nil }
      return cached(\.direct) {
        DirectConvolutionWeight(
          values, outputChannels: geometry.outputChannels,
          inputChannels: geometry.inputChannels, kernelHeight: geometry.kernelHeight,
          kernelWidth: geometry.kernelWidth, precision: precision)
      }
    }
  }

  /// The frozen sub-kernel of this weight's taps in `rows` × `columns` (taps that only ever read
  /// padding cut off), `[C_out, C, rows.count, columns.count]` made with `make` the first time,
  /// with this weight's precision; compact where this weight is.
  func cropped(
    outputChannels: Int, inputChannels: Int, rows: Range<Int>, columns: Range<Int>,
    _ make: () -> [Float]
  ) -> FrozenWeight {
    lock.lock()
    defer { lock.unlock() }
    let key = "\(rows)×\(columns)"
    if let crop = crops[key] { return crop }
    let crop =
      isCompact
      ? FrozenWeight(
        packing: make(), outputChannels: outputChannels, inputChannels: inputChannels,
        kernelHeight: rows.count, kernelWidth: columns.count, precision: precision)
      : FrozenWeight(make(), precision: precision)
    crops[key] = crop
    return crop
  }

  /// This weight scaled per output channel by `scale` (made with `make` the first time, and
  /// again whenever a different scale buffer is asked for), for the kernels that have no
  /// epilogue to scale in.
  func scaled(by scale: [Float], _ make: () -> [Float]) -> FrozenWeight {
    lock.lock()
    defer { lock.unlock() }
    // Keyed by the scale's storage, which the entry keeps alive (so its address is never reused).
    if let (kept, weight) = scaledForm, kept.count == scale.count,
      StorageIdentity.address(of: kept) == StorageIdentity.address(of: scale)
    {
      return weight
    }
    let weight = FrozenWeight(make(), precision: precision)
    scaledForm = (scale, weight)
    return weight
  }

  /// Whether the direct convolution's packed form has been derived (for tests).
  var hasDirectWeight: Bool {
    lock.lock()
    defer { lock.unlock() }
    return direct != nil || isCompact
  }

  /// The bytes of the derived forms it holds beside `values` (for tests and the benchmarks); a
  /// compact weight's packed form counts here.
  var derivedBytes: Int {
    lock.lock()
    defer { lock.unlock() }
    var bytes = (direct?.bytes ?? 0) + (tapMajorForm?.count ?? 0) * 4
    if case .packed(let packed) = storage { bytes += packed.bytes }
    return bytes
  }
}
