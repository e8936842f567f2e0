import Kernels
import TestSupport
import Testing

@Suite("Reduction, softmax and movement kernels")
struct ReductionAndSoftmaxKernelsTests {
  @Test(
    "sum over each axis position equals the naive loop",
    arguments: [(1, 5, 1), (3, 4, 5), (7, 1, 3), (2, 9, 1), (1, 100_000, 1)])
  func sums(view: (Int, Int, Int)) {
    let (outer, axis, inner) = view
    let x = randomValues(outer * axis * inner, seed: 5)
    expectClose(
      ReductionKernels.sum(x, outer: outer, axis: axis, inner: inner),
      ReductionKernels.naiveSum(x, outer: outer, axis: axis, inner: inner), absolute: 1e-5)
  }

  @Test("max and arg-max by hand, NaN propagates")
  func maxima() {
    // [[1, 5, 3], [7, 2, 7]] along axis 1 → [5, 7] at [1, 0] (first on ties)
    let result = ReductionKernels.max([1, 5, 3, 7, 2, 7], outer: 2, axis: 3, inner: 1)
    #expect(result.values == [5, 7])
    #expect(result.indices == [1, 0])
    let withNaN = ReductionKernels.max([1, .nan, 3], outer: 1, axis: 3, inner: 1)
    #expect(withNaN.values[0].isNaN && withNaN.indices == [1])
  }

  @Test(
    "softmax and log-softmax equal the textbook formula",
    arguments: [(2, 3, 1), (3, 4, 5), (1, 10, 1)])
  func softmax(view: (Int, Int, Int)) {
    let (outer, axis, inner) = view
    let x = randomValues(outer * axis * inner, seed: 6).map { $0 * 5 }
    for logarithm in [false, true] {
      expectClose(
        SoftmaxKernels.softmax(x, outer: outer, axis: axis, inner: inner, logarithm: logarithm),
        SoftmaxKernels.naiveSoftmax(
          x, outer: outer, axis: axis, inner: inner, logarithm: logarithm),
        absolute: 1e-6, relative: 1e-5)
    }
  }

  @Test("softmax stays finite for huge logits")
  func stableSoftmax() {
    let p = SoftmaxKernels.softmax([1000, 0, -1000], outer: 1, axis: 3, inner: 1, logarithm: false)
    #expect(p == [1, 0, 0])
    let logP = SoftmaxKernels.softmax(
      [1000, 0, -1000], outer: 1, axis: 3, inner: 1, logarithm: true)
    #expect(logP == [0, -1000, -2000])
  }

  @Test("permute, concatenate, slice and gather by hand")
  func movement() {
    // [[0,1,2],[3,4,5]]ᵀ = [[0,3],[1,4],[2,5]]
    #expect(
      MovementKernels.permute([0, 1, 2, 3, 4, 5], shape: [2, 3], permutation: [1, 0]) == [
        0, 3, 1, 4, 2, 5,
      ])
    let x = (0..<24).map(Float.init)
    // [2,3,4] → [4,2,3]: out[i,j,k] = x[j,k,i] = 12j + 4k + i
    let permuted = MovementKernels.permute(x, shape: [2, 3, 4], permutation: [2, 0, 1])
    #expect(permuted[1 * 6 + 1 * 3 + 2] == Float(12 + 8 + 1))
    #expect(
      MovementKernels.concatenate([[1, 2, 3, 4], [9, 8]], outer: 2, axisSizes: [2, 1], inner: 1)
        == [1, 2, 9, 3, 4, 8])
    #expect(
      MovementKernels.slice([0, 1, 2, 3, 4, 5], outer: 2, axis: 3, inner: 1, range: 1..<3) == [
        1, 2, 4, 5,
      ])
    #expect(
      MovementKernels.gatherRows([0, 1, 2, 3, 4, 5], rowSize: 2, indices: [2, 0, 2]) == [
        4, 5, 0, 1, 4, 5,
      ])
    #expect(
      MovementKernels.scatterAddRows([1, 1, 2, 2], rowSize: 2, indices: [1, 1], rows: 2) == [
        0, 0, 3, 3,
      ])
  }
}
