import Foundation
import Kernels
import TestSupport
import Testing

@Suite("VectorMath")
struct VectorMathTests {
  @Test("vector exp is within 2 ulp of libm's expf on [−87, 88] and handles the edges")
  func exponential() {
    var inputs: [Float] = stride(from: -87.0, through: 88.0, by: 0.013).map { Float($0) }
    inputs += [0, -0.0, 1, -1, 1e-8, -1e-8, 0.5, 88.7, -87.3]
    let fast = VectorMath.exp(inputs)
    for (x, y) in zip(inputs, fast) {
      let reference = Foundation.exp(x)
      #expect(Swift.abs(y - reference) <= 2 * reference.ulp, "exp(\(x)) = \(y), expf \(reference)")
    }
    let edges = VectorMath.exp([-1000, -88, 1000, .infinity, -.infinity, 1, 0, 3])
    #expect(edges[0] == 0 && edges[1] == 0)
    #expect(edges[2] == .infinity && edges[3] == .infinity && edges[4] == 0)
    #expect(Swift.abs(edges[5] - 2.718_281_8) < 1e-6 && edges[6] == 1)
    #expect(Swift.abs(edges[7] - 20.085_537) < 1e-5)
  }
}
