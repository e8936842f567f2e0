import Foundation
import Plotting

/// The learning-rate comparison (Part 3.2) and the GD-versus-SGD comparison (Part 3.3).
public struct LogisticComparison: Sendable {
  /// The NLL both optimisers must reach: 1% above the main run's final NLL.
  public var target: Double
  /// η of the main run, whose final NLL sets the target.
  public var mainRate: Double
  /// Gradient-descent runs, one per rate.
  public var gradientDescent: [LogisticTrajectory]
  /// SGD runs, one per rate (may be empty).
  public var stochastic: [LogisticTrajectory]

  /// Compares the runs of `result`.
  public init(_ result: LogisticResult) {
    target = result.main.finalNegativeLogLikelihood * 1.01
    mainRate = result.main.learningRate
    gradientDescent = result.rateRuns
    stochastic = result.stochasticRuns
  }

  /// Epochs, gradient evaluations and seconds to reach `target`, or nil.
  public func cost(_ run: LogisticTrajectory) -> (epochs: Int, evaluations: Int, seconds: Double?)?
  {
    guard let index = run.firstEpoch(reaching: target) else { return nil }
    let seconds = index == 0 ? 0 : (run.seconds.count >= index ? run.seconds[index - 1] : nil)
    return (index, index * run.rowCount, seconds)
  }

  /// Epochs `i ≥ 1` of `run` whose NLL is above epoch `i − 1`'s.
  static func rises(_ run: LogisticTrajectory) -> Int {
    let nll = run.negativeLogLikelihood
    return nll.indices.dropFirst().filter { nll[$0] > nll[$0 - 1] }.count
  }

  /// Table of epochs run and final NLL per rate (GD, and SGD when run); each header names
  /// what its column holds and in which unit.
  public func rateTable() -> Table {
    let goal = "NLL ≤ \(LogisticProse.number(target, 4))"
    var table = Table(
      columns: [
        .init("method"), .init("η", alignment: .right), .init("epochs run", alignment: .right),
        .init("stopped by"), .init("final NLL", alignment: .right),
        .init("lowest NLL", alignment: .right),
        .init("epochs with NLL rising", alignment: .right),
        .init("epochs to target", alignment: .right),
        .init("gradient evaluations to target", alignment: .right),
        .init("time to target (ms)", alignment: .right),
      ],
      caption:
        "Gradient descent (GD) and stochastic gradient descent (SGD) per learning rate η; target: \(goal)"
    )
    for run in gradientDescent + stochastic {
      let reached = cost(run)
      table.append([
        run.method.rawValue, LogisticProse.rate(run.learningRate), "\(run.epochs)",
        run.stopReason == .tolerance
          ? "tolerance" : run.stopReason == .maxEpochs ? "epoch limit" : "diverged",
        LogisticProse.number(run.finalNegativeLogLikelihood, 4),
        LogisticProse.number(run.negativeLogLikelihood.min() ?? .nan, 4),
        "\(Self.rises(run))",
        reached.map { "\($0.epochs)" } ?? "not reached", reached.map { "\($0.evaluations)" } ?? "—",
        reached?.seconds.map { LogisticProse.number($0 * 1000, 2) } ?? "—",
      ])
    }
    return table
  }

  /// "Compare these results. What are the relative advantages of the different rates?" as text.
  public func rateAnswer() -> String { LogisticProse.plainText(rateAnswerHTML()) }

  /// The rate answer as an HTML fragment; every claim is checked against the runs.
  public func rateAnswerHTML() -> String {
    let r = LogisticProse.rate
    let f = LogisticProse.number
    guard
      let best = gradientDescent.min(by: {
        $0.finalNegativeLogLikelihood < $1.finalNegativeLogLikelihood
      }),
      let slowest = gradientDescent.max(by: {
        $0.finalNegativeLogLikelihood < $1.finalNegativeLogLikelihood
      })
    else { return "No learning rates were compared." }
    let oscillating = gradientDescent.filter { Self.rises($0) > 0 }
    let monotone = gradientDescent.filter { Self.rises($0) == 0 }
    let bestOscillates = Self.rises(best) > 0
    var sentences: [String] = []
    sentences.append(
      "After at most \(gradientDescent.map(\.epochs).max() ?? 0) epochs the largest-progress rate is η = "
        + "\(r(best.learningRate)) (NLL \(f(best.finalNegativeLogLikelihood, 4))) and the least is η = "
        + "\(r(slowest.learningRate)) (NLL \(f(slowest.finalNegativeLogLikelihood, 4))).")
    // The last epoch at which another rate was still below the eventual winner.
    var overtaken: (rate: Double, epoch: Int)?
    for other in gradientDescent where other.learningRate != best.learningRate {
      let shared = min(other.epochs, best.epochs)
      if let last = (0..<shared).last(where: {
        other.negativeLogLikelihood[$0] < best.negativeLogLikelihood[$0]
      }), last + 1 > (overtaken?.epoch ?? 0) {
        overtaken = (other.learningRate, last + 1)
      }
    }
    if let overtaken {
      sentences.append(
        "But η = \(r(best.learningRate)) only stays ahead of η = \(r(overtaken.rate)) from epoch "
          + "\(overtaken.epoch) on"
          + (bestOscillates
            ? ": before that its oscillation costs more than its longer steps gain."
            : "."))
    }
    let largestMonotone = monotone.map(\.learningRate).max() ?? -.infinity
    let smallestOscillating = oscillating.map(\.learningRate).min() ?? .infinity
    let split = smallestOscillating > largestMonotone
    if !oscillating.isEmpty {
      let list = oscillating.map { r($0.learningRate) }.joined(separator: ", ")
      sentences.append(
        (split && !monotone.isEmpty ? "The larger steps (η = \(list))" : "The runs at η = \(list)")
          + " overshoot across the valley: their NLL rises in some epochs ("
          + oscillating.map { "\(Self.rises($0)) at η = \(r($0.learningRate))" }.joined(
            separator: ", ")
          + ").")
    }
    if !monotone.isEmpty {
      let list = monotone.map { r($0.learningRate) }.joined(separator: ", ")
      let behind = monotone.filter {
        $0.finalNegativeLogLikelihood > best.finalNegativeLogLikelihood + 1e-4
      }
      let ends = behind.map {
        "η = \(r($0.learningRate)) at \(f($0.finalNegativeLogLikelihood, 4))"
      }
      .joined(separator: ", ")
      if split && !oscillating.isEmpty {
        sentences.append(
          "The smaller steps (η = \(list)) decrease the NLL monotonically, every epoch"
            + (behind.isEmpty ? "." : ", but end higher: \(ends)."))
      } else {
        sentences.append(
          "At η = \(list) the NLL fell monotonically, every epoch"
            + (behind.isEmpty ? "." : "; ending higher than the best: \(ends)."))
      }
    }
    let lowest = gradientDescent.map { $0.negativeLogLikelihood.min() ?? .infinity }.min() ?? .nan
    let early = gradientDescent.filter {
      $0.stopReason == .tolerance && $0.finalNegativeLogLikelihood > lowest + 0.01
    }
    for run in early {
      sentences.append(
        "η = \(r(run.learningRate)) stopped by the tolerance rule after \(run.epochs) epochs at NLL "
          + "\(f(run.finalNegativeLogLikelihood, 4)), well above the best \(f(lowest, 4)): a small NLL change "
          + "between two epochs does not mean convergence"
          + (Self.rises(run) > 0
            ? " (here it happened at a turning point of the oscillation)."
            : " (here the steps had simply become tiny)."))
    }
    let limited = gradientDescent.filter { $0.stopReason == .maxEpochs }
    if !limited.isEmpty {
      sentences.append(
        "η = " + limited.map { r($0.learningRate) }.joined(separator: ", ")
          + " hit the epoch limit without meeting the tolerance.")
    }
    let diverged = gradientDescent.filter { $0.stopReason == .diverged }
    if !diverged.isEmpty {
      sentences.append(
        "η = " + diverged.map { r($0.learningRate) }.joined(separator: ", ")
          + " diverged: the weights stopped being finite.")
    }
    let largest = gradientDescent.max { $0.learningRate < $1.learningRate }
    if let largest, largest.learningRate == best.learningRate, !oscillating.isEmpty, split {
      sentences.append(
        "In short: here a larger η bought speed at the price of oscillation; a smaller η bought a "
          + "monotone, trustworthy descent at the price of many more epochs.")
    } else if oscillating.isEmpty, let largest, largest.learningRate == best.learningRate {
      sentences.append(
        "In short: no rate oscillated on these data, so the largest η was simply the fastest.")
    } else if let largest, largest.learningRate != best.learningRate {
      sentences.append(
        "In short: the largest rate, η = \(r(largest.learningRate)), is not the best here: past a point, "
          + "longer steps overshoot more than they advance.")
    }
    return sentences.joined(separator: " ")
  }

  /// The SGD answer as an HTML fragment; every claim is checked against the runs.
  public func stochasticAnswerHTML() -> String {
    let r = LogisticProse.rate
    let f = LogisticProse.number
    guard !stochastic.isEmpty else { return "SGD was not run." }
    func best(_ runs: [LogisticTrajectory]) -> (
      LogisticTrajectory, (epochs: Int, evaluations: Int, seconds: Double?)
    )? {
      runs.compactMap { run in cost(run).map { (run, $0) } }.min { $0.1.epochs < $1.1.epochs }
    }
    let rows = stochastic[0].rowCount
    var sentences = [
      "Target: NLL ≤ \(f(target, 4)) (1% above where gradient descent at η = \(r(mainRate)) stops). One "
        + "epoch costs \(rows) per-sample gradient evaluations for both methods, but GD makes 1 weight "
        + "update per epoch and SGD makes \(rows)."
    ]
    let gd = best(gradientDescent)
    let sgd = best(stochastic)
    func describe(
      _ name: String,
      _ entry: (LogisticTrajectory, (epochs: Int, evaluations: Int, seconds: Double?))?
    ) -> String {
      guard let (run, cost) = entry else {
        return "\(name) never reaches it within the epoch limit"
      }
      return
        "\(name) reaches it fastest at η = \(r(run.learningRate)) after \(cost.epochs) epochs "
        + "(\(cost.evaluations) gradient evaluations"
        + (cost.seconds.map { ", \(f($0 * 1000, 2)) ms" } ?? "") + ")"
    }
    sentences.append(describe("SGD", sgd) + "; " + describe("GD", gd) + ".")
    if let (_, s) = sgd, let (_, g) = gd {
      let ratio = Double(g.epochs) / Double(max(1, s.epochs))
      var sentence =
        ratio > 1
        ? "So in epochs and gradient evaluations SGD is about \(f(ratio, 1))× faster"
        : "So in epochs SGD is not faster here"
      if let ss = s.seconds, let gs = g.seconds {
        let epochRatio = perEpoch(stochastic) / max(perEpoch(gradientDescent), 1e-12)
        let why =
          epochRatio > 1.05
          ? ", because its \(rows) updates are sequential while GD's single pass vectorises"
          : ""
        let clock =
          ss < gs
          ? (ratio > 1 ? "also faster" : "faster nonetheless")
          : (ratio > 1 ? "slower" : "also slower")
        sentence +=
          ", and in wall-clock time \(clock) (\(f(ss * 1000, 2)) ms vs \(f(gs * 1000, 2)) ms; an SGD epoch "
          + "costs \(f(epochRatio, 1))× a GD epoch\(why))."
      } else {
        sentence += "."
      }
      sentences.append(sentence)
    } else if sgd != nil {
      sentences.append("So SGD is faster: GD does not get there at all within the limit.")
    } else if gd != nil {
      sentences.append("So SGD is not faster here: only GD gets there within the limit.")
    } else {
      sentences.append("Neither method reaches the target within the limit at any of these rates.")
    }
    for run in stochastic
    where run.stopReason == .tolerance && run.finalNegativeLogLikelihood > target {
      sentences.append(
        "The tolerance rule stopped SGD at η = \(r(run.learningRate)) after \(run.epochs) epochs at NLL "
          + "\(f(run.finalNegativeLogLikelihood, 4)), above the target: with per-sample updates a small "
          + "change between two epoch-start NLLs is a coincidence of the noise, not convergence.")
    }
    let noisy = stochastic.filter { Self.rises($0) > $0.epochs / 10 }
    if !noisy.isEmpty {
      // "The larger the step, the noisier" only when the mean epoch-to-epoch change grows with η.
      let byRate = stochastic.sorted { $0.learningRate < $1.learningRate }.map(Self.meanChange)
      let growing = byRate.count > 1 && zip(byRate, byRate.dropFirst()).allSatisfy { $0 <= $1 }
      sentences.append(
        "SGD's NLL is noisy"
          + (growing ? ", the more so the larger the step" : "")
          + " (η = " + noisy.map { r($0.learningRate) }.joined(separator: ", ")
          + " rise in more than a tenth of their epochs; mean change between epochs "
          + stochastic.map {
            "\(LogisticProse.scientific(Self.meanChange($0), 1)) at η = \(r($0.learningRate))"
          }
          .joined(separator: ", ")
          + "): each update follows one sample's gradient, so the iterate keeps jittering around the "
          + "minimum instead of settling; a decaying step size would be needed to converge exactly."
      )
    } else {
      sentences.append(
        "SGD's epoch-level NLL is fairly smooth here: no rate rises in more than a tenth of its epochs."
      )
    }
    return sentences.joined(separator: " ")
  }

  /// Mean |NLL[i] − NLL[i − 1]| over a run's epochs.
  static func meanChange(_ run: LogisticTrajectory) -> Double {
    let nll = run.negativeLogLikelihood
    guard nll.count > 1 else { return 0 }
    return zip(nll, nll.dropFirst()).map { Swift.abs($1 - $0) }.reduce(0, +) / Double(nll.count - 1)
  }

  /// Median seconds per epoch over runs that were timed.
  func perEpoch(_ runs: [LogisticTrajectory]) -> Double {
    let values = runs.compactMap { run in run.totalSeconds.map { $0 / Double(max(1, run.epochs)) } }
      .sorted()
    return values.isEmpty ? 0 : values[values.count / 2]
  }
}
