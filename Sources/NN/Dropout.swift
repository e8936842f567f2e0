import TensorCore

/// Inverted dropout (`nn.Dropout(p)`): in training, zeroes each element with probability `p`
/// and scales the survivors by `1/(1−p)` so the expected value is unchanged; in evaluation it
/// is the identity. The mask comes from the layer's own seeded generator, so runs repeat.
public final class Dropout: Layer {
  /// The probability of zeroing an element.
  public let probability: Float
  /// Whether dropout is active.
  public var isTraining = true
  private var generator: SeededGenerator

  /// Creates the layer; `probability` must be in `[0, 1)`.
  public init(probability: Float = 0.5, seed: UInt64 = 0) {
    precondition(probability >= 0 && probability < 1, "Dropout: probability must be in [0, 1)")
    self.probability = probability
    self.generator = SeededGenerator(seed: seed)
  }

  /// Restarts the mask stream from `seed`. Training loops reseed per batch from
  /// `(seed, epoch, batch)` so that a run resumed at any batch draws the same masks.
  public func reseed(_ seed: UInt64) { generator = SeededGenerator(seed: seed) }

  /// Applies the mask in training; the identity in evaluation.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    guard isTraining, probability > 0 else { return input }
    let scale = 1 / (1 - probability)
    var mask = [Float](repeating: 0, count: input.count)
    for index in mask.indices where generator.nextUnitFloat() >= probability { mask[index] = scale }
    return input * Tensor(shape: input.shape, scalars: mask)
  }
}
