import Foundation
import NN
import Plotting
import TensorCore

/// fastai's learning-rate finder (`learn.lr_find()`) on cached features: a fresh head trains for
/// up to `steps` batches while the rate grows exponentially from `start` to `end`; the loss,
/// smoothed as fastai smooths it (an exponential moving average with β = 0.98, debiased), is
/// recorded against the rate until it passes 4× its minimum. Two suggestions, as fastai's:
/// `steepest` (where the smoothed loss falls fastest per decade) and `valley` (two thirds into the
/// longest stretch of falling loss). Seconds on cached features.
public struct LearningRateFinder {
  /// The first rate.
  public var start: Float = 1e-7
  /// The last rate.
  public var end: Float = 10
  /// Batches swept (fastai's `num_it`).
  public var steps = 100

  /// What a sweep measured and suggests.
  public struct Result: Sendable {
    /// The rate of each batch.
    public var rates: [Float] = []
    /// The smoothed loss after each batch.
    public var losses: [Double] = []
    /// Where the smoothed loss falls fastest (nil for fewer than 3 points).
    public var steepest: Float?
    /// Two thirds into the longest run of falling loss (nil for fewer than 3 points).
    public var valley: Float?
    /// Whether the sweep stopped because the loss diverged (4× its minimum, or not finite).
    public var diverged = false
  }

  /// A finder with fastai's defaults.
  public init() {}

  /// The rate of batch `step` (0-based) of the sweep.
  public func rate(at step: Int) -> Float {
    let fraction = Double(step) / Double(Swift.max(steps - 1, 1))
    return Float(Double(start) * Foundation.pow(Double(end) / Double(start), fraction))
  }

  /// Sweeps a fresh head of `trainer`'s specification, optimizer and batch size over `train`
  /// (shuffled with the trainer's seed, epoch after epoch when it has fewer batches than steps).
  ///
  /// - Throws: `HeadTrainingError` for unusable features or settings.
  public func run(_ trainer: HeadTrainer, train: FeatureCache, classCount: Int) throws -> Result {
    guard steps >= 3, start > 0, end > start, start.isFinite, end.isFinite else {
      throw HeadTrainingError(
        description:
          "the finder needs at least 3 steps and 0 < start < end, got \(steps), \(start), \(end)")
    }
    let settings = trainer.configuration
    let rows = train.labels.count
    guard rows > 0, train.labels.allSatisfy({ (0..<classCount).contains($0) }) else {
      throw HeadTrainingError(description: "the training features are empty or mislabelled")
    }
    let head = trainer.makeHead(inputFeatures: train.key.featureCount, classCount: classCount)
    let optimizer = trainer.makeOptimizer(for: head)
    head.train()
    let batchSize = Swift.max(settings.batchSize, 1)
    let batchesPerEpoch = (rows + batchSize - 1) / batchSize
    var result = Result()
    var average = 0.0
    var best = Double.infinity
    for step in 0..<steps {
      let (epoch, batch) = (step / batchesPerEpoch + 1, step % batchesPerEpoch)
      let order = HeadTrainer.shuffledOrder(rows: rows, seed: settings.seed, epoch: epoch)
      let indices = Array(order[(batch * batchSize)..<Swift.min((batch + 1) * batchSize, rows)])
      let rate = self.rate(at: step)
      for index in optimizer.groups.indices { optimizer.groups[index].learningRate = rate }
      optimizer.zeroGradients()
      HeadTrainer.reseedDropouts(in: head, seed: settings.seed, epoch: epoch, batch: batch)
      let labels = indices.map { train.labels[$0] }
      let (loss, _) = HeadTrainer.lossAndGradients(
        labels: labels, labelSmoothing: settings.labelSmoothing
      ) { head(train.features.gatherRows(indices)) }
      guard loss.isFinite else {
        result.diverged = true
        break
      }
      optimizer.step()
      average = 0.98 * average + 0.02 * Double(loss)
      let smoothed = average / (1 - Foundation.pow(0.98, Double(step + 1)))
      result.rates.append(rate)
      result.losses.append(smoothed)
      best = Swift.min(best, smoothed)
      if smoothed > 4 * best {
        result.diverged = true
        break
      }
    }
    // As fastai: the suggestions skip the first tenth of the sweep (the smoothing's warm-up)
    // and its last five batches (the blow-up).
    let kept = (steps / 10)..<Swift.max(steps / 10, result.rates.count - 5)
    let (rates, losses) = (Array(result.rates[kept]), Array(result.losses[kept]))
    result.steepest = Self.steepest(rates: rates, losses: losses)
    result.valley = Self.valley(rates: rates, losses: losses)
    return result
  }

  /// fastai's `steep`: the rate where the loss falls fastest per decade of rate (the most
  /// negative finite difference of the loss against log10 of the rate).
  static func steepest(rates: [Float], losses: [Double]) -> Float? {
    guard rates.count >= 3 else { return nil }
    var bestIndex: Int?
    var bestSlope = Double.infinity
    for index in 1..<rates.count {
      let run = Foundation.log10(Double(rates[index])) - Foundation.log10(Double(rates[index - 1]))
      guard run > 0 else { continue }
      let slope = (losses[index] - losses[index - 1]) / run
      if slope < bestSlope {
        bestSlope = slope
        bestIndex = index
      }
    }
    return bestIndex.map { rates[$0] }
  }

  /// fastai's `valley`: the longest strictly decreasing subsequence of the loss, and the rate a
  /// third and a sixth of its length past its start (fastai's `max_start + sections + sections/2`).
  static func valley(rates: [Float], losses: [Double]) -> Float? {
    let count = losses.count
    guard count >= 3 else { return nil }
    var lengths = [Int](repeating: 1, count: count)
    var (maxStart, maxEnd) = (0, 0)
    for i in 1..<count {
      for j in 0..<i {
        if losses[i] < losses[j] && lengths[i] < lengths[j] + 1 { lengths[i] = lengths[j] + 1 }
        // Inside the inner loop, as fastai has it (the start can be fixed mid-way).
        if lengths[maxEnd] < lengths[i] {
          maxEnd = i
          maxStart = maxEnd - lengths[maxEnd]
        }
      }
    }
    let sections = Double(maxEnd - maxStart) / 3
    let index = Swift.min(count - 1, Swift.max(0, maxStart + Int(sections) + Int(sections / 2)))
    return rates[index]
  }

  /// Loss against rate on a log axis, with both suggestions marked.
  public static func figure(_ result: Result) -> Figure {
    var axes = Axes(xLabel: "learning rate (log scale)", yLabel: "smoothed training loss")
    axes.xScale = .log10
    axes.addLine(x: result.rates.map(Double.init), y: result.losses, label: "loss")
    if let steepest = result.steepest {
      axes.addVerticalLine(
        at: Double(steepest), text: String(format: "steepest %.1e", steepest), color: .red,
        label: "steepest")
    }
    if let valley = result.valley {
      axes.addVerticalLine(
        at: Double(valley), text: String(format: "valley %.1e", valley), color: .green,
        label: "valley")
    }
    return Figure(title: "Learning-rate finder", axes: axes)
  }
}
