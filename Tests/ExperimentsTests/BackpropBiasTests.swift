import Foundation
import TestSupport
import Testing

@testable import Experiments

@Suite("Part 2 — back-propagation with biases")
struct BackpropBiasTests {
  /// x = 1, w^(1) = 0.5, b^(1) = 0.25, w^(2) = 2, b^(2) = −1, t = 0.
  func tiny() throws -> LogisticNetwork {
    try LogisticNetwork(sizes: [1, 1, 1], weights: [[[0.5]], [[2]]], biases: [[0.25], [-1]])
  }

  @Test("a 1–1–1 network with biases by hand: ∂E/∂b^(l) = δ^(l)")
  func handDerived() throws {
    // a^(1) = 0.5·1 + 0.25 = 0.75, z^(1) = 1/(1 + e^−0.75), y = a^(2) = 2 z^(1) − 1.
    // δ^(2) = y − t = y; δ^(1) = z^(1)(1 − z^(1)) · 2 · δ^(2).
    let z = 1 / (1 + Foundation.exp(-0.75))
    let y = 2 * z - 1
    let delta2 = y
    let delta1 = z * (1 - z) * 2 * delta2
    let network = try tiny()
    let gradients = network.backward(network.forward([1]), target: 0)
    let biases = try #require(gradients.biases)
    expectClose(biases[1], [delta2], absolute: 1e-15, relative: 1e-15)
    expectClose(biases[0], [delta1], absolute: 1e-15, relative: 1e-15)
    // The weights are unchanged by the bias: ∂E/∂w^(2) = δ^(2) z^(1), ∂E/∂w^(1) = δ^(1) x.
    expectClose(gradients.weights[1][0], [delta2 * z], absolute: 1e-15, relative: 1e-15)
    expectClose(gradients.weights[0][0], [delta1], absolute: 1e-15, relative: 1e-15)
  }

  @Test("∂E/∂b agrees with central finite differences and with autograd, and joins the maxima")
  func checked() throws {
    let network = try LogisticNetwork.random(sizes: [3, 4, 2, 1], biases: true, seed: 5)
    let result = try BackpropExperiment(network: network, input: [0.5, -1, 1.5], target: 0.2).run()
    let ours = try #require(result.gradients.biases)
    let numeric = try #require(result.biasFiniteDifferences)
    let engine = try #require(result.biasAutograd)
    #expect(numeric.map(\.count) == [4, 2, 1])
    for layer in ours.indices {
      expectClose(ours[layer], numeric[layer], absolute: 1e-8, relative: 1e-6)
      expectClose(ours[layer], engine[layer], absolute: 1e-6, relative: 1e-4)
    }
    var worst = 0.0
    for (a, b) in zip(ours.joined(), numeric.joined()) {
      worst = max(worst, abs(a - b) / max(abs(a), abs(b), 1e-4))
    }
    #expect(result.maximumErrorFiniteDifferences >= worst)
    // An independent step size gives the same derivatives (the check is not a tautology).
    let coarse = try #require(
      network.finiteDifferenceBiasGradients([0.5, -1, 1.5], target: 0.2, step: 1e-4))
    for layer in ours.indices {
      expectClose(ours[layer], coarse[layer], absolute: 1e-7, relative: 1e-5)
    }
  }

  @Test("text and HTML show the bias in the formulas, derive ∂E/∂b and list it in the checks")
  func section() throws {
    let result = try BackpropExperiment(network: try tiny(), input: [1], target: 0).run()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "backprop-bias-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let section = try result.section(figuresIn: folder)
    #expect(section.text.contains("a_k^(l) = Σ_j w_kj^(l) z_j^(l−1) + b_k^(l)"))
    #expect(section.text.contains("a_1^(1) = w_11^(1) x_1 + b_1^(1) = 0.750000"))
    #expect(
      section.text.contains(
        "∂E_n/∂b_k^(2) = (∂E_n/∂a_k^(2)) (∂a_k^(2)/∂b_k^(2)) = δ_k^(2) · 1 = δ_k^(2)"))
    #expect(section.text.contains("∂E/∂b^(1) = ("))
    // Check table: two weights and two biases, the biases last.
    let table = result.checkTable
    #expect(table.rows.map { $0[0] } == ["w_11^(1)", "w_11^(2)", "b_1^(1)", "b_1^(2)"])
    #expect(section.html.contains("<td>b<sub>1</sub><sup>(2)</sup></td>"))
    #expect(section.html.contains("+ b<sub>k</sub><sup>(l)</sup>"))
    #expect(section.html.contains("∂E<sub>n</sub>/∂b<sub>k</sub><sup>(l)</sup>"))
    #expect(!section.html.contains("w_11^("))
  }

  @Test("without biases nothing mentions b")
  func noBiases() throws {
    let network = try LogisticNetwork(sizes: [1, 1, 1], weights: [[[0.5]], [[2]]])
    let result = try BackpropExperiment(network: network, input: [1], target: 0).run()
    #expect(result.biasFiniteDifferences == nil && result.biasAutograd == nil)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "backprop-nobias-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let section = try result.section(figuresIn: folder)
    #expect(!section.text.contains("b_"))
    #expect(!section.html.contains("b<sub>"))
    #expect(result.checkTable.rows.count == 2)
  }
}
