import Checkpoints
import Foundation
import TestSupport
import Testing

@testable import NN
@testable import TensorCore

/// Linear + cross-entropy and three optimizer steps against PyTorch 1.13, from
/// `Tests/NNTests/Fixtures/nn_reference.safetensors` (made by scripts/fixtures/make_nn_fixtures.py).
@Suite("PyTorch reference: Linear, cross-entropy, optimizers")
struct PyTorchReferenceTests {
  let fixture: SafetensorsFile

  init() throws {
    let url = try #require(
      Bundle.module.url(forResource: "Fixtures/nn_reference", withExtension: "safetensors"))
    fixture = try SafetensorsFile.read(from: url)
  }

  func tensor(_ name: String) throws -> Tensor { try fixture.tensor(named: name) }

  func freshLinear() throws -> Linear {
    Linear(weight: try tensor("linear.weight"), bias: try tensor("linear.bias"))
  }

  @Test("Linear forward and cross-entropy forward/backward equal PyTorch's")
  func linearCrossEntropy() throws {
    let layer = try freshLinear()
    let x = try tensor("x").requiringGradient()
    let labels = try fixture.integers(named: "labels").map(Int.init)
    // logits = linear(x); loss = F.cross_entropy(logits, labels)
    let logits = layer(x)
    expectClose(logits.scalars, try tensor("logits").scalars, absolute: 1e-6, relative: 1e-5)
    let loss = Loss.crossEntropy(logits: logits, labels: labels)
    expectClose(Double(loss.item), Double(try tensor("loss").item), absolute: 1e-6, relative: 1e-5)
    loss.backward()
    // loss.backward(): grad.weight, grad.bias, grad.x
    expectClose(
      layer.weight.gradient!.scalars, try tensor("grad.weight").scalars, absolute: 1e-7,
      relative: 1e-5)
    expectClose(
      layer.bias!.gradient!.scalars, try tensor("grad.bias").scalars, absolute: 1e-7, relative: 1e-5
    )
    expectClose(x.gradient!.scalars, try tensor("grad.x").scalars, absolute: 1e-7, relative: 1e-5)
  }

  /// Runs three steps with the fixture's fixed gradients (times `scales[k]` at step k).
  func expectSteps(
    _ name: String, scales: [Float] = [1, 1, 1], _ makeOptimizer: ([Parameter]) -> Optimizer
  )
    throws
  {
    let layer = try freshLinear()
    let optimizer = makeOptimizer(layer.parameters)
    let gradWeight = try tensor("grad.weight")
    let gradBias = try tensor("grad.bias")
    let bias = try #require(layer.bias)
    for step in 1...3 {
      layer.weight.setGradient(gradWeight * scales[step - 1])
      bias.setGradient(gradBias * scales[step - 1])
      optimizer.step()
      expectClose(
        layer.weight.value.scalars, try tensor("\(name).step\(step).weight").scalars,
        absolute: 1e-7,
        relative: 1e-5, "\(name) step \(step) weight")
      expectClose(
        bias.value.scalars, try tensor("\(name).step\(step).bias").scalars, absolute: 1e-7,
        relative: 1e-5, "\(name) step \(step) bias")
    }
  }

  @Test(
    "an optimizer's state record carries a run across optimizers: step 1 on one, steps 2–3 on another equal PyTorch's",
    arguments: ["sgd_momentum", "adamw"])
  func stateRecord(name: String) throws {
    func make(_ parameters: [Parameter]) -> any Optimizer {
      name == "adamw"
        ? Adam.adamW(parameters, learningRate: 1e-2)
        : SGD(parameters, learningRate: 0.1, momentum: 0.9)
    }
    let layer = try freshLinear()
    let bias = try #require(layer.bias)
    let (gradWeight, gradBias) = (try tensor("grad.weight"), try tensor("grad.bias"))
    let first = make(layer.parameters)
    layer.weight.setGradient(gradWeight)
    bias.setGradient(gradBias)
    first.step()
    let second = make(layer.parameters)
    for parameter in layer.parameters {
      let record = first.state(for: parameter)
      #expect(Set(record.keys) == Set(first.stateNames))
      try second.setState(record, for: parameter)
    }
    for step in 2...3 {
      layer.weight.setGradient(gradWeight)
      bias.setGradient(gradBias)
      second.step()
      expectClose(
        layer.weight.value.scalars, try tensor("\(name).step\(step).weight").scalars,
        absolute: 1e-7, relative: 1e-5, "\(name) step \(step) after the record")
    }
    // A record for another shape is refused.
    #expect(throws: OptimizerStateError.self) {
      try second.setState(second.state(for: bias), for: layer.weight)
    }
  }

  @Test("SGD with momentum 0.9")
  func sgdMomentum() throws {
    try expectSteps("sgd_momentum") { SGD($0, learningRate: 0.1, momentum: 0.9) }
  }

  @Test("SGD with Nesterov momentum")
  func sgdNesterov() throws {
    try expectSteps("sgd_nesterov") { SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true) }
  }

  @Test("SGD with weight decay")
  func sgdWeightDecay() throws {
    try expectSteps("sgd_weight_decay") { SGD($0, learningRate: 0.1, weightDecay: 0.01) }
  }

  @Test("SGD with momentum, dampening and weight decay")
  func sgdDampening() throws {
    try expectSteps("sgd_momentum_dampening_wd") {
      SGD($0, learningRate: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.01)
    }
  }

  @Test("Adam")
  func adam() throws { try expectSteps("adam") { Adam($0, learningRate: 1e-2) } }

  @Test("Adam with L2 weight decay and AMSGrad")
  func adamAmsgrad() throws {
    try expectSteps("adam_amsgrad_wd") {
      Adam($0, learningRate: 1e-2, weightDecay: 0.01, amsgrad: true)
    }
  }

  @Test("AMSGrad keeps the running maximum of v when the gradient shrinks")
  func adamAmsgradVarying() throws {
    try expectSteps("adam_amsgrad_varying", scales: [1, 0.1, 0.5]) {
      Adam($0, learningRate: 1e-2, betas: (0.9, 0.5), amsgrad: true)
    }
  }

  @Test("AdamW (decoupled weight decay 0.01 by default)")
  func adamW() throws { try expectSteps("adamw") { Adam.adamW($0, learningRate: 1e-2) } }

  @Test("parameter groups: a group's own learning rate overrides the default")
  func parameterGroups() throws {
    let layer = try freshLinear()
    let gradWeight = try tensor("grad.weight")
    let before = layer.weight.value.scalars
    layer.weight.setGradient(gradWeight)
    let optimizer = SGD(
      [ParameterGroup([layer.weight], learningRate: 0.01), ParameterGroup([layer.bias!])],
      learningRate: 0.1)
    optimizer.step()
    // p − 0.01·g for the weight; the bias has no gradient and stays.
    expectClose(
      layer.weight.value.scalars, zip(before, gradWeight.scalars).map { $0 - 0.01 * $1 },
      absolute: 1e-7)
    #expect(layer.bias!.value == (try tensor("linear.bias")))
  }
}
