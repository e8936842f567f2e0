import Checkpoints
import Foundation
import TestSupport
import Testing

@testable import NN

@Suite("Learning-rate schedules against PyTorch's schedulers")
struct LearningRateScheduleTests {
  /// `scripts/fixtures/make_schedule_fixtures.py`.
  func reference(_ name: String) throws -> [Float] {
    let url = try #require(Bundle.module.resourceURL)
      .appendingPathComponent("Fixtures").appendingPathComponent("schedule_reference.safetensors")
    return try SafetensorsFile.read(from: url).tensor(named: name).scalars
  }

  @Test(
    "cosine with warm-up and one-cycle equal PyTorch's rates at every step",
    arguments: [
      ("cosine", LearningRateSchedule.cosine, 50, 0.1),
      ("onecycle", .oneCycle, 50, 0.3),
      ("onecycle_odd", .oneCycle, 37, 0.25),
    ])
  func matchesPyTorch(name: String, schedule: LearningRateSchedule, total: Int, warmup: Double)
    throws
  {
    let expected = try reference(name)
    #expect(expected.count == total)
    let ours = (0..<total).map {
      schedule.rate(step: $0, totalSteps: total, warmup: warmup, base: 0.1)
    }
    expectClose(ours, expected, absolute: 1e-9, relative: 1e-5, "\(name)")
  }

  @Test("constant is the base rate; an optimizer's groups follow, each from its own base")
  func groups() {
    #expect(
      LearningRateSchedule.constant.rate(step: 7, totalSteps: 10, warmup: 0, base: 0.3) == 0.3)
    let sgd = SGD(
      [ParameterGroup([Parameter(.zeros([1]))]), ParameterGroup([Parameter(.zeros([1]))])],
      learningRate: 1)
    sgd.schedule(.cosine, step: 0, totalSteps: 10, warmup: 0, baseRates: [1, 0.1])
    #expect(sgd.groups.map(\.learningRate) == [1, 0.1])
    sgd.schedule(.cosine, step: 5, totalSteps: 10, warmup: 0, baseRates: [1, 0.1])
    #expect(sgd.groups[0].learningRate.map { abs($0 - 0.5) < 1e-6 } == true)
    #expect(sgd.groups[1].learningRate.map { abs($0 - 0.05) < 1e-7 } == true)
  }
}
