import Foundation
import TestSupport
import Testing

@testable import Experiments

@Suite("LogisticExperiment")
struct LogisticExperimentTests {
  @Test("the full assignment run writes every figure (SVG + PNG) and answers every question")
  func fullRun() throws {
    let result = try LogisticExperiment.assignment().run()
    #expect(result.main.epochs == 395)
    #expect(result.rateRuns.map(\.learningRate) == LogisticExperiment.assignmentRates)
    #expect(result.stochasticRuns.count == 5)
    #expect(result.stochasticRuns.allSatisfy { $0.negativeLogLikelihood.allSatisfy(\.isFinite) })
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "logistic-test-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let section = try result.section(figuresIn: folder)
    for stem in [
      "logistic_separator_path", "logistic_nll", "logistic_data", "logistic_rates",
      "logistic_sgd_iterations",
      "logistic_gd_vs_sgd",
    ] {
      for suffix in [".svg", ".png"] {
        #expect(
          FileManager.default.fileExists(atPath: folder.appendingPathComponent(stem + suffix).path))
        #expect(section.figures.contains(stem + suffix))
      }
    }
    #expect(section.text.contains("Why are these plots oscillating?"))
    #expect(section.text.contains("Is stochastic gradient descent faster"))
    #expect(section.html.contains("<img src=\"logistic_rates.svg\""))
    if ProcessInfo.processInfo.environment["CLASSIFY_SHOW_LOGISTIC"] != nil { print(section.text) }
  }

  @Test("the oscillation answer is generated from the run: rising epochs and the curvature")
  func oscillationFromRun() throws {
    let result = try LogisticExperiment().run()
    let oscillation = result.oscillation
    let nll = result.main.negativeLogLikelihood
    #expect(!oscillation.risingEpochs.isEmpty)
    for epoch in oscillation.risingEpochs { #expect(nll[epoch] > nll[epoch - 1]) }
    #expect(oscillation.curvatures.count == 3)
    #expect(oscillation.curvatures[0] >= oscillation.curvatures[1])
    #expect(oscillation.curvatures[1] >= oscillation.curvatures[2])
    let text = oscillation.explanation(epochs: result.main.epochs)
    #expect(
      text.contains("rose in \(oscillation.risingEpochs.count) of \(result.main.epochs) epochs"))
  }

  @Test("3×3 symmetric eigenvalues match a hand-built matrix Q·diag(5, 2, 0.5)·Qᵀ")
  func eigenvalues() {
    // Q = rotation by 90° in the (1,2) plane: [[0,-1,0],[1,0,0],[0,0,1]].
    // Q·diag(5,2,0.5)·Qᵀ = diag(2, 5, 0.5); then add a coupling with a known result:
    // [[2,1,0],[1,2,0],[0,0,0.5]] has eigenvalues 3, 1, 0.5.
    let values = LogisticOscillation.symmetricEigenvalues3([2, 1, 0, 1, 2, 0, 0, 0, 0.5]).sorted(
      by: >)
    expectClose(values, [3, 1, 0.5], absolute: 1e-12, relative: 1e-12)
  }

  @Test("bad settings are thrown errors: rates, epochs, order length")
  func badSettings() {
    #expect(throws: LogisticOptionError.self) { try LogisticExperiment(learningRate: -1) }
    #expect(throws: LogisticOptionError.self) { try LogisticExperiment(rates: [0.5, .nan]) }
    #expect(throws: LogisticOptionError.self) { try LogisticExperiment(maxEpochs: 0) }
    #expect(throws: LogisticDataError.self) {
      try LogisticExperiment(stochastic: true, order: .fixed([[0, 1, 2]]))
    }
  }

  @Test("--sgd without rates uses the assignment's five rates")
  func stochasticDefaultsToAssignmentRates() throws {
    let experiment = try LogisticExperiment(stochastic: true, maxEpochs: 3)
    #expect(experiment.rates == LogisticExperiment.assignmentRates)
    let result = experiment.run()
    #expect(result.stochasticRuns.count == 5)
    #expect(result.stochasticRuns.allSatisfy { !$0.iterationNegativeLogLikelihood.isEmpty })
  }
}
