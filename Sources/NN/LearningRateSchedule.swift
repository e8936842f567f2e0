import Foundation

/// How the learning rate moves over a run, step by step (one step per batch), equal to PyTorch's
/// schedulers stepped once per batch:
///
/// - `constant`: the base rate throughout.
/// With T steps and a warm-up fraction f:
///
/// - `cosine`: `LinearLR(start_factor=0.01, total_iters=W)` for the first W = round(f·T) steps, then
///   `CosineAnnealingLR(T_max=T−W, eta_min=0)` (PyTorch's `SequentialLR` of the two): a short
///   linear warm-up, then half a cosine down to 0 at the last step.
/// - `oneCycle`: `OneCycleLR(max_lr=base, total_steps=T, pct_start=f, anneal_strategy="cos",
///   div_factor=25, final_div_factor=1e4, cycle_momentum=False)`: from base/25 up to base over the
///   first f·T steps, then down to base/2.5e5, both halves cosine.
///
/// A pure function of the step, so a resumed run continues on the same rates.
public enum LearningRateSchedule: String, Sendable, Codable, CaseIterable {
  case constant
  case cosine
  case oneCycle = "one-cycle"

  /// The rate at 0-based `step` of `totalSteps`, for `base` and the warm-up fraction `warmup`
  /// (cosine: the linear warm-up's share of the steps; one-cycle: the rising half's, PyTorch's
  /// `pct_start`).
  public func rate(step: Int, totalSteps: Int, warmup fraction: Double, base: Float) -> Float {
    let (t, total, base) = (Double(step), Double(totalSteps), Double(base))
    let warmupSteps = Int((fraction * total).rounded())
    let warmup = Double(warmupSteps)
    switch self {
    case .constant:
      return Float(base)
    case .cosine:
      if step < warmupSteps {
        return Float(base * (0.01 + 0.99 * t / warmup))
      }
      let span = Swift.max(total - warmup, 1)
      return Float(base * (1 + cos(Double.pi * (t - warmup) / span)) / 2)
    case .oneCycle:
      let initial = base / 25
      let minimum = initial / 1e4
      // PyTorch's phase ends: pct_start·T − 1 (not rounded), then T − 1.
      let risingEnd = fraction * total - 1
      func anneal(_ start: Double, _ end: Double, _ fraction: Double) -> Double {
        end + (start - end) / 2 * (1 + cos(Double.pi * fraction))
      }
      if t <= risingEnd {
        return Float(anneal(initial, base, risingEnd > 0 ? t / risingEnd : 1))
      }
      let fallingEnd = total - 1
      let fraction = fallingEnd > risingEnd ? (t - risingEnd) / (fallingEnd - risingEnd) : 1
      return Float(anneal(base, minimum, fraction))
    }
  }
}

extension Optimizer {
  /// Sets every group's learning rate to `schedule`'s rate at `step`, each group relative to its
  /// own `baseRates` entry (a backbone group at a tenth of the head's stays at a tenth).
  public func schedule(
    _ schedule: LearningRateSchedule, step: Int, totalSteps: Int, warmup: Double,
    baseRates: [Float]
  ) {
    for index in groups.indices where index < baseRates.count {
      groups[index].learningRate = schedule.rate(
        step: step, totalSteps: totalSteps, warmup: warmup, base: baseRates[index])
    }
  }
}
