import Testing

@testable import NN
@testable import TensorCore

@Suite("Tape release")
struct TapeReleaseTests {
  @Test(
    "an SGD step right after backward updates every weight in place, with the loss and logits alive"
  )
  func stepAfterBackwardDoesNotCopy() {
    var generator = SeededGenerator(seed: 4)
    let model = Sequential([
      Linear(inputFeatures: 5, outputFeatures: 4, generator: &generator), ReLU(),
      Linear(inputFeatures: 4, outputFeatures: 3, generator: &generator),
    ])
    let input = Tensor.randomNormal([6, 5], using: &generator)
    let optimizer = SGD(model.parameters, learningRate: 0.1, momentum: 0.9)
    let logits = model(input)
    let loss = Loss.crossEntropy(logits: logits, labels: [0, 1, 2, 0, 1, 2])
    loss.backward()
    let before = model.parameters.map { $0.leaf.storageAddress }
    // Copies into fresh arrays: keeping the parameters' own arrays would share their storage.
    let values = model.parameters.map { $0.value.scalars.map { $0 } }
    optimizer.step()
    // The step changed every value (so it really wrote), and wrote where the values were: a
    // tape still holding the weights would have made it copy each of them first.
    #expect(zip(model.parameters, values).allSatisfy { $0.value.scalars != $1 })
    #expect(model.parameters.map { $0.leaf.storageAddress } == before)
    withExtendedLifetime((logits, loss)) {}
  }
}
