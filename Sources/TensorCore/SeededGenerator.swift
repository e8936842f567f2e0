import Foundation

/// A small, fast, seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random choice in classify (initialisation, shuffling, dropout, augmentation) draws from
/// an explicit generator, so the same seed reproduces a run exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: (UInt64, UInt64, UInt64, UInt64)

  /// A generator whose whole sequence is determined by `seed`.
  public init(seed: UInt64) {
    var mixer = seed
    func splitMix() -> UInt64 {
      mixer &+= 0x9E37_79B9_7F4A_7C15
      var z = mixer
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = (state.3 << 45) | (state.3 >> 19)
    return result
  }

  /// A 64-bit hash of `values` (SplitMix64's finalizer, chained): independent seeds derived from
  /// `(seed, epoch, batch, …)`, so any step of a run can be replayed without replaying the ones
  /// before it.
  public static func mix(_ values: UInt64...) -> UInt64 {
    var hash: UInt64 = 0x243F_6A88_85A3_08D3
    for value in values {
      var z = hash ^ (value &+ 0x9E37_79B9_7F4A_7C15)
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      hash = z ^ (z >> 31)
    }
    return hash
  }

  /// A uniform `Float` in `[0, 1)` with 24 random bits.
  public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// A standard normal sample (Box–Muller, computed in Double).
  public mutating func nextNormal() -> Float {
    let u1 = max(Double(next() >> 11) * 0x1p-53, Double.leastNonzeroMagnitude)
    let u2 = Double(next() >> 11) * 0x1p-53
    return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
  }
}

extension Tensor {
  /// Samples from `N(mean, standardDeviation²)`.
  public static func randomNormal(
    _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
    using generator: inout SeededGenerator
  ) -> Tensor {
    let count = shape.reduce(1, *)
    var values = [Float](repeating: 0, count: count)
    for index in 0..<count { values[index] = mean + standardDeviation * generator.nextNormal() }
    return Tensor(shape: shape, scalars: values)
  }

  /// Samples uniformly from `[lower, upper)`.
  public static func randomUniform(
    _ shape: [Int], lower: Float = 0, upper: Float = 1, using generator: inout SeededGenerator
  ) -> Tensor {
    let count = shape.reduce(1, *)
    var values = [Float](repeating: 0, count: count)
    for index in 0..<count { values[index] = lower + (upper - lower) * generator.nextUnitFloat() }
    return Tensor(shape: shape, scalars: values)
  }
}
