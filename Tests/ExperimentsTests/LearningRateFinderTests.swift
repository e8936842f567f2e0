import Foundation
import NN
import TensorCore
import Testing

@testable import Experiments

@Suite("Learning-rate finder")
struct LearningRateFinderTests {
  @Test("valley and steepest follow fastai's rules on hand-made curves")
  func suggestions() {
    let rates: [Float] = (0..<8).map { Float(pow(10, Double($0) - 7)) }
    // Falls from index 1 to 6 (the longest descent), then rises; fastest fall between 3 and 4.
    let losses: [Double] = [2.0, 2.1, 2.0, 1.9, 1.2, 1.1, 1.0, 3.0]
    #expect(LearningRateFinder.steepest(rates: rates, losses: losses) == rates[4])
    // fastai: lds ends at index 6 with length 6 → max_start 0; sections 2 → index 0 + 2 + 1.
    #expect(LearningRateFinder.valley(rates: rates, losses: losses) == rates[3])
    #expect(LearningRateFinder.valley(rates: [1, 2], losses: [1, 0]) == nil)
  }

  @Test(
    "a sweep on separable features: rates grow exponentially to the end, the valley lowers the loss"
  )
  func sweep() throws {
    var generator = SeededGenerator(seed: 5)
    var scalars: [Float] = []
    var labels: [Int] = []
    for row in 0..<192 {
      labels.append(row % 3)
      scalars += (0..<8).map { axis in (axis == row % 3 ? 3 : 0) + generator.nextNormal() }
    }
    let train = FeatureCache(
      key: FeatureCacheKey(
        weights: "synthetic", dataset: "blobs", split: "train", transform: "none", featureCount: 8),
      features: Tensor(shape: [192, 8], scalars: scalars), labels: labels)
    var finder = LearningRateFinder()
    finder.steps = 80
    let result = try finder.run(
      HeadTrainer(specification: try HeadSpecification(parsing: "")), train: train, classCount: 3)
    #expect(result.rates.first == 1e-7)
    #expect(result.rates.count == result.losses.count && result.rates.count >= 20)
    if !result.diverged { #expect(result.rates.last.map { abs($0 - 10) < 1e-4 } == true) }
    for (a, b) in zip(result.rates, result.rates.dropFirst()) { #expect(b > a) }
    let valley = try #require(result.valley)
    #expect(valley > 1e-4 && valley < 10, "valley \(valley)")
    // The loss at the valley is below the starting loss.
    let index = try #require(result.rates.firstIndex(of: valley))
    #expect(result.losses[index] < result.losses[0])
  }
}
