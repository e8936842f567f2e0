/// Central finite differences, the independent reference for every backward pass.
public enum GradientCheck {
  /// The result of comparing an analytic gradient with finite differences.
  public struct Report: Sendable {
    /// The largest |analytic − numeric| / max(1, |numeric|) over all inputs and elements.
    public let maximumError: Double
    /// Per input: the finite-difference gradient.
    public let numeric: [[Double]]
    /// Per input: the gradient from `backward()`.
    public let analytic: [[Double]]
  }

  /// Compares `backward()` of the scalar `function(inputs)` with central differences
  /// `(f(x + h) − f(x − h)) / 2h`, where f is evaluated in Float and the difference in Double.
  public static func check(
    _ inputs: [Tensor], step: Float = 1e-2, _ function: ([Tensor]) -> Tensor
  ) -> Report {
    let leaves = inputs.map { $0.detached.requiringGradient() }
    let output = function(leaves)
    precondition(output.count == 1, "GradientCheck: the function must return a scalar")
    output.backward()
    let analytic = leaves.map { leaf in
      (leaf.gradient?.scalars ?? [Float](repeating: 0, count: leaf.count)).map(Double.init)
    }
    var numeric: [[Double]] = []
    var worst = 0.0
    for (inputIndex, input) in inputs.enumerated() {
      var column = [Double](repeating: 0, count: input.count)
      for element in 0..<input.count {
        func evaluate(_ delta: Float) -> Double {
          var shifted = inputs.map(\.detached)
          var values = shifted[inputIndex].scalars
          values[element] += delta
          shifted[inputIndex] = Tensor(shape: input.shape, scalars: values)
          return Double(Autograd.withoutGradient { function(shifted) }.item)
        }
        let slope = (evaluate(step) - evaluate(-step)) / (2 * Double(step))
        column[element] = slope
        let error =
          Swift.abs(analytic[inputIndex][element] - slope) / Swift.max(1, Swift.abs(slope))
        worst = Swift.max(worst, error)
      }
      numeric.append(column)
    }
    return Report(maximumError: worst, numeric: numeric, analytic: analytic)
  }
}
