import Foundation

/// A convolution weight that will not change (a folded, inference-only layer), together with the
/// forms kernels derive from it, each computed on first use and kept: an inference engine runs
/// the same convolution with the same weight many times, and deriving a form (the Winograd
/// transform of a 256×256×3×3 weight is a million scattered writes; the bf16 packing of any
/// weight one pass over it) costs more than some of the convolutions that use it.
///
/// Keyed by the weight itself: it holds the weight's storage, and a kernel uses the derived forms
/// only when the weight it is handed *is* that storage (`holds(_:)`). Because this object keeps
/// the buffer alive and never writes to it, any change to the caller's copy goes to a new buffer
/// (copy-on-write), so a stale form can never be used.
///
/// `precision` is what the layer multiplies in: `.bf16` rounds the weight to bfloat16 once (see
/// `Precision`); it is `.fp32` wherever the CPU lacks bf16 instructions. In fp32 on an AVX-512
/// CPU the GEMM reads `values` where they lie: no form is derived, so freezing costs no memory.
///
/// `@unchecked Sendable`: the derived forms are only read and written under `lock`.
public final class FrozenWeight: @unchecked Sendable {
  /// The weight, `[C_out, C, kH, kW]`.
  public let values: [Float]
  /// The precision the layer's GEMMs run in (`Precision.effective` of the one asked for).
  public let precision: Precision
  private let lock = NSLock()
  private var winogradFilters: [Float]?
  private var packed: PackedMatrix?
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

  /// The Winograd filters, computed with `make` the first time.
  func winograd(_ make: () -> [Float]) -> [Float] { cached(\.winogradFilters, make) }

  /// The weight as our packed GEMM's `A` (`[C_out, C·kH·kW]`) in `precision`, packed the first
  /// time; nil where this CPU lacks AVX-512 (the convolution then uses BLAS).
  func packedMatrix(rows: Int) -> PackedMatrix? {
    guard rows > 0, PackedMatrix.isSupported(precision) else { return nil }
    return cached(\.packed) {
      PackedMatrix(values, rows: rows, depth: values.count / rows, precision: precision)
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

  /// Whether the packed GEMM form has been derived (for tests).
  var hasPackedMatrix: Bool {
    lock.lock()
    defer { lock.unlock() }
    return packed != nil
  }

  /// Whether the Winograd form has been derived (for tests).
  var hasWinogradFilters: Bool {
    lock.lock()
    defer { lock.unlock() }
    return winogradFilters != nil
  }
}
