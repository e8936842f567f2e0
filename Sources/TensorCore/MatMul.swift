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
    let (needsA, needsB) = (node != nil, other.node != nil)
    return Tensor.record("matmul", shape: outputShape, scalars: values, inputs: [self, other]) {
      g in
      // ∂A[b] = G[b] · B[b]ᵀ ; ∂B[b] = A[b]ᵀ · G[b]; a broadcast operand sums over the batch.
      var ga: Tensor?
      var gb: Tensor?
      if needsA {
        let gradA = MatMulKernels.matmul(
          g.scalars, batchA: batch, b.scalars, batchB: batchB, m: m, k: n, n: k, transposeB: true)
        ga = Tensor(shape: [batch, m, k], scalars: gradA)
        if batchA == 1 && batch > 1 { ga = ga?.sum(alongAxis: 0) }
      }
      if needsB {
        let gradB = MatMulKernels.matmul(
          a.scalars, batchA: batchA, g.scalars, batchB: batch, m: k, k: m, n: n, transposeA: true)
        gb = Tensor(shape: [batch, k, n], scalars: gradB)
        if batchB == 1 && batch > 1 { gb = gb?.sum(alongAxis: 0) }
      }
      return [ga?.reshaped(to: shapeA), gb?.reshaped(to: shapeB)]
    }
  }

  /// `self · weightᵀ + bias` for `self: [m, in]`, `weight: [out, in]`, `bias: [out]`
  /// (`torch.nn.functional.linear`), without materialising `weightᵀ`: one GEMM that reads the
  /// weight transposed.
  ///
  /// Backward: `∂x = G·W`, `∂W = Gᵀ·x`, `∂b = Σ_rows G`, each only when that input is on the
  /// tape (cached features never get a gradient).
  public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(rank == 2 && weight.rank == 2, "linear: needs [m, in] and [out, in]")
    let (m, k, n) = (shape[0], shape[1], weight.shape[0])
    precondition(weight.shape[1] == k, "linear: input \(shape), weight \(weight.shape)")
    precondition(bias.map { $0.shape == [n] } ?? true, "linear: bias must be [\(n)]")
    var values = MatMulKernels.matmul(
      scalars, batchA: 1, weight.scalars, batchB: 1, m: m, k: k, n: n, transposeB: true)
    if let bias {
      let shift = bias.scalars
      for row in 0..<m {
        for column in 0..<n { values[row * n + column] += shift[column] }
      }
    }
    let x = detached
    let w = weight.detached
    let (needsX, needsW, needsBias) = (node != nil, weight.node != nil, bias?.node != nil)
    let inputs = [self, weight] + (bias.map { [$0] } ?? [])
    return Tensor.record("linear", shape: [m, n], scalars: values, inputs: inputs) { g in
      var result: [Tensor?] = [
        needsX
          ? Tensor(
            shape: [m, k],
            scalars: MatMulKernels.matmul(
              g.scalars, batchA: 1, w.scalars, batchB: 1, m: m, k: n, n: k)) : nil,
        needsW
          ? Tensor(
            shape: [n, k],
            scalars: MatMulKernels.matmul(
              g.scalars, batchA: 1, x.scalars, batchB: 1, m: n, k: m, n: k, transposeA: true))
          : nil,
      ]
      if bias != nil {
        var sums = [Float](repeating: 0, count: n)
        if needsBias {
          let rows = g.scalars
          for row in 0..<m {
            for column in 0..<n { sums[column] += rows[row * n + column] }
          }
        }
        result.append(needsBias ? Tensor(shape: [n], scalars: sums) : nil)
      }
      return result
    }
  }
}
