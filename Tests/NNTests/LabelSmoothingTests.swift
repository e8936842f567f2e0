import Checkpoints
import Foundation
import TestSupport
import Testing

@testable import NN
@testable import TensorCore

/// The tensors written by `scripts/fixtures/make_loss_fixtures.py` (PyTorch).
private func lossReference() throws -> SafetensorsFile {
  let url = try #require(Bundle.module.resourceURL)
    .appendingPathComponent("Fixtures").appendingPathComponent("loss_reference.safetensors")
  return try SafetensorsFile.read(from: url)
}

@Suite("Label smoothing and class weights against PyTorch")
struct LabelSmoothingTests {
  @Test(
    "crossEntropy(labelSmoothing:) equals F.cross_entropy(label_smoothing=ε), loss and gradient",
    arguments: ["0.1", "0.3"])
  func matchesPyTorch(epsilon: String) throws {
    let file = try lossReference()
    let x = try file.tensor(named: "x").requiringGradient()
    let labels = try file.tensor(named: "labels").scalars.map { Int($0) }
    let loss = Loss.crossEntropy(
      logits: x, labels: labels, labelSmoothing: try #require(Float(epsilon)))
    expectClose(
      [loss.item], try file.tensor(named: "smooth\(epsilon).loss").scalars, absolute: 1e-6,
      relative: 1e-5)
    loss.backward()
    expectClose(
      try #require(x.gradient).scalars, try file.tensor(named: "smooth\(epsilon).grad").scalars,
      absolute: 1e-6, relative: 1e-5)
  }

  @Test(
    "class weights equal F.cross_entropy(weight=w), alone and with label smoothing",
    arguments: ["0.0", "0.2"])
  func weighted(epsilon: String) throws {
    let file = try lossReference()
    let x = try file.tensor(named: "x").requiringGradient()
    let labels = try file.tensor(named: "labels").scalars.map { Int($0) }
    let loss = Loss.crossEntropy(
      logits: x, labels: labels, labelSmoothing: try #require(Float(epsilon)),
      classWeights: try file.tensor(named: "weights").scalars)
    expectClose(
      [loss.item], try file.tensor(named: "weighted\(epsilon).loss").scalars, absolute: 1e-6,
      relative: 1e-5)
    loss.backward()
    expectClose(
      try #require(x.gradient).scalars, try file.tensor(named: "weighted\(epsilon).grad").scalars,
      absolute: 1e-6, relative: 1e-5)
  }

  @Test("ε = 0 is plain cross-entropy; ε = 1 is the mean of −log p over the classes, by hand")
  func limits() {
    let x = Tensor(shape: [1, 3], scalars: [1, 2, 3])
    let logSum = Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0))
    // −log p = logSum − z: plain picks label 0, ε = 1 averages all three.
    expectClose(
      [Loss.crossEntropy(logits: x, labels: [0], labelSmoothing: 0).item], [Float(logSum - 1)],
      absolute: 1e-6, relative: 1e-6)
    expectClose(
      [Loss.crossEntropy(logits: x, labels: [0], labelSmoothing: 1).item], [Float(logSum - 2)],
      absolute: 1e-6, relative: 1e-6)
  }
}
