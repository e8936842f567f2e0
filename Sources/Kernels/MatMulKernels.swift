/// Batched matrix multiplication over flat row-major arrays.
public enum MatMulKernels {
  /// `out[batch][m, n] = op(a[batch]) · op(b[batch])`. `a` holds `batchA` matrices and `b`
  /// holds `batchB`; a batch count of 1 is broadcast over the other (like `torch.matmul`).
  /// Shapes: `a: [batchA, m, k]` (`[batchA, k, m]` transposed), `b: [batchB, k, n]`
  /// (`[batchB, n, k]` transposed), result `[max(batchA, batchB), m, n]`.
  public static func matmul(
    _ a: [Float], batchA: Int, _ b: [Float], batchB: Int,
    m: Int, k: Int, n: Int, transposeA: Bool = false, transposeB: Bool = false
  ) -> [Float] {
    precondition(batchA == batchB || batchA == 1 || batchB == 1, "matmul: batch mismatch")
    precondition(a.count == batchA * m * k && b.count == batchB * k * n, "matmul: size mismatch")
    let batch = max(batchA, batchB)
    // Every element is written by a GEMM with β = 0 (or zeroed by the wrapper when k = 0).
    var out = [Float](unsafeUninitializedCapacity: batch * m * n) { _, count in
      count = batch * m * n
    }
    // A broadcast `b` with untransposed `a` is one big GEMM: stack the batches as rows.
    if batchB == 1 && batchA > 1 && !transposeA {
      return matmul(a, batchA: 1, b, batchB: 1, m: batchA * m, k: k, n: n, transposeB: transposeB)
    }
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        out.withUnsafeMutableBufferPointer { po in
          for index in 0..<batch {
            let offsetA = batchA == 1 ? 0 : index * m * k
            let offsetB = batchB == 1 ? 0 : index * k * n
            BLAS.sgemm(
              m: m, n: n, k: k,
              a: pa.baseAddress! + offsetA, aCount: m * k, transposeA: transposeA,
              b: pb.baseAddress! + offsetB, bCount: k * n, transposeB: transposeB,
              c: po.baseAddress! + index * m * n, cCount: m * n)
          }
        }
      }
    }
    return out
  }

  /// The naive triple loop, accumulated in Double: the oracle the tests hold `matmul` to.
  public static func naiveMatmul(
    _ a: [Float], batchA: Int, _ b: [Float], batchB: Int,
    m: Int, k: Int, n: Int, transposeA: Bool = false, transposeB: Bool = false
  ) -> [Float] {
    let batch = max(batchA, batchB)
    var out = [Float](repeating: 0, count: batch * m * n)
    for index in 0..<batch {
      let offsetA = batchA == 1 ? 0 : index * m * k
      let offsetB = batchB == 1 ? 0 : index * k * n
      for row in 0..<m {
        for column in 0..<n {
          var sum = 0.0
          for inner in 0..<k {
            let x = transposeA ? a[offsetA + inner * m + row] : a[offsetA + row * k + inner]
            let y = transposeB ? b[offsetB + column * k + inner] : b[offsetB + inner * n + column]
            sum += Double(x) * Double(y)
          }
          out[index * m * n + row * n + column] = Float(sum)
        }
      }
    }
    return out
  }
}
