import Foundation

/// The Winograd-transformed filters of one frozen convolution, computed on first use and kept:
/// an inference engine calls the same convolution with the same weights many times (and, with
/// split passes, several times per forward), and the transform of a 256×256×3×3 weight is 1 M
/// scattered writes. Holds nothing until Winograd is actually used for the convolution.
///
/// `@unchecked Sendable`: `filters` is only read and written under `lock`.
public final class WinogradFilterCache: @unchecked Sendable {
  private let lock = NSLock()
  private var filters: [Float]?

  /// An empty cache.
  public init() {}

  /// The cached transform, computing it with `make` the first time.
  func filters(_ make: () -> [Float]) -> [Float] {
    lock.lock()
    defer { lock.unlock() }
    if let filters { return filters }
    let made = make()
    filters = made
    return made
  }
}
