import Foundation

/// Part 2: back-propagation through a network of logistic hidden units with an identity output,
/// every derivative in the assignment's notation, checked two independent ways.
public struct BackpropExperiment: Sendable {
  /// The network whose derivatives are derived.
  public var network: LogisticNetwork
  /// The sample input x.
  public var input: [Double]
  /// The sample target t.
  public var target: Double
  /// Epochs of gradient descent for the optional training demo (0 = no training).
  public var trainingEpochs: Int
  /// Learning rate of the training demo.
  public var learningRate: Double
  /// Seed for the training data.
  public var seed: UInt64

  /// The default: 3 inputs, two hidden layers of 3 logistic units, one identity output, no biases
  /// (as the assignment's figure), weights from seed 2020, sample x = (1, −0.5, 2), t = 0.5.
  public static func assignmentDefault() throws(BackpropError) -> BackpropExperiment {
    let network = try LogisticNetwork.random(sizes: [3, 3, 3, 1], seed: 2020)
    return BackpropExperiment(network: network, input: [1, -0.5, 2], target: 0.5)
  }

  /// Creates the experiment, validating the sample against the network.
  public init(
    network: LogisticNetwork, input: [Double], target: Double, trainingEpochs: Int = 0,
    learningRate: Double = 0.5, seed: UInt64 = 7
  ) {
    self.network = network
    self.input = input
    self.target = target
    self.trainingEpochs = trainingEpochs
    self.learningRate = learningRate
    self.seed = seed
  }

  /// Everything Part 2 reports.
  public struct Result: Sendable {
    /// The network.
    public let network: LogisticNetwork
    /// x and t.
    public let input: [Double]
    /// The sample's target t.
    public let target: Double
    /// The forward pass.
    public let trace: LogisticNetwork.Trace
    /// Back-propagated δ and ∂E/∂w.
    public let gradients: LogisticNetwork.Gradients
    /// Central finite differences of E with respect to every weight.
    public let finiteDifferences: [[[Double]]]
    /// The tensor engine's autograd gradients.
    public let autograd: [[[Double]]]
    /// Central finite differences of E with respect to every bias (nil without biases).
    public let biasFiniteDifferences: [[Double]]?
    /// The tensor engine's autograd gradients of the biases (nil without biases).
    public let biasAutograd: [[Double]]?
    /// Largest relative difference to the finite differences and to autograd, over every
    /// weight and bias.
    public let maximumErrorFiniteDifferences: Double
    /// The largest difference between back-propagation and autograd.
    public let maximumErrorAutograd: Double
    /// The training demo's curve: mean E per epoch (empty without training).
    public let learningCurve: [Double]
  }

  /// Runs the forward pass, back-propagation, both checks and the optional training.
  public func run() throws(BackpropError) -> Result {
    guard input.count == network.sizes[0] else {
      throw .invalidSample(
        "x has \(input.count) values but the network has \(network.sizes[0]) inputs")
    }
    guard input.allSatisfy(\.isFinite), target.isFinite else {
      throw .invalidSample("x and t must be finite")
    }
    let trace = network.forward(input)
    let gradients = network.backward(trace, target: target)
    let numeric = network.finiteDifferenceGradients(input, target: target)
    let numericBiases = network.finiteDifferenceBiasGradients(input, target: target)
    let engine = AutogradCrossCheck.gradients(of: network, x: input, target: target)
    // ∂E/∂b as a one-column matrix per layer, so biases join the weights in the error maxima.
    func columns(_ values: [[Double]]?) -> [[[Double]]] { (values ?? []).map { $0.map { [$0] } } }
    let ours = gradients.weights + columns(gradients.biases)
    let curve =
      trainingEpochs > 0
      ? BackpropTraining.train(
        network, epochs: trainingEpochs, learningRate: learningRate, seed: seed) : []
    return Result(
      network: network, input: input, target: target, trace: trace, gradients: gradients,
      finiteDifferences: numeric, autograd: engine.weights, biasFiniteDifferences: numericBiases,
      biasAutograd: engine.biases,
      maximumErrorFiniteDifferences: Self.maximumRelativeError(
        ours, numeric + columns(numericBiases)),
      maximumErrorAutograd: Self.maximumRelativeError(
        ours, engine.weights + columns(engine.biases)),
      learningCurve: curve)
  }

  /// max |a − b| / max(|a|, |b|, 10⁻⁴) over all entries (weights, then biases): relative for ordinary gradients,
  /// absolute for near-zero ones, whose finite differences carry only rounding noise.
  static func maximumRelativeError(_ a: [[[Double]]], _ b: [[[Double]]]) -> Double {
    var worst = 0.0
    for (x, y) in zip(a.joined().joined(), b.joined().joined()) {
      worst = max(worst, Swift.abs(x - y) / max(Swift.abs(x), Swift.abs(y), 1e-4))
    }
    return worst
  }
}

/// Gradient descent for the Part 2 network on a small synthetic regression task.
enum BackpropTraining {
  /// The task: 64 points x ∈ U(−1, 1)³ with t = sin(2x₁) + x₂x₃ / 2; full-batch descent on the
  /// mean squared error, using exactly the back-propagation derived above. Returns mean E per epoch.
  static func train(_ start: LogisticNetwork, epochs: Int, learningRate: Double, seed: UInt64)
    -> [Double]
  {
    var generator = DoubleGenerator(seed: seed)
    let inputs = start.sizes[0]
    let samples = (0..<64).map { _ in (0..<inputs).map { _ in generator.uniform(-1, 1) } }
    let targets = samples.map { x in
      Foundation.sin(2 * x[0]) + (inputs >= 3 ? x[1] * x[2] / 2 : 0)
    }
    var network = start
    var curve: [Double] = []
    for _ in 0..<epochs {
      var total = 0.0
      var sum = network.weights.map { $0.map { $0.map { _ in 0.0 } } }
      var biasSum = network.biases?.map { $0.map { _ in 0.0 } }
      for (x, t) in zip(samples, targets) {
        let trace = network.forward(x)
        total += 0.5 * (trace.prediction - t) * (trace.prediction - t)
        let gradients = network.backward(trace, target: t)
        for l in sum.indices {
          for k in sum[l].indices {
            for j in sum[l][k].indices { sum[l][k][j] += gradients.weights[l][k][j] }
          }
        }
        if let deltas = gradients.biases, var sums = biasSum {
          for l in deltas.indices { for k in deltas[l].indices { sums[l][k] += deltas[l][k] } }
          biasSum = sums
        }
      }
      curve.append(total / Double(samples.count))
      let scale = learningRate / Double(samples.count)
      for l in sum.indices {
        for k in sum[l].indices {
          for j in sum[l][k].indices { network.weights[l][k][j] -= scale * sum[l][k][j] }
        }
      }
      if let biasSum, var biases = network.biases {
        for l in biasSum.indices {
          for k in biasSum[l].indices { biases[l][k] -= scale * biasSum[l][k] }
        }
        network.biases = biases
      }
    }
    return curve
  }
}
