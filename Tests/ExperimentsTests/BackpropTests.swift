import Foundation
import TestSupport
import Testing

@testable import Experiments

@Suite("Part 2 — back-propagation")
struct BackpropTests {
  @Test("a 1–1–1 network by hand: every δ and ∂E/∂w")
  func handDerived() throws {
    // x = 1, w^(1) = 0 → a^(1) = 0, z^(1) = h(0) = ½; w^(2) = 2 → y = 1; t = 0.
    // δ^(2) = y − t = 1; ∂E/∂w^(2) = δ^(2) z^(1) = ½.
    // δ^(1) = h′(0) w^(2) δ^(2) = ¼ · 2 · 1 = ½; ∂E/∂w^(1) = δ^(1) x = ½.
    let network = try LogisticNetwork(sizes: [1, 1, 1], weights: [[[0]], [[2]]])
    let trace = network.forward([1])
    #expect(trace.prediction == 1)
    let gradients = network.backward(trace, target: 0)
    #expect(gradients.deltas == [[0.5], [1]])
    #expect(gradients.weights == [[[0.5]], [[0.5]]])
  }

  @Test("the default network: back-propagation equals finite differences and the autograd engine")
  func defaultNetworkChecks() throws {
    let result = try BackpropExperiment.assignmentDefault().run()
    #expect(result.network.sizes == [3, 3, 3, 1])
    #expect(
      result.maximumErrorFiniteDifferences < 1e-6,
      "finite differences: \(result.maximumErrorFiniteDifferences)")
    #expect(result.maximumErrorAutograd < 1e-4, "autograd: \(result.maximumErrorAutograd)")
    // The output δ is y − t.
    #expect(result.gradients.deltas.last == [result.trace.prediction - 0.5])
  }

  @Test("deeper networks with biases are checked the same way")
  func deeperWithBiases() throws {
    let network = try LogisticNetwork.random(sizes: [4, 5, 3, 2, 1], biases: true, seed: 11)
    let result = try BackpropExperiment(network: network, input: [0.3, -1, 2, 0.5], target: -1)
      .run()
    #expect(result.maximumErrorFiniteDifferences < 1e-6)
    #expect(result.maximumErrorAutograd < 1e-4)
  }

  @Test("the derivation names each layer and uses the assignment's symbols")
  func derivationText() throws {
    let result = try BackpropExperiment.assignmentDefault().run()
    let sections = BackpropDerivation(result: result).lines()
    #expect(
      sections.map(\.heading) == [
        "Forward pass", "Output layer (l = 3)", "Penultimate layer (l = 2)",
        "Weights from the inputs (l = 1)",
      ])
    let text = sections.flatMap(\.lines).map(\.text).joined(separator: "\n")
    #expect(text.contains("δ_1^(3) = y − t"))
    #expect(text.contains("∂E_n/∂w_kj^(1) = (∂E_n/∂a_k^(1)) (∂a_k^(1)/∂w_kj^(1)) = δ_k^(1) x_j"))
    #expect(text.contains("a_2^(1) = w_21^(1) x_1 + w_22^(1) x_2 + w_23^(1) x_3"))
  }

  @Test("gradient descent with these derivatives reduces the error")
  func training() throws {
    var experiment = try BackpropExperiment.assignmentDefault()
    experiment.trainingEpochs = 300
    let curve = try experiment.run().learningCurve
    #expect(curve.count == 300)
    #expect(curve.last! < curve.first! / 2)
  }

  @Test("bad networks and samples are rejected with a reason")
  func badInput() throws {
    #expect(throws: BackpropError.self) {
      try LogisticNetwork(sizes: [3, 2], weights: [[[1, 2, 3]]])
    }
    #expect(throws: BackpropError.self) {
      try LogisticNetwork(sizes: [2, 1], weights: [[[1, 2, 3]]])
    }
    #expect(throws: BackpropError.self) { try LogisticNetwork(sizes: [1, 1], weights: [[[.nan]]]) }
    var experiment = try BackpropExperiment.assignmentDefault()
    experiment.input = [1, 2]
    #expect(throws: BackpropError.invalidSample("x has 2 values but the network has 3 inputs")) {
      try experiment.run()
    }
  }
}

@Suite("Part 2 — network files")
struct NetworkFileTests {
  @Test("a saved network loads back identically; a malformed file names itself")
  func roundTrip() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-network-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let network = try LogisticNetwork.random(sizes: [3, 2, 1], biases: true, seed: 5)
    let file = folder.appendingPathComponent("net.json")
    try network.save(to: file)
    #expect(try LogisticNetwork.load(from: file) == network)
    let broken = folder.appendingPathComponent("broken.json")
    try Data(#"{"sizes": [3, 1], "weights": [[[1, 2]]]}"#.utf8).write(to: broken)
    do {
      _ = try LogisticNetwork.load(from: broken)
      Issue.record("a 1×2 matrix for a 3-input layer must be rejected")
    } catch {
      #expect(
        error.description.contains("broken.json") && error.description.contains("w^(1) must be 1×3")
      )
    }
  }
}
