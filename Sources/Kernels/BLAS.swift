import Foundation

#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

/// Matrix products through BLAS `sgemm`, the one wrapper every matmul in classify goes through.
public enum BLAS {
  /// `c[m, n] = alpha * op(a) · op(b) + beta * c`, row-major, where `op(a)` is `[m, k]` and
  /// `op(b)` is `[k, n]`. `a` is stored `[m, k]` (or `[k, m]` when `transposeA`), `b` is stored
  /// `[k, n]` (or `[n, k]` when `transposeB`). Leading dimensions are checked against the
  /// buffer sizes so a wrong shape traps here instead of reading out of bounds.
  public static func sgemm(
    m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, aCount: Int, transposeA: Bool,
    b: UnsafePointer<Float>, bCount: Int, transposeB: Bool,
    c: UnsafeMutablePointer<Float>, cCount: Int,
    alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
  ) {
    sgemm(
      m: m, n: n, k: k, a: a, aCount: aCount, transposeA: transposeA, b: b, bCount: bCount,
      transposeB: transposeB, c: c, cCount: cCount, alpha: alpha, beta: beta, lda: lda,
      ldb: ldb, ldc: ldc, threads: ComputeThreads.count)
  }

  /// `sgemm` on up to `threads` threads; returns the number of blocks C was split into (1: one
  /// BLAS call), so that tests can check that a product really split.
  @discardableResult
  static func sgemm(
    m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, aCount: Int, transposeA: Bool,
    b: UnsafePointer<Float>, bCount: Int, transposeB: Bool,
    c: UnsafeMutablePointer<Float>, cCount: Int,
    alpha: Float, beta: Float, lda: Int?, ldb: Int?, ldc: Int?, threads: Int
  ) -> Int {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
    let lda = lda ?? (transposeA ? m : k)
    let ldb = ldb ?? (transposeB ? k : n)
    let ldc = ldc ?? n
    precondition(
      lda >= (transposeA ? m : k) && ldb >= (transposeB ? k : n) && ldc >= n,
      "sgemm: leading dimension too small")
    precondition(
      aCount >= (transposeA ? (k - 1) * lda + m : (m - 1) * lda + k)
        && bCount >= (transposeB ? (n - 1) * ldb + k : (k - 1) * ldb + n)
        && cCount >= (m - 1) * ldc + n || m == 0 || n == 0 || k == 0,
      "sgemm: buffer too small")
    if m == 0 || n == 0 { return 0 }
    if k == 0 {
      for row in 0..<m {
        for index in (row * ldc)..<(row * ldc + n) { c[index] = beta == 0 ? 0 : beta * c[index] }
      }
      return 0
    }
    #if canImport(Accelerate)
      cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
      return 1
    #else
      let threads = min(threads, m * n * k / minimumWorkPerThread)
      guard threads > 1 else {
        callSgemm(
          m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
          transposeB: transposeB, c: c, ldc: ldc, alpha: alpha, beta: beta)
        return 1
      }
      // Split C into `threads` blocks of whole 16-wide column (or row) panels, one single-threaded
      // OpenBLAS call each (see `ProcessSettings` for why OpenBLAS does not thread itself).
      let splitColumns = n >= m
      let extent = splitColumns ? n : m
      let panels = (extent + 15) / 16
      let perThread = (panels + threads - 1) / threads * 16
      let blocks = (extent + perThread - 1) / perThread
      parallelFor(iterations: blocks, threads: threads) { index in
        let start = index * perThread
        let end = min(extent, start + perThread)
        if splitColumns {
          callSgemm(
            m: m, n: end - start, k: k, a: a, lda: lda, transposeA: transposeA,
            b: b + (transposeB ? start * ldb : start), ldb: ldb, transposeB: transposeB,
            c: c + start, ldc: ldc, alpha: alpha, beta: beta)
        } else {
          callSgemm(
            m: end - start, n: n, k: k, a: a + (transposeA ? start : start * lda), lda: lda,
            transposeA: transposeA, b: b, ldb: ldb, transposeB: transposeB,
            c: c + start * ldc, ldc: ldc, alpha: alpha, beta: beta)
        }
      }
      return blocks
    #endif
  }

  /// Multiply-adds per thread below which a GEMM is not split: every ResNet-50 product is
  /// ≥ 16 M, while splitting the 4 M products of a head trained on cached features gains nothing
  /// (0.30 s an epoch either way).
  static let minimumWorkPerThread = 1 << 22

  #if !canImport(Accelerate)
    @inline(__always)
    private static func callSgemm(
      m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
      b: UnsafePointer<Float>, ldb: Int, transposeB: Bool, c: UnsafeMutablePointer<Float>,
      ldc: Int, alpha: Float, beta: Float
    ) {
      cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c,
        blasint(ldc))
    }
  #endif

  /// Raw `cblas_sgemm` on square row-major matrices, for benchmarking the wrapper's overhead.
  public static func rawSquareSgemm(n: Int, a: [Float], b: [Float], c: inout [Float]) {
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          #if canImport(Accelerate)
            cblas_sgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
              pa.baseAddress!, Int32(n), pb.baseAddress!, Int32(n), 0, pc.baseAddress!, Int32(n))
          #else
            cblas_sgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(n), blasint(n), 1,
              pa.baseAddress!, blasint(n), pb.baseAddress!, blasint(n), 0, pc.baseAddress!,
              blasint(n))
          #endif
        }
      }
    }
  }
}
