import Foundation

/// A convolution weight that will not change (a folded, inference-only layer), together with the
/// forms kernels derive from it, each computed on first use and kept: an inference engine runs
/// the same convolution with the same weight many times, and deriving a form (the Winograd
/// transform of a 256×256×3×3 weight is a million scattered writes) costs more than some of the
/// convolutions that use it.
///
/// Keyed by the weight itself: it holds the weight's storage, and a kernel uses the derived forms
/// only when the weight it is handed *is* that storage (`holds(_:)`). Because this object keeps
/// the buffer alive and never writes to it, any change to the caller's copy goes to a new buffer
/// (copy-on-write), so a stale form can never be used.
///
/// `@unchecked Sendable`: the derived forms are only read and written under `lock`.
public final class FrozenWeight: @unchecked Sendable {
  /// The weight, `[C_out, C, kH, kW]`.
  public let values: [Float]
  private let lock = NSLock()
  private var winogradFilters: [Float]?

  /// Freezes `values` (shares their storage; no copy).
  public init(_ values: [Float]) { self.values = values }

  /// Whether `weight` is this frozen weight's own storage (same buffer, same count).
  func holds(_ weight: [Float]) -> Bool {
    weight.count == values.count
      && StorageIdentity.address(of: weight) == StorageIdentity.address(of: values)
  }

  /// The Winograd filters, computed with `make` the first time.
  func winograd(_ make: () -> [Float]) -> [Float] {
    lock.lock()
    defer { lock.unlock() }
    if let winogradFilters { return winogradFilters }
    let made = make()
    winogradFilters = made
    return made
  }

  /// Whether the Winograd form has been derived (for tests).
  var hasWinogradFilters: Bool {
    lock.lock()
    defer { lock.unlock() }
    return winogradFilters != nil
  }
}
