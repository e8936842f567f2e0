import Foundation

/// A fully connected network in the assignment's notation (Part 2), computed in Double.
///
/// Layer `l = 1…L`: `a_k^(l) = Σ_j w_kj^(l) z_j^(l−1)` (+ `b_k^(l)` when biases are on) and
/// `z_k^(l) = h(a_k^(l))`, with `z^(0) = x`, the logistic `h` in hidden layers and the identity at
/// the single output, trained on `E_n = ½ (y − t)²`.
public struct LogisticNetwork: Sendable, Equatable {
  /// Units per layer, inputs first: `[3, 3, 3, 1]` is 3 inputs, two hidden layers of 3, one output.
  public let sizes: [Int]
  /// `weights[l − 1][k][j]` is `w_kj^(l)`.
  public var weights: [[[Double]]]
  /// `biases[l − 1][k]` is `b_k^(l)`; nil for the assignment's bias-free network.
  public var biases: [[Double]]?

  /// The quantities of one forward pass.
  public struct Trace: Sendable {
    /// `activations[l − 1][k]` is `a_k^(l)`.
    public let activations: [[Double]]
    /// `outputs[l][k]` is `z_k^(l)`; `outputs[0]` is the input x.
    public let outputs: [[Double]]
    /// The network output y.
    public var prediction: Double { outputs.last?.first ?? 0 }
  }

  /// The result of back-propagation for one sample.
  public struct Gradients: Sendable {
    /// `deltas[l − 1][k]` is `δ_k^(l) = ∂E_n/∂a_k^(l)`.
    public let deltas: [[Double]]
    /// `weights[l − 1][k][j]` is `∂E_n/∂w_kj^(l) = δ_k^(l) z_j^(l−1)`.
    public let weights: [[[Double]]]
    /// `biases[l − 1][k]` is `∂E_n/∂b_k^(l) = δ_k^(l)` when the network has biases.
    public let biases: [[Double]]?
  }

  /// A network with the given weights; validated against `sizes`.
  public init(sizes: [Int], weights: [[[Double]]], biases: [[Double]]? = nil) throws(BackpropError)
  {
    guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
      throw .invalidArchitecture("sizes must be at least two positive layer sizes, got \(sizes)")
    }
    guard sizes.last == 1 else {
      throw .invalidArchitecture("the output layer must have one unit, got \(sizes.last ?? 0)")
    }
    guard weights.count == sizes.count - 1 else {
      throw .invalidArchitecture(
        "expected \(sizes.count - 1) weight matrices, got \(weights.count)")
    }
    for layer in 1..<sizes.count {
      let matrix = weights[layer - 1]
      guard matrix.count == sizes[layer], matrix.allSatisfy({ $0.count == sizes[layer - 1] }) else {
        throw .invalidArchitecture("w^(\(layer)) must be \(sizes[layer])×\(sizes[layer - 1])")
      }
      guard matrix.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
        throw .invalidArchitecture("w^(\(layer)) contains a non-finite value")
      }
      if let biases, biases.count != sizes.count - 1 || biases[layer - 1].count != sizes[layer] {
        throw .invalidArchitecture("b^(\(layer)) must have \(sizes[layer]) entries")
      }
    }
    self.sizes = sizes
    self.weights = weights
    self.biases = biases
  }

  /// A network with weights drawn uniformly from ±1/√fan-in by a seeded generator.
  public static func random(sizes: [Int], biases: Bool = false, seed: UInt64) throws(BackpropError)
    -> LogisticNetwork
  {
    guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
      throw .invalidArchitecture("sizes must be at least two positive layer sizes, got \(sizes)")
    }
    var generator = DoubleGenerator(seed: seed)
    let weights = (1..<sizes.count).map { layer in
      let bound = 1 / Double(sizes[layer - 1]).squareRoot()
      return (0..<sizes[layer]).map { _ in
        (0..<sizes[layer - 1]).map { _ in generator.uniform(-bound, bound) }
      }
    }
    let biasValues =
      biases
      ? (1..<sizes.count).map { layer in
        (0..<sizes[layer]).map { _ in generator.uniform(-0.5, 0.5) }
      } : nil
    return try LogisticNetwork(sizes: sizes, weights: weights, biases: biasValues)
  }

  /// The number of layers with weights (L).
  public var depth: Int { sizes.count - 1 }

  /// The logistic function h(a) = 1/(1 + e^−a), in a form that never overflows.
  public static func logistic(_ a: Double) -> Double {
    a >= 0 ? 1 / (1 + Foundation.exp(-a)) : Foundation.exp(a) / (1 + Foundation.exp(a))
  }

  /// Runs the network forward, keeping every a and z.
  public func forward(_ x: [Double]) -> Trace {
    precondition(x.count == sizes[0], "forward: \(x.count) inputs for a network with \(sizes[0])")
    var activations: [[Double]] = []
    var outputs: [[Double]] = [x]
    for layer in 1...depth {
      let previous = outputs[layer - 1]
      let a = weights[layer - 1].enumerated().map { k, row in
        zip(row, previous).reduce(biases?[layer - 1][k] ?? 0) { $0 + $1.0 * $1.1 }
      }
      activations.append(a)
      outputs.append(layer == depth ? a : a.map(Self.logistic))
    }
    return Trace(activations: activations, outputs: outputs)
  }

  /// `E_n = ½ (y − t)²`.
  public func error(_ x: [Double], target: Double) -> Double {
    let residual = forward(x).prediction - target
    return 0.5 * residual * residual
  }

  /// Back-propagation: `δ^(L) = y − t`, `δ_j^(l) = h′(a_j^(l)) Σ_k w_kj^(l+1) δ_k^(l+1)` with
  /// `h′ = h(1 − h)`, and `∂E/∂w_kj^(l) = δ_k^(l) z_j^(l−1)`.
  public func backward(_ trace: Trace, target: Double) -> Gradients {
    var deltas = [[Double]](repeating: [], count: depth)
    deltas[depth - 1] = [trace.prediction - target]
    if depth >= 2 {
      for layer in stride(from: depth - 1, through: 1, by: -1) {
        let next = weights[layer]  // w^(layer+1)
        deltas[layer - 1] = (0..<sizes[layer]).map { j in
          let z = trace.outputs[layer][j]
          let back = (0..<sizes[layer + 1]).reduce(0.0) { $0 + next[$1][j] * deltas[layer][$1] }
          return z * (1 - z) * back
        }
      }
    }
    let weightGradients = (1...depth).map { layer in
      deltas[layer - 1].map { delta in trace.outputs[layer - 1].map { delta * $0 } }
    }
    return Gradients(deltas: deltas, weights: weightGradients, biases: biases == nil ? nil : deltas)
  }

  /// `∂E/∂w_kj^(l)` by central differences `(E(w + ε) − E(w − ε)) / 2ε`, the independent check.
  public func finiteDifferenceGradients(_ x: [Double], target: Double, step: Double = 1e-6)
    -> [[[Double]]]
  {
    (1...depth).map { layer in
      (0..<sizes[layer]).map { k in
        (0..<sizes[layer - 1]).map { j in
          var plus = self
          var minus = self
          plus.weights[layer - 1][k][j] += step
          minus.weights[layer - 1][k][j] -= step
          return (plus.error(x, target: target) - minus.error(x, target: target)) / (2 * step)
        }
      }
    }
  }
}

extension LogisticNetwork {
  /// `∂E/∂b_k^(l)` by central differences, the independent check of `δ_k^(l)`; nil without
  /// biases.
  public func finiteDifferenceBiasGradients(_ x: [Double], target: Double, step: Double = 1e-6)
    -> [[Double]]?
  {
    guard let biases else { return nil }
    return biases.indices.map { layer in
      biases[layer].indices.map { k in
        var plus = self
        var minus = self
        plus.biases?[layer][k] += step
        minus.biases?[layer][k] -= step
        return (plus.error(x, target: target) - minus.error(x, target: target)) / (2 * step)
      }
    }
  }
}

/// A tiny seeded generator of Doubles for weight initialisation and synthetic data.
struct DoubleGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed ^ 0x9E37_79B9_7F4A_7C15 }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
    lower + (upper - lower) * Double(next() >> 11) * 0x1p-53
  }
}
