import Foundation
import TestSupport
import Testing

@testable import Experiments

/// `Fixtures/logistic_trajectories.json`, written by `scripts/fixtures/make_logistic_fixtures.py`
/// (numpy, the provided `logistic.py` loop) from `Fixtures/logistic_builtin_data.txt`.
struct LogisticFixture: Decodable {
  struct Run: Decodable {
    var method: String
    var rate: Double
    var maxEpochs: Int
    var orders: [[Int]]?
    var nll: [Double]
    var w: [[Double]]
  }
  var runs: [Run]

  static func load() throws -> LogisticFixture {
    let url = logisticFixtures.appendingPathComponent("logistic_trajectories.json")
    return try JSONDecoder().decode(LogisticFixture.self, from: Data(contentsOf: url))
  }
}

/// Expects a trajectory to equal a numpy run at every epoch within `relative` (plus 1e-300 abs).
func expectMatches(
  _ trajectory: LogisticTrajectory, _ run: LogisticFixture.Run, relative: Double = 1e-12,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  expectClose(
    trajectory.negativeLogLikelihood, run.nll, absolute: 0, relative: relative, "NLL per epoch",
    sourceLocation: sourceLocation)
  let swiftWeights = trajectory.weights.dropFirst().flatMap { [$0.w1, $0.w2, $0.w3] }
  expectClose(
    swiftWeights, run.w.flatMap { $0 }, absolute: 0, relative: relative, "w per epoch",
    sourceLocation: sourceLocation)
}

@Suite("LogisticRegression")
struct LogisticRegressionTests {
  @Test("GD η = 0.5 on the built-in data equals numpy's provided loop at every epoch (≤1e-12 rel)")
  func gradientDescentMatchesNumpy() throws {
    let run = try #require(
      try LogisticFixture.load().runs.first { $0.method == "GD" && $0.rate == 0.5 })
    let trajectory = try GradientDescent(learningRate: 0.5, maxEpochs: run.maxEpochs).run(
      on: .builtIn())
    #expect(trajectory.epochs == run.nll.count)
    #expect(trajectory.stopReason == .tolerance)
    expectMatches(trajectory, run)
  }

  @Test("GD η = 0.05 (120 epochs) on the built-in data equals numpy at every epoch")
  func smallRateMatchesNumpy() throws {
    let run = try #require(
      try LogisticFixture.load().runs.first { $0.method == "GD" && $0.rate == 0.05 })
    let trajectory = try GradientDescent(learningRate: 0.05, maxEpochs: run.maxEpochs).run(
      on: .builtIn())
    #expect(trajectory.stopReason == .maxEpochs)
    expectMatches(trajectory, run)
  }

  @Test("SGD η = 0.1 with the fixture's permutations equals numpy's per-sample loop")
  func stochasticMatchesNumpy() throws {
    let run = try #require(try LogisticFixture.load().runs.first { $0.method == "SGD" })
    let orders = try #require(run.orders)
    let trajectory = try StochasticGradientDescent(
      learningRate: run.rate, maxEpochs: run.maxEpochs, order: .fixed(orders)
    ).run(on: .builtIn())
    expectMatches(trajectory, run, relative: 1e-11)
  }

  @Test(
    "course data: η = 0.5 stops after 395 epochs at NLL 0.2524, w = (1.28406549, −1.22454077, −7.81846365)",
    .enabled(if: courseDataPresent))
  func courseDataPublishedResult() throws {
    let data = try LogisticData(contentsOf: courseDataURL)
    let trajectory = try GradientDescent().run(on: data)
    #expect(trajectory.epochs == 395)
    #expect(trajectory.stopReason == .tolerance)
    #expect(String(format: "%.4f", trajectory.finalNegativeLogLikelihood) == "0.2524")
    let w = trajectory.finalWeights
    expectClose(w.w1, 1.28406549, absolute: 5e-9, relative: 0)
    expectClose(w.w2, -1.22454077, absolute: 5e-9, relative: 0)
    expectClose(w.w3, -7.81846365, absolute: 5e-9, relative: 0)
    #expect(
      trajectory.logLine(epoch: 394)
        == "epoch 394, negative log-likelihood 0.2524, w=[ 1.28406549 -1.22454077 -7.81846365]")
  }

  @Test("course data: SGD η = 0.5 never produces a NaN NLL", .enabled(if: courseDataPresent))
  func courseDataStochasticFinite() throws {
    let data = try LogisticData(contentsOf: courseDataURL)
    for seed: UInt64 in [0, 1, 2] {
      let trajectory = try StochasticGradientDescent(
        learningRate: 0.5, order: .shuffled(seed: seed)
      ).run(
        on: data)
      #expect(trajectory.negativeLogLikelihood.allSatisfy { $0.isFinite })
      #expect(trajectory.stopReason != .diverged)
      // The provided formula −mean(t log y + (1−t) log(1−y)) at the same epoch-start weights
      // is NaN or ∞ wherever a sigmoid saturates — which SGD at η = 0.5 reaches on this data.
      var providedNonFinite = 0
      for w in trajectory.weights.dropLast() {
        var total = 0.0
        for row in 0..<data.count {
          let y = 1 / (1 + exp(-(w.w1 * data.x1[row] + w.w2 * data.x2[row] + w.w3 * data.x3[row])))
          let t = data.targets[row]
          total += t * log(y) + (1 - t) * log(1 - y)
        }
        if !total.isFinite { providedNonFinite += 1 }
      }
      #expect(providedNonFinite > 0)
    }
  }

  @Test(
    "stable NLL: softplus(a) − t·a, hand-derived values, finite where the provided formula is not")
  func stableNegativeLogLikelihood() {
    // a = 0: σ = 1/2, NLL = log 2 for either label.
    expectClose(
      LogisticRegression.sampleNegativeLogLikelihood(activation: 0, target: 0), log(2.0),
      relative: 1e-15)
    expectClose(
      LogisticRegression.sampleNegativeLogLikelihood(activation: 0, target: 1), log(2.0),
      relative: 1e-15)
    // a = 2, t = 1: −log σ(2) = log(1 + e^{−2}).
    expectClose(
      LogisticRegression.sampleNegativeLogLikelihood(activation: 2, target: 1), log1p(exp(-2.0)),
      relative: 1e-15)
    // Saturated: σ(800) rounds to 1, so the provided formula gives 0·log 0 = NaN for t = 1 and ∞ for t = 0.
    let y = 1 / (1 + exp(-800.0))
    let provided = -(1 * log(y) + 0 * log(1 - y))
    #expect(provided.isNaN)
    #expect(LogisticRegression.sampleNegativeLogLikelihood(activation: 800, target: 1) == 0)
    #expect(LogisticRegression.sampleNegativeLogLikelihood(activation: 800, target: 0) == 800)
    #expect(LogisticRegression.sampleNegativeLogLikelihood(activation: -800, target: 1) == 800)
    #expect(LogisticRegression.sampleNegativeLogLikelihood(activation: -800, target: 0) == 0)
    // The full-pass NLL (running-product form) agrees with the per-sample sum, even when saturated.
    let data = LogisticData.builtIn()
    for w in [
      LogisticWeights(0.1, 0, 0), LogisticWeights(1.3, -1.2, -7.8),
      LogisticWeights(300, -200, -900),
    ] {
      var sum = 0.0
      for row in 0..<data.count {
        let a = w.w1 * data.x1[row] + w.w2 * data.x2[row] + w.w3 * data.x3[row]
        sum += LogisticRegression.sampleNegativeLogLikelihood(
          activation: a, target: data.targets[row])
      }
      let pass = LogisticRegression.fullPass(w, on: data).negativeLogLikelihood
      #expect(pass.isFinite)
      expectClose(pass, sum / Double(data.count), absolute: 1e-15, relative: 1e-14)
    }
  }

  @Test("gradient equals central finite differences of the NLL")
  func gradientFiniteDifferences() {
    let data = LogisticData.builtIn()
    let w = LogisticWeights(0.7, -0.9, -3.1)
    let g = LogisticRegression.gradient(w, on: data)
    let h = 1e-6
    func nll(_ d1: Double, _ d2: Double, _ d3: Double) -> Double {
      LogisticRegression.negativeLogLikelihood(
        LogisticWeights(w.w1 + d1, w.w2 + d2, w.w3 + d3), on: data)
    }
    expectClose(g.w1, (nll(h, 0, 0) - nll(-h, 0, 0)) / (2 * h), absolute: 1e-8, relative: 1e-6)
    expectClose(g.w2, (nll(0, h, 0) - nll(0, -h, 0)) / (2 * h), absolute: 1e-8, relative: 1e-6)
    expectClose(g.w3, (nll(0, 0, h) - nll(0, 0, -h)) / (2 * h), absolute: 1e-8, relative: 1e-6)
  }

  @Test("one GD step on two hand-worked rows")
  func oneStepByHand() throws {
    // Rows (1, 0, 1, t=1) and (0, 1, 1, t=0); w = 0 ⇒ a = 0, y = 1/2, NLL = log 2,
    // grad = ((1/2 − 1)(1,0,1) + (1/2)(0,1,1)) / 2 = (−1/4, 1/4, 0); w ← w − 0.5·grad = (1/8, −1/8, 0).
    let data = try LogisticData(parsing: "1 0 1 1\n0 1 1 0\n", source: "two rows")
    let trajectory = try GradientDescent(
      learningRate: 0.5, maxEpochs: 1, start: LogisticWeights(0, 0, 0)
    ).run(on: data)
    expectClose(trajectory.negativeLogLikelihood[0], log(2.0), relative: 1e-15)
    #expect(trajectory.weights[1] == LogisticWeights(0.125, -0.125, 0))
  }

  @Test("learning rates that are zero, negative, NaN or infinite are thrown errors")
  func badRates() {
    for rate in [0, -0.5, Double.nan, .infinity] {
      #expect(throws: LogisticOptionError.self) { try GradientDescent(learningRate: rate) }
      #expect(throws: LogisticOptionError.self) {
        try StochasticGradientDescent(learningRate: rate)
      }
    }
    #expect(throws: LogisticOptionError.maxEpochs(0)) { try GradientDescent(maxEpochs: 0) }
    #expect(throws: LogisticOptionError.tolerance(-1)) { try GradientDescent(tolerance: -1) }
    #expect(LogisticOptionError.learningRate(0).description.contains("finite number > 0"))
  }

  @Test("an absurd rate stops as diverged instead of producing NaN weights forever")
  func divergence() throws {
    let trajectory = try GradientDescent(learningRate: 1e308, maxEpochs: 50).run(on: .builtIn())
    #expect(
      trajectory.stopReason == .diverged
        || trajectory.negativeLogLikelihood.allSatisfy { !$0.isNaN })
  }

  @Test("order files: permutations per line; bad lines name the file and line")
  func orderFiles() throws {
    #expect(
      try LogisticSampleOrder.parse("2 0 1\n# c\n0 1 2\n", source: "o.txt", rowCount: 3)
        == .fixed([[2, 0, 1], [0, 1, 2]]))
    #expect(
      throws: LogisticDataError.notAPermutation(
        path: "o.txt", line: 2, rows: 3, detail: "index 1 appears twice")
    ) {
      try LogisticSampleOrder.parse("0 1 2\n1 1 2\n", source: "o.txt", rowCount: 3)
    }
    #expect(throws: LogisticDataError.self) {
      try LogisticSampleOrder.parse("0 1 x\n", source: "o.txt", rowCount: 3)
    }
    #expect(throws: LogisticDataError.self) {
      try LogisticSampleOrder.parse("0 1 3\n", source: "o.txt", rowCount: 3)
    }
    #expect(throws: LogisticDataError.self) {
      try LogisticSampleOrder.parse("0 1\n", source: "o.txt", rowCount: 3)
    }
    #expect(throws: LogisticDataError.self) {
      try LogisticSampleOrder.parse("\n", source: "o.txt", rowCount: 3)
    }
  }

  @Test("shuffled SGD is reproducible from its seed and differs between seeds")
  func shuffleSeeds() throws {
    let data = LogisticData.builtIn()
    let a = try StochasticGradientDescent(
      learningRate: 0.1, maxEpochs: 5, order: .shuffled(seed: 1)
    ).run(on: data)
    let b = try StochasticGradientDescent(
      learningRate: 0.1, maxEpochs: 5, order: .shuffled(seed: 1)
    ).run(on: data)
    let c = try StochasticGradientDescent(
      learningRate: 0.1, maxEpochs: 5, order: .shuffled(seed: 2)
    ).run(on: data)
    #expect(a.weights == b.weights)
    #expect(a.weights != c.weights)
  }
}
