import TestSupport
import Testing

@testable import TensorCore

/// Every differentiable primitive's backward against central finite differences.
@Suite("Backward passes against finite differences")
struct GradientCheckTests {
  var generator = SeededGenerator(seed: 42)

  mutating func random(_ shape: [Int], scale: Float = 1) -> Tensor {
    Tensor.randomNormal(shape, standardDeviation: scale, using: &generator)
  }

  /// A fixed random weighting turns any output into a scalar with a non-trivial gradient.
  mutating func weighted(_ output: Tensor) -> Tensor {
    (output
      * Tensor(shape: output.shape, scalars: (0..<output.count).map { Float($0 % 7) * 0.3 - 0.8 }))
      .sum()
  }

  func expectGradientsMatch(
    _ report: GradientCheck.Report, tolerance: Double = 2e-3, _ name: String
  ) {
    #expect(report.maximumError < tolerance, "\(name): max error \(report.maximumError)")
  }

  @Test("binary operations with and without broadcasting")
  mutating func binary() {
    let cases: [([Int], [Int])] = [
      ([2, 3], [2, 3]), ([2, 3], [3]), ([2, 3], [2, 1]), ([4, 1, 3], [2, 1]), ([], [2, 2]),
    ]
    for (shapeA, shapeB) in cases {
      let a = random(shapeA)
      let b = random(shapeB) + 3  // keep divisors away from zero
      let weights = Tensor(
        shape: Broadcasting.shape(shapeA, shapeB)!,
        scalars: (0..<Broadcasting.shape(shapeA, shapeB)!.reduce(1, *)).map { Float($0 % 5) - 2 })
      for (name, op) in [
        ("+", { (x: Tensor, y: Tensor) in x + y }), ("-", { $0 - $1 }), ("*", { $0 * $1 }),
        ("/", { $0 / $1 }),
      ] as [(String, (Tensor, Tensor) -> Tensor)] {
        let report = GradientCheck.check([a, b]) { (op($0[0], $0[1]) * weights).sum() }
        expectGradientsMatch(report, "\(name) \(shapeA) \(shapeB)")
      }
    }
    let a = random([3, 4])
    let b = random([4]) + 0.05
    expectGradientsMatch(
      GradientCheck.check([a, b], step: 1e-3) { Tensor.maximum($0[0], $0[1]).sum() }, "maximum")
  }

  @Test("unary operations")
  mutating func unary() {
    let x = random([3, 4])
    let positive = x.abs() + 0.5
    let unary: [(String, Tensor, (Tensor) -> Tensor)] = [
      ("exp", x, { $0.exp() }), ("log", positive, { $0.log() }), ("sqrt", positive, { $0.sqrt() }),
      ("squared", x, { $0.squared() }), ("relu", x, { $0.relu() }),
      ("sigmoid", x, { $0.sigmoid() }),
      ("tanh", x, { $0.tanh() }), ("softplus", x * 4, { $0.softplus() }),
      ("logSigmoid", x * 4, { $0.logSigmoid() }),
      ("negate", x, { -$0 }), ("pow 3", x, { $0.pow(3) }), ("abs", x, { $0.abs() }),
      ("clamp", x, { $0.clamped(lower: -0.5, upper: 0.5) }),
    ]
    for (name, input, function) in unary {
      expectGradientsMatch(
        GradientCheck.check([input], step: 1e-3) { weighted(function($0[0])) }, name)
    }
  }

  @Test("reductions")
  mutating func reductions() {
    let x = random([2, 3, 4])
    let checks: [(String, (Tensor) -> Tensor)] = [
      ("sum", { $0.sum() }), ("mean", { $0.mean() }),
      ("sum axis 1", { $0.sum(alongAxis: 1) }),
      ("sum axes 0,2 keep", { $0.sum(alongAxes: [0, 2], keepingDimensions: true) }),
      ("mean axis -1", { $0.mean(alongAxis: -1) }), ("max axis 1", { $0.max(alongAxis: 1) }),
    ]
    for (name, function) in checks {
      expectGradientsMatch(GradientCheck.check([x], step: 1e-3) { weighted(function($0[0])) }, name)
    }
  }

  @Test("matmul, plain and batched with broadcasting")
  mutating func matmul() {
    let cases: [([Int], [Int])] = [
      ([3, 4], [4, 2]), ([2, 3, 4], [2, 4, 5]), ([2, 3, 4], [4, 5]), ([3, 4], [2, 4, 5]),
      ([1, 7], [7, 1]),
    ]
    for (shapeA, shapeB) in cases {
      let report = GradientCheck.check([random(shapeA), random(shapeB)]) {
        weighted($0[0].matmul($0[1]))
      }
      expectGradientsMatch(report, "matmul \(shapeA) \(shapeB)")
    }
  }

  @Test("movement: reshape, permute, transpose, broadcast, concatenate, slice, gather")
  mutating func movement() {
    let x = random([2, 3, 4])
    let y = random([2, 2, 4])
    let checks: [(String, ([Tensor]) -> Tensor)] = [
      ("reshape", { $0[0].reshaped(to: [6, -1]) }), ("permute", { $0[0].permuted([2, 0, 1]) }),
      ("transpose", { $0[0].transposed() }),
      ("broadcast", { $0[0].slice(alongAxis: 1, 0..<1).broadcast(to: [3, 2, 3, 4]) }),
      ("concatenate", { Tensor.concatenate([$0[0], $0[1]], alongAxis: 1) }),
      ("slice", { $0[0].slice(alongAxis: 2, 1..<3) }), ("gather", { $0[0].gatherRows([1, 0, 1]) }),
      ("flatten", { $0[0].flattened(from: 1) }),
    ]
    for (name, function) in checks {
      expectGradientsMatch(GradientCheck.check([x, y]) { weighted(function($0)) }, name)
    }
  }

  @Test("softmax and log-softmax along each axis")
  mutating func softmax() {
    let x = random([3, 4, 2], scale: 2)
    for axis in 0..<3 {
      expectGradientsMatch(
        GradientCheck.check([x], step: 1e-3) { weighted($0[0].softmax(alongAxis: axis)) },
        "softmax \(axis)")
      expectGradientsMatch(
        GradientCheck.check([x], step: 1e-3) { weighted($0[0].logSoftmax(alongAxis: axis)) },
        "logSoftmax \(axis)")
    }
  }
}
