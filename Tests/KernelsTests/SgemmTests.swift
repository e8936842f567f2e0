import TestSupport
import Testing

@testable import Kernels

@Suite("sgemm: leading dimensions and the split over threads")
struct SgemmTests {
  @Test("sgemm with leading dimensions writes a column block of a wider matrix")
  func leadingDimensions() {
    // C[2, 3..<5] of a 2×6 matrix = A[2×2] · B[2×2], B taken from a 2×4 matrix's first columns.
    let a: [Float] = [1, 2, 3, 4]
    let b: [Float] = [1, 0, 9, 9, 0, 1, 9, 9]
    var c = [Float](repeating: -1, count: 12)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          BLAS.sgemm(
            m: 2, n: 2, k: 2, a: pa.baseAddress!, aCount: 4, transposeA: false,
            b: pb.baseAddress!, bCount: 8, transposeB: false,
            c: pc.baseAddress! + 3, cCount: 9, ldb: 4, ldc: 6)
        }
      }
    }
    #expect(c == [-1, -1, -1, 1, 2, -1, -1, -1, -1, 3, 4, -1])
  }

  @Test(
    "sgemm split over threads equals the naive product, for column and row splits and transposes")
  func threadSplitGemm() {
    // At least 3 × 2^22 multiply-adds (`BLAS.minimumWorkPerThread`), so 3 threads take a block
    // each; odd sizes so the panels are uneven. Threads are passed, not set process-wide.
    for (m, n, k) in [(37, 700, 500), (700, 37, 500)] {
      #expect(m * n * k >= 3 * BLAS.minimumWorkPerThread)
      for (transposeA, transposeB) in [(false, false), (true, true)] {
        let a = convolutionTestValues(m * k, seed: 9)
        let b = convolutionTestValues(k * n, seed: 10)
        func product(threads: Int) -> (c: [Float], blocks: Int) {
          var c = [Float](repeating: 0, count: m * n)
          let blocks = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
              c.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(
                  m: m, n: n, k: k, a: pa.baseAddress!, aCount: a.count, transposeA: transposeA,
                  b: pb.baseAddress!, bCount: b.count, transposeB: transposeB,
                  c: pc.baseAddress!, cCount: m * n, alpha: 1, beta: 0, lda: nil, ldb: nil,
                  ldc: nil, threads: threads)
              }
            }
          }
          return (c, blocks)
        }
        let naive = MatMulKernels.naiveMatmul(
          a, batchA: 1, b, batchB: 1, m: m, k: k, n: n, transposeA: transposeA,
          transposeB: transposeB)
        let single = product(threads: 1)
        #expect(single.blocks == 1)
        let split = product(threads: 3)
        #if !canImport(Accelerate)
          #expect(split.blocks == 3, "m \(m), n \(n): split into \(split.blocks) blocks")
        #endif
        // Not bit-equal to one call: OpenBLAS takes other code paths for the narrower blocks.
        for c in [single.c, split.c] {
          expectClose(
            c, naive, absolute: 1e-4, relative: 1e-5, "m \(m), n \(n), transposed \(transposeA)")
        }
      }
    }
  }
}
