import TensorCore

/// A deterministic train/validation partition of `0..<count`, carved from a training set with a
/// seed: the same count, fraction and seed always give the same indices, on every platform.
///
/// The permutation is `SeededGenerator.permutation` (the one Fisher–Yates shuffle of the
/// project, rather than `shuffled(using:)`, whose algorithm the standard library does not
/// promise to keep); the first `validationCount` shuffled indices form the validation set, and
/// both parts are returned in ascending order. `algorithm` names this rule in cache keys: a
/// feature cache made with another rule's indices is never reused.
public struct ValidationSplit: Sendable, Equatable {
  /// The version of the splitting rule (2: the shared shuffle with unbiased draws; 1 drew
  /// `next() % (i + 1)`).
  public static let algorithm = 2

  /// Indices kept for training, ascending.
  public let train: [Int]
  /// Indices held out for validation, ascending.
  public let validation: [Int]

  /// Holds out `round(fraction × count)` samples (default 10 %), at least one when `count > 1`
  /// and `fraction > 0`.
  ///
  /// - Precondition: `0 ≤ fraction < 1` (the command line validates the option).
  public init(count: Int, fraction: Double = 0.1, seed: UInt64 = 0) {
    precondition(
      fraction >= 0 && fraction < 1, "ValidationSplit: fraction \(fraction) not in [0, 1)")
    var held = Int((Double(count) * fraction).rounded())
    if fraction > 0 && count > 1 { held = max(held, 1) }
    held = min(held, max(count - 1, 0))
    var generator = SeededGenerator(seed: seed)
    let order = generator.permutation(count)
    validation = order.prefix(held).sorted()
    train = order.dropFirst(held).sorted()
  }

  /// A partition given by its parts (e.g. a split of a subset, mapped back to the full set).
  public init(train: [Int], validation: [Int]) {
    self.train = train
    self.validation = validation
  }
}
