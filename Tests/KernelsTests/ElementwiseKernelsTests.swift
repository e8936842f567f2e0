import Kernels
import TestSupport
import Testing

@Suite("ElementwiseKernels")
struct ElementwiseKernelsTests {
  @Test(
    "broadcast binary equals the naive walker",
    arguments: [
      ([3, 4], [3, 4], [3, 4]), ([3, 4], [1, 4], [3, 4]), ([3, 4], [3, 1], [3, 4]),
      ([1], [5, 7], [5, 7]),
      ([2, 1, 5], [3, 1], [2, 3, 5]), ([1, 33], [17, 1], [17, 33]), ([70_000], [1], [70_000]),
      ([300, 257], [257], [300, 257]),
    ])
  func broadcastAgainstNaive(shapes: ([Int], [Int], [Int])) {
    let (shapeA, shapeB, output) = shapes
    func strides(_ shape: [Int]) -> [Int] {
      let own = ElementwiseKernels.contiguousStrides(shape)
      let pad = output.count - shape.count
      return (0..<output.count).map { $0 < pad ? 0 : (shape[$0 - pad] == 1 ? 0 : own[$0 - pad]) }
    }
    let a = randomValues(shapeA.reduce(1, *), seed: 3)
    let b = randomValues(shapeB.reduce(1, *), seed: 4)
    for operation in [BinaryOperation.add, .subtract, .multiply, .divide, .maximum, .minimum] {
      let fast = ElementwiseKernels.binary(
        operation, a, aStrides: strides(shapeA), b, bStrides: strides(shapeB), outputShape: output)
      let naive = ElementwiseKernels.naiveBinary(
        operation, a, aStrides: strides(shapeA), b, bStrides: strides(shapeB), outputShape: output)
      #expect(fast == naive, "\(operation) \(shapeA) ⊕ \(shapeB)")
    }
  }

  @Test("unary kernels on hand-checked values, finite at extremes")
  func unaryValues() {
    let x: [Float] = [-100, -1, 0, 1, 100]
    #expect(ElementwiseKernels.unary(.relu, x) == [0, 0, 0, 1, 100])
    let sigmoid = ElementwiseKernels.unary(.sigmoid, x)
    expectClose(sigmoid, [0, 0.268_941_42, 0.5, 0.731_058_58, 1], absolute: 1e-7)
    let softplus = ElementwiseKernels.unary(.softplus, x)
    // softplus(±100) = 100 / 0 within float; softplus(0) = log 2; softplus(1) = 1.3132617
    expectClose(softplus, [0, 0.313_261_69, 0.693_147_18, 1.313_261_7, 100], absolute: 1e-6)
    #expect(softplus.allSatisfy { $0.isFinite })
  }

  @Test("a large unary input is processed in parallel chunks identically")
  func parallelUnary() {
    let x = randomValues(200_003, seed: 9)
    let fast = ElementwiseKernels.unary(.square, x)
    #expect(fast == x.map { $0 * $0 })
  }
}

@Suite("ReLU and NaN")
struct ReLUNaNTests {
  @Test("relu keeps NaN, as torch.relu does, so divergence stays visible")
  func nanPropagates() {
    let y = ElementwiseKernels.unary(.relu, [.nan, -1, 2])
    #expect(y[0].isNaN && y[1] == 0 && y[2] == 2)
  }
}
