import Checkpoints
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

@testable import Experiments

@Suite("Fine-tuning head")
struct HeadTests {
  @Test("specifications parse, print back, and build PyTorch-numbered layers")
  func parsing() throws {
    let assignment = try HeadSpecification(parsing: "32,dropout:0.5")
    #expect(assignment == .assignment)
    let head = assignment.build(inputFeatures: 2048, classCount: 10, seed: 1)
    #expect(head.namedParameters.map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    #expect(head.namedParameters.map(\.1.shape) == [[32, 2048], [32], [10, 32], [10]])
    let deeper = try HeadSpecification(parsing: "512, ReLU, dropout:0.25, 128, relu")
    #expect(deeper.elements == [.linear(512), .relu, .dropout(0.25), .linear(128), .relu])
    #expect(deeper.description == "512,relu,dropout:0.25,128,relu")
    #expect(try HeadSpecification(parsing: "").elements.isEmpty)
    for bad in ["32,,relu", "0", "dropout:1", "dropout:x", "gelu", "32;relu"] {
      #expect(throws: HeadSpecification.ParseError.self, "\(bad)") {
        try HeadSpecification(parsing: bad)
      }
    }
  }

  @Test("two SGD steps of the assignment's head equal PyTorch's, with and without weight decay")
  func pytorchStep() throws {
    let url = try #require(
      Bundle.module.url(forResource: "Fixtures/head_step", withExtension: "safetensors"))
    let fixture = try SafetensorsFile.read(from: url)
    let x = try fixture.tensor(named: "x")
    let labels = try fixture.tensor(named: "labels").scalars.map { Int($0) }
    for (variant, decay) in [("sgd", Float(0)), ("sgd_wd", Float(5e-4))] {
      let head = HeadSpecification.assignment.build(inputFeatures: 512, classCount: 10, seed: 0)
      try head.loadStateDict(
        Dictionary(
          uniqueKeysWithValues: ["0.weight", "0.bias", "2.weight", "2.bias"].map {
            ($0, try fixture.tensor(named: "head.\($0)"))
          }))
      head.eval()  // as the fixture: dropout off
      // optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, weight_decay=decay)
      let optimizer = SGD(head.parameters, learningRate: 0.001, momentum: 0.9, weightDecay: decay)
      for step in 1...2 {
        optimizer.zeroGradients()
        let loss = Loss.crossEntropy(logits: head(x), labels: labels)
        if variant == "sgd" {
          expectClose(
            Double(loss.item), Double(try fixture.tensor(named: "loss.step\(step)").item),
            absolute: 1e-6, relative: 1e-5)
        }
        loss.backward()
        optimizer.step()
      }
      for (key, parameter) in head.namedParameters {
        expectClose(
          parameter.value.scalars, try fixture.tensor(named: "\(variant).step2.\(key)").scalars,
          absolute: 1e-7,
          relative: 1e-5, "\(variant) \(key)")
      }
    }
  }
}
