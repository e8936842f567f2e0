import Kernels
import TestSupport
import Testing

/// Deterministic pseudo-random values in [-1, 1) for kernel comparisons.
func randomValues(_ count: Int, seed: UInt64) -> [Float] {
  var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
  return (0..<count).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
  }
}

@Suite("MatMulKernels")
struct MatMulKernelsTests {
  @Test("2×2 product against hand-computed values")
  func handComputed() {
    // [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]
    let c = MatMulKernels.matmul(
      [1, 2, 3, 4], batchA: 1, [5, 6, 7, 8], batchB: 1, m: 2, k: 2, n: 2)
    #expect(c == [19, 22, 43, 50])
  }

  @Test(
    "BLAS matmul equals the naive loop on awkward shapes",
    arguments: [
      (1, 1, 1, 1), (1, 7, 1, 1), (9, 1, 3, 1), (1, 13, 17, 1), (17, 33, 5, 1), (4, 3, 2, 3),
      (31, 16, 1, 2),
    ])
  func againstNaive(shape: (Int, Int, Int, Int)) {
    let (m, k, n, batch) = shape
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        let a = randomValues(batch * m * k, seed: UInt64(m * 100 + k))
        let b = randomValues(batch * k * n, seed: UInt64(n * 7 + k))
        let fast = MatMulKernels.matmul(
          a, batchA: batch, b, batchB: batch, m: m, k: k, n: n, transposeA: transposeA,
          transposeB: transposeB)
        let naive = MatMulKernels.naiveMatmul(
          a, batchA: batch, b, batchB: batch, m: m, k: k, n: n, transposeA: transposeA,
          transposeB: transposeB)
        expectClose(
          fast, naive, absolute: 1e-5, relative: 1e-5,
          "m\(m) k\(k) n\(n) tA\(transposeA) tB\(transposeB)")
      }
    }
  }

  @Test("a shared right operand broadcasts over the batch")
  func broadcastBatch() {
    let a = randomValues(3 * 4 * 5, seed: 1)
    let b = randomValues(5 * 2, seed: 2)
    let fast = MatMulKernels.matmul(a, batchA: 3, b, batchB: 1, m: 4, k: 5, n: 2)
    let naive = MatMulKernels.naiveMatmul(a, batchA: 3, b, batchB: 1, m: 4, k: 5, n: 2)
    expectClose(fast, naive, absolute: 1e-5)
    let left = MatMulKernels.matmul(
      b, batchA: 1, a, batchB: 3, m: 2, k: 5, n: 4, transposeA: true, transposeB: true)
    let leftNaive = MatMulKernels.naiveMatmul(
      b, batchA: 1, a, batchB: 3, m: 2, k: 5, n: 4, transposeA: true, transposeB: true)
    expectClose(left, leftNaive, absolute: 1e-5)
  }
}
