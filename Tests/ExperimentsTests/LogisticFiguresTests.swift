import Foundation
import Plotting
import TestSupport
import Testing

@testable import Experiments

/// Two Gaussian clouds in (x1, x2), `count` rows each, from a seeded generator: class 0 around
/// (−gap/2, 0), class 1 around (+gap/2, 0), unit variance per coordinate (Box–Muller).
private func clouds(gap: Double, count: Int, seed: UInt64) throws -> LogisticData {
  var state = seed
  func uniform() -> Double {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (Double(state >> 11) + 0.5) * 0x1p-53
  }
  func normal() -> Double {
    (-2 * Foundation.log(uniform())).squareRoot() * Foundation.cos(2 * Double.pi * uniform())
  }
  var x1: [Double] = []
  var x2: [Double] = []
  var targets: [Double] = []
  for label in [0.0, 1.0] {
    for _ in 0..<count {
      x1.append((label - 0.5) * gap + normal())
      x2.append(normal())
      targets.append(label)
    }
  }
  return try LogisticData(
    x1: x1, x2: x2, x3: Array(repeating: 1, count: x1.count), targets: targets,
    source: "clouds(gap: \(gap))")
}

/// Epochs whose NLL is above the previous epoch's, counted straight from the trajectory.
private func rises(_ nll: [Double]) -> Int {
  zip(nll, nll.dropFirst()).filter { $1 > $0 }.count
}

@Suite("Logistic figures and explanations")
struct LogisticFiguresTests {
  @Test(
    "course data: η = 0.5 stops after 395 epochs at NLL 0.2524 and w = (1.28406549, −1.22454077, −7.81846365)",
    .enabled(if: courseDataPresent))
  func courseData() throws {
    let data = try LogisticData(contentsOf: courseDataURL)
    let result = try LogisticExperiment(data: data, rates: [0.5, 0.01], stochastic: true).run()
    #expect(result.main.epochs == 395)
    #expect(String(format: "%.4f", result.main.finalNegativeLogLikelihood) == "0.2524")
    let w = result.main.finalWeights
    expectClose(
      [w.w1, w.w2, w.w3], [1.28406549, -1.22454077, -7.81846365], absolute: 1e-7, relative: 0)
    let oscillation = result.oscillation
    let text = oscillation.explanation(epochs: result.main.epochs)
    let risen = rises(result.main.negativeLogLikelihood)
    #expect(risen > 0)
    #expect(text.contains("The NLL rose in \(risen) of 395 epochs"))
    #expect(text.contains("zig-zags"))
    #expect(!text.contains("never rose"))
    // The path figure's axes hold every point of the path (the provided code's fixed axes
    // are not assumed).
    let figure = result.separatorPathFigure()
    let layout = figure.layout()
    for point in result.separatorPath {
      #expect(layout.x.domain.contains(point.x) && layout.y.domain.contains(point.y))
    }
  }

  @Test("separable data: the explanation says the NLL fell every epoch and the data are separable")
  func separable() throws {
    let data = try clouds(gap: 12, count: 30, seed: 7)
    let result = try LogisticExperiment(data: data, learningRate: 0.05, maxEpochs: 200).run()
    let nll = result.main.negativeLogLikelihood
    let w = result.main.finalWeights
    // Independently: the final weights separate the data (every row on its side).
    let wrong = (0..<data.count).filter { row in
      let a = w.w1 * data.x1[row] + w.w2 * data.x2[row] + w.w3
      return (a > 0) != (data.targets[row] == 1)
    }
    #expect(wrong.isEmpty)
    let text = result.oscillation.explanation(epochs: result.main.epochs)
    #expect(text.contains("linearly separable"))
    if rises(nll) == 0 {
      #expect(text.contains("The NLL never rose"))
      #expect(!text.contains("NLL rose in"))
      #expect(
        !text.contains("oscillation of the NLL")
          && !text.contains("the NLL and the (m, b) path oscillate"))
    } else {
      #expect(text.contains("The NLL rose in \(rises(nll)) of"))
    }
    // The separator path stays inside the figure even though |m|, |b| are nowhere near the
    // provided code's [−5, 5] × [−10, 0] box.
    let layout = result.separatorPathFigure().layout()
    #expect(!result.separatorPath.isEmpty)
    for point in result.separatorPath {
      #expect(layout.x.domain.contains(point.x) && layout.y.domain.contains(point.y))
    }
  }

  @Test(
    "non-separable data: a small rate never oscillates, a large one does, and the text says which")
  func nonSeparable() throws {
    let data = try clouds(gap: 1.5, count: 60, seed: 11)
    let calm = try LogisticExperiment(data: data, learningRate: 0.01, maxEpochs: 150).run()
    #expect(rises(calm.main.negativeLogLikelihood) == 0)
    let calmText = calm.oscillation.explanation(epochs: calm.main.epochs)
    #expect(
      calmText.contains(
        "The NLL never rose: it fell in every one of the \(calm.main.epochs) epochs"))
    #expect(calmText.contains("do not oscillate"))
    #expect(!calmText.contains("bounces across"))
    #expect(!calmText.contains("linearly separable"))

    // η far beyond 2/λ_max: the NLL must rise somewhere.
    let wild = try LogisticExperiment(data: data, learningRate: 40, maxEpochs: 150).run()
    let risen = rises(wild.main.negativeLogLikelihood)
    #expect(risen > 0)
    let wildText = wild.oscillation.explanation(epochs: wild.main.epochs)
    #expect(wildText.contains("The NLL rose in \(risen) of \(wild.main.epochs) epochs"))
    #expect(!wildText.contains("never rose"))
    #expect(!wildText.contains("do not oscillate"))
  }

  @Test("the rate answer calls a run oscillating exactly when its NLL rose")
  func rateAnswerIsConditional() throws {
    let data = try clouds(gap: 1.5, count: 60, seed: 11)
    let result = try LogisticExperiment(data: data, rates: [0.01, 0.02], maxEpochs: 100).run()
    #expect(result.rateRuns.allSatisfy { rises($0.negativeLogLikelihood) == 0 })
    let answer = result.comparison.rateAnswer()
    #expect(!answer.contains("overshoot"))
    #expect(!answer.contains("oscillation"))
    #expect(answer.contains("monotonically"))
  }

  @Test("every table column's header matches its cells: counts, 'not reached', milliseconds")
  func tableHeaders() throws {
    let data = try clouds(gap: 2, count: 40, seed: 3)
    let result = try LogisticExperiment(
      data: data, learningRate: 0.5, rates: [0.5, 0.05], stochastic: true, maxEpochs: 60
    ).run()
    let table = result.comparison.rateTable()
    let headers = table.columns.map(\.title)
    #expect(!headers.contains("seconds"))
    let time = try #require(headers.firstIndex(of: "time to target (ms)"))
    let epochs = try #require(headers.firstIndex(of: "epochs to target"))
    let evaluations = try #require(headers.firstIndex(of: "gradient evaluations to target"))
    #expect(table.rows.count == 4)
    for row in table.rows {
      #expect(row[time] == "—" || Double(row[time]) != nil, "\(row[time])")
      #expect(!row[time].contains("ms"))
      if let count = Int(row[epochs]) {
        #expect(Int(row[evaluations]) == count * data.count)
      } else {
        #expect(row[epochs] == "not reached" && row[evaluations] == "—")
      }
    }
  }

  @Test("learning rates print as entered: shortest round-trip decimals")
  func rates() {
    #expect(LogisticProse.rate(0.001) == "0.001")
    #expect(LogisticProse.rate(0.5) == "0.5")
    #expect(LogisticProse.rate(2) == "2")
    #expect(LogisticProse.rate(0.00001) == "0.00001")
    #expect(LogisticProse.rate(0.3) == "0.3")
    // A Float rate widened to Double prints as that Double, not as a rounded 0.001.
    #expect(LogisticProse.rate(Double(Float(0.001))) == "0.0010000000474974513")
  }

  @Test("the plain-text reading of the answers' HTML")
  func plainText() {
    #expect(LogisticProse.plainText("η·λ<sub>max</sub> &lt; 1") == "η·λ_max < 1")
    #expect(LogisticProse.plainText("w<sub>1</sub>x<sub>12</sub>") == "w₁x₁₂")
    #expect(LogisticProse.plainText("3.1 × 10<sup>−2</sup> &amp; <b>b</b>") == "3.1 × 10^−2 & b")
    #expect(LogisticProse.scientific(0.031, 1) == "3.1 × 10<sup>−2</sup>")
  }

  @Test("per-epoch spread of SGD recordings: mean, lowest and highest of each epoch's values")
  func epochSpread() {
    var run = LogisticTrajectory(method: .stochasticGradientDescent, learningRate: 0.1, rowCount: 4)
    run.recordEvery = 2
    // Start, after updates 2 and 4 (epoch 1), after 6 and 8 (epoch 2).
    run.iterationNegativeLogLikelihood = [0.7, 0.6, 0.4, 0.5, 0.3]
    let spread = LogisticResult.epochSpread(run)
    #expect(spread.x == [0, 1, 2])
    expectClose(spread.mean, [0.7, 0.5, 0.4], absolute: 1e-15, relative: 0)
    #expect(spread.low == [0.7, 0.4, 0.3])
    #expect(spread.high == [0.7, 0.6, 0.5])
  }

  @Test("SGD and GD-vs-SGD figures are small multiples: one panel per rate on shared axes")
  func smallMultiples() throws {
    let data = try clouds(gap: 2, count: 40, seed: 3)
    let result = try LogisticExperiment(
      data: data, rates: [0.5, 0.1, 0.001], stochastic: true, maxEpochs: 30
    ).run()
    let sgd = result.stochasticIterationFigure()
    #expect(sgd.panels.map(\.title) == ["η = 0.5", "η = 0.1", "η = 0.001"])
    #expect(Set(sgd.panels.map { $0.layout().y.domain.lowerBound }).count == 1)
    let versus = result.gdVersusSGDFigure()
    #expect(versus.panels.count == 3)
    #expect(Set(versus.panels.map { $0.layout().y.domain.upperBound }).count == 1)
    #expect(versus.svg().contains(">GD</text>") && versus.svg().contains(">SGD</text>"))
    // Every figure fits the report column, so none is scaled and all share one font size.
    for (_, figure) in result.figures() { #expect(figure.width <= 640) }
  }
}
