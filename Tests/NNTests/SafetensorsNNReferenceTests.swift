import Checkpoints
import Foundation
import TestSupport
import Testing

@testable import NN
@testable import TensorCore

/// Linear + cross-entropy against PyTorch, read through our safetensors reader from
/// `Fixtures/nn_reference.safetensors` (scripts/fixtures/make_nn_fixtures.py; the optimizer keys
/// of the same file are tested with the optimizers).
@Suite("Safetensors: PyTorch Linear + cross-entropy reference")
struct SafetensorsNNReferenceTests {
  @Test("the NN reference fixture has the documented keys, shapes and I64 labels")
  func fixtureLayout() throws {
    let file = try SafetensorsFile.read(from: safetensorsFixture("nn_reference.safetensors"))
    #expect(file.names.count == 9 + 8 * 3 * 2)
    #expect(try file.entry(named: "labels").dtype == .int64)
    #expect(try file.integers(named: "labels") == [0, 2, 1, 2])
    for (name, shape) in [
      ("linear.weight", [3, 5]), ("linear.bias", [3]), ("x", [4, 5]), ("logits", [4, 3]),
      ("loss", []),
      ("grad.weight", [3, 5]), ("grad.bias", [3]), ("grad.x", [4, 5]),
      ("adamw.step3.weight", [3, 5]),
      ("sgd_nesterov.step1.bias", [3]),
    ] {
      #expect(try file.entry(named: name).shape == shape, "\(name)")
    }
    #expect(file.metadata["fixture"]?.contains("\"torch\"") == true)
  }

  @Test("Linear forward, cross-entropy loss and all three gradients match PyTorch")
  func linearCrossEntropy() throws {
    // torch.manual_seed(0); linear = nn.Linear(5, 3); x = torch.randn(4, 5)
    // labels = tensor([0, 2, 1, 2]); logits = linear(x); loss = F.cross_entropy(logits, labels)
    // loss.backward()  → grad.weight, grad.bias, grad.x
    let file = try SafetensorsFile.read(from: safetensorsFixture("nn_reference.safetensors"))
    let layer = Linear(
      weight: try file.tensor(named: "linear.weight"), bias: try file.tensor(named: "linear.bias"))
    let labels = try file.integers(named: "labels").map { Int($0) }
    let x = try file.tensor(named: "x").requiringGradient()

    let logits = layer(x)
    let loss = Loss.crossEntropy(logits: logits, labels: labels)
    loss.backward()

    // Float32 on both sides; differences are summation-order rounding (atol 1e-6, rtol 1e-5).
    expectClose(logits.scalars, try file.tensor(named: "logits").scalars, "logits")
    expectClose(Double(loss.item), Double(try file.tensor(named: "loss").item), "loss")
    let gradWeight = try #require(layer.weight.gradient)
    let gradBias = try #require(layer.bias?.gradient)
    let gradX = try #require(x.gradient)
    expectClose(
      gradWeight.scalars, try file.tensor(named: "grad.weight").scalars, "d loss / d weight")
    expectClose(gradBias.scalars, try file.tensor(named: "grad.bias").scalars, "d loss / d bias")
    expectClose(gradX.scalars, try file.tensor(named: "grad.x").scalars, "d loss / d x")
  }
}
