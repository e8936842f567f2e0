/// Parameter updates done in place in one pass over each array (an optimizer step touches every
/// weight of the model: for ResNet-50 that is 25 M floats, four arrays of them).
public enum OptimizerKernels {
  /// One step of `torch.optim.SGD` on one parameter, in place and with PyTorch's operation
  /// order: `d = g + λ·p`; with momentum `b = μ·b + (1 − τ)·d` (or `b = d` on the first step,
  /// when `buffer` is nil), then `d = d + μ·b` (Nesterov) or `d = b`; finally `p = p − η·d`.
  public static func sgdStep(
    values: inout [Float], gradient: [Float], buffer: inout [Float]?, learningRate: Float,
    momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
  ) {
    precondition(values.count == gradient.count, "SGD: gradient size differs from the parameter's")
    let count = values.count
    let firstStep = buffer == nil
    var state = momentum == 0 ? [] : (buffer ?? [Float](repeating: 0, count: count))
    buffer = nil  // `state` is now the only reference: no copy-on-write below.
    precondition(state.isEmpty || state.count == count, "SGD: momentum buffer size")
    let hasMomentum = momentum != 0
    let (rate, mu, keep, decay) = (
      SIMD8<Float>(repeating: learningRate), SIMD8<Float>(repeating: momentum),
      SIMD8<Float>(repeating: 1 - dampening), SIMD8<Float>(repeating: weightDecay)
    )
    values.withUnsafeMutableBufferPointer { pValues in
      gradient.withUnsafeBufferPointer { pGradient in
        state.withUnsafeMutableBufferPointer { pState in
          guard let p = pValues.baseAddress, let g = pGradient.baseAddress else { return }
          let b = pState.baseAddress
          /// Updates eight elements from `start` (the flags are loop-invariant branches).
          @inline(__always) func update(_ start: Int, lanes: Int) {
            var pv = SIMD8<Float>()
            var gv = SIMD8<Float>()
            var bv = SIMD8<Float>()
            for lane in 0..<lanes {
              pv[lane] = p[start + lane]
              gv[lane] = g[start + lane]
              if let b { bv[lane] = b[start + lane] }
            }
            var d = weightDecay != 0 ? gv + decay * pv : gv
            if hasMomentum {
              bv = firstStep ? d : mu * bv + keep * d
              d = nesterov ? d + mu * bv : bv
            }
            pv -= rate * d
            for lane in 0..<lanes {
              p[start + lane] = pv[lane]
              if let b { b[start + lane] = bv[lane] }
            }
          }
          parallelChunks(count, minimumPerThread: 1 << 17) { range in
            var start = range.lowerBound
            while start + 8 <= range.upperBound {
              update(start, lanes: 8)
              start += 8
            }
            if start < range.upperBound { update(start, lanes: range.upperBound - start) }
          }
        }
      }
    }
    if hasMomentum { buffer = state }
  }
}
