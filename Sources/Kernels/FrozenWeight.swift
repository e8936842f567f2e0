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
/// `@unchecked Sendable`: the derived forms are only read and written under `lock`.
public final class FrozenWeight: @unchecked Sendable {
  /// The weight, `[C_out, C, kH, kW]`.
  public let values: [Float]
  /// The precision the layer's GEMMs run in (`Precision.effective` of the one asked for).
  public let precision: Precision
  private let lock = NSLock()
  private var tapMajorForm: [Float]?
  private var direct: DirectConvolutionWeight?
  private var crops: [String: FrozenWeight] = [:]
  /// The scale buffer and the weight scaled by it.
  private var scaledForm: ([Float], FrozenWeight)?

  /// Freezes `values` (shares their storage; no copy) for GEMMs in `precision` (fp32 where this
  /// CPU lacks bf16).
  public init(_ values: [Float], precision: Precision = .fp32) {
    self.values = values
    self.precision = precision.effective
  }

  /// Whether `weight` is this frozen weight's own storage (same buffer, same count).
  func holds(_ weight: [Float]) -> Bool {
    weight.count == values.count
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
  /// where this CPU lacks AVX-512 (the convolution then uses BLAS). `geometry` gives the shape
  /// (`values` is its `[C_out, C, kH, kW]` weight).
  func directWeight(for geometry: ConvolutionGeometry) -> DirectConvolutionWeight? {
    guard geometry.weightCount == values.count, DirectConvolutionWeight.isSupported(precision)
    else { return nil }
    return cached(\.direct) {
      DirectConvolutionWeight(
        values, outputChannels: geometry.outputChannels, inputChannels: geometry.inputChannels,
        kernelHeight: geometry.kernelHeight, kernelWidth: geometry.kernelWidth,
        precision: precision)
    }
  }

  /// The frozen sub-kernel `crop` of this weight (taps that only ever read padding cut off), made
  /// with `make` the first time, with this weight's precision.
  func cropped(_ key: String, _ make: () -> [Float]) -> FrozenWeight {
    lock.lock()
    defer { lock.unlock() }
    if let crop = crops[key] { return crop }
    let crop = FrozenWeight(make(), precision: precision)
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
    return direct != nil
  }

  /// The bytes of the derived forms it holds beside `values` (for tests and the benchmarks).
  var derivedBytes: Int {
    lock.lock()
    defer { lock.unlock() }
    return (direct?.bytes ?? 0) + (tapMajorForm?.count ?? 0) * 4
  }
}
