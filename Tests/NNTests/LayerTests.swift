import TestSupport
import Testing

@testable import NN
@testable import TensorCore

@Suite("Layers")
struct LayerTests {
  @Test("Linear computes x·Wᵀ + b by hand and keeps PyTorch's keys")
  func linear() {
    let layer = Linear(weight: Tensor([[1, 2], [3, 4], [5, 6]]), bias: Tensor([0.5, -1, 0]))
    let y = layer(Tensor([[1, 1], [2, -1]]))
    // [1,1]: (3.5, 6, 11); [2,-1]: (0.5, 1, 4)
    #expect(y.shape == [2, 3])
    #expect(y.scalars == [3.5, 6, 11, 0.5, 1, 4])
    #expect(layer.namedParameters.map(\.0) == ["weight", "bias"])
  }

  @Test("Linear's default initialisation stays inside ±1/√in like nn.Linear")
  func linearInit() {
    var generator = SeededGenerator(seed: 3)
    let layer = Linear(inputFeatures: 16, outputFeatures: 8, generator: &generator)
    let bound: Float = 0.25
    #expect(layer.weight.value.scalars.allSatisfy { Swift.abs($0) <= bound })
    #expect(layer.bias!.value.scalars.allSatisfy { Swift.abs($0) <= bound })
    // Not degenerate: spread over most of the interval.
    #expect(
      (layer.weight.value.scalars.max() ?? 0) > 0.2
        && (layer.weight.value.scalars.min() ?? 0) < -0.2)
  }

  @Test("Sequential names children 0, 1, … and train/eval reach every layer")
  func sequential() {
    var generator = SeededGenerator(seed: 1)
    let model = Sequential(
      Linear(inputFeatures: 4, outputFeatures: 3, generator: &generator), ReLU(),
      Dropout(probability: 0.5),
      Linear(inputFeatures: 3, outputFeatures: 2, generator: &generator))
    #expect(model.namedParameters.map(\.0) == ["0.weight", "0.bias", "3.weight", "3.bias"])
    #expect(model.parameterCount == 4 * 3 + 3 + 3 * 2 + 2)
    model.eval()
    #expect(model.layers.allSatisfy { !$0.isTraining })
    model.train()
    #expect(model.layers.allSatisfy { $0.isTraining })
  }

  @Test("Dropout: identity in eval; in training zeros ≈p and scales survivors by 1/(1−p)")
  func dropout() {
    let layer = Dropout(probability: 0.25, seed: 9)
    let x = Tensor.ones([10_000])
    let y = layer(x).scalars
    let zeros = y.filter { $0 == 0 }.count
    #expect(Swift.abs(Double(zeros) / 10_000 - 0.25) < 0.02)
    #expect(y.allSatisfy { $0 == 0 || Swift.abs($0 - 4 / 3) < 1e-6 })
    layer.eval()
    #expect(layer(x) == x)
  }

  @Test("a frozen parameter gets no gradient; a trainable one does")
  func frozen() {
    let layer = Linear(weight: Tensor([[1, 2]]), bias: Tensor([0]))
    layer.weight.requiresGradient = false
    layer(Tensor([[3, 4]])).sum().backward()
    #expect(layer.weight.gradient == nil)
    #expect(layer.bias?.gradient?.scalars == [1])
  }
}

@Suite("Losses")
struct LossTests {
  @Test("cross-entropy by hand: −log softmax(z)[t], averaged")
  func crossEntropy() {
    // Row 1: z = (0, 0), t = 1 → log 2. Row 2: z = (2, 0, …) style: use (1, 2), t = 0 → log(1 + e).
    let logits = Tensor([[0, 0], [1, 2]]).requiringGradient()
    let loss = Loss.crossEntropy(logits: logits, labels: [1, 0])
    let expected = (0.693_147_180_559_945_3 + 1.313_261_687_518_222_8) / 2
    expectClose(Double(loss.item), expected, absolute: 1e-6)
    loss.backward()
    // ∂/∂z = (softmax − onehot)/N
    let s = 1 / (1 + 2.718_281_828_459_045)
    expectClose(logits.gradient!.scalars, [0.25, -0.25, (s - 1) / 2, (1 - s) / 2], absolute: 1e-6)
  }

  @Test("cross-entropy is finite for extreme logits")
  func stableCrossEntropy() {
    let loss = Loss.crossEntropy(logits: Tensor([[1000, -1000]]), labels: [1])
    #expect(loss.item == 2000)
  }

  @Test("MSE and binary cross-entropy by hand")
  func otherLosses() {
    #expect(
      Loss.meanSquaredError(Tensor([1, 2, 3]), Tensor([1, 0, 0])).item == Float(0 + 4 + 9) / 3)
    // z = 0 → log 2 for either target; z = 100, t = 0 → 100 (the naive formula would give inf).
    let bce = Loss.binaryCrossEntropy(logits: Tensor([0, 100]), targets: Tensor([1, 0]))
    expectClose(Double(bce.item), (0.693_147_18 + 100) / 2, absolute: 1e-5)
  }
}
