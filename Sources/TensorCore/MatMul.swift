import Kernels

// Matrix multiplication, forward and backward side by side.

extension Tensor {
  /// Matrix product `self · other` for `[m, k]·[k, n]`, or batched `[b, m, k]·[b, k, n]` where
  /// either batch may be 1 or absent (broadcast, as `torch.matmul`).
  ///
  /// Backward: `∂A = G·Bᵀ`, `∂B = Aᵀ·G`, summed over a broadcast batch.
  public func matmul(_ other: Tensor) -> Tensor {
    precondition(rank == 2 || rank == 3, "matmul: left operand has rank \(rank); expected 2 or 3")
    precondition(other.rank == 2 || other.rank == 3, "matmul: right operand has rank \(other.rank)")
    let (batchA, m, k) = rank == 3 ? (shape[0], shape[1], shape[2]) : (1, shape[0], shape[1])
    let (batchB, k2, n) =
      other.rank == 3
      ? (other.shape[0], other.shape[1], other.shape[2]) : (1, other.shape[0], other.shape[1])
    precondition(k == k2, "matmul: inner dimensions differ: \(shape) · \(other.shape)")
    precondition(
      batchA == batchB || batchA == 1 || batchB == 1,
      "matmul: batch sizes \(batchA) and \(batchB) differ")
    let batch = Swift.max(batchA, batchB)
    let values = MatMulKernels.matmul(
      scalars, batchA: batchA, other.scalars, batchB: batchB, m: m, k: k, n: n)
    let outputShape = (rank == 3 || other.rank == 3) ? [batch, m, n] : [m, n]
    let a = detached
    let b = other.detached
    let (shapeA, shapeB) = (shape, other.shape)
    return Tensor.record("matmul", shape: outputShape, scalars: values, inputs: [self, other]) {
      g in
      // ∂A[b] = G[b] · B[b]ᵀ ; ∂B[b] = A[b]ᵀ · G[b]
      let gradA = MatMulKernels.matmul(
        g.scalars, batchA: batch, b.scalars, batchB: batchB, m: m, k: n, n: k, transposeB: true)
      let gradB = MatMulKernels.matmul(
        a.scalars, batchA: batchA, g.scalars, batchB: batch, m: k, k: m, n: n, transposeA: true)
      var ga = Tensor(shape: [batch, m, k], scalars: gradA)
      var gb = Tensor(shape: [batch, k, n], scalars: gradB)
      if batchA == 1 { ga = ga.sum(alongAxis: 0) }
      if batchB == 1 { gb = gb.sum(alongAxis: 0) }
      return [ga.reshaped(to: shapeA), gb.reshaped(to: shapeB)]
    }
  }
}
