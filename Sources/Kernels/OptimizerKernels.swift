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
          /// The update of eight elements (the flags are loop-invariant branches).
          @inline(__always) func updated(_ pv: SIMD8<Float>, _ gv: SIMD8<Float>, _ bv: SIMD8<Float>)
            -> (p: SIMD8<Float>, b: SIMD8<Float>)
          {
            var d = weightDecay != 0 ? gv + decay * pv : gv
            var bNew = bv
            if hasMomentum {
              bNew = firstStep ? d : mu * bv + keep * d
              d = nesterov ? d + mu * bNew : bNew
            }
            return (pv - rate * d, bNew)
          }
          parallelChunks(count, minimumPerThread: 1 << 17) { range in
            var start = range.lowerBound
            while start + 8 <= range.upperBound {
              let pv = UnsafeRawPointer(p + start).loadUnaligned(as: SIMD8<Float>.self)
              let gv = UnsafeRawPointer(g + start).loadUnaligned(as: SIMD8<Float>.self)
              let bv =
                b.map { UnsafeRawPointer($0 + start).loadUnaligned(as: SIMD8<Float>.self) }
                ?? SIMD8<Float>()
              let (pNew, bNew) = updated(pv, gv, bv)
              UnsafeMutableRawPointer(p + start).storeBytes(of: pNew, as: SIMD8<Float>.self)
              if let b {
                UnsafeMutableRawPointer(b + start).storeBytes(of: bNew, as: SIMD8<Float>.self)
              }
              start += 8
            }
            // The tail, through zero-padded lanes.
            if start < range.upperBound {
              let lanes = range.upperBound - start
              var pv = SIMD8<Float>()
              var gv = SIMD8<Float>()
              var bv = SIMD8<Float>()
              for lane in 0..<lanes {
                pv[lane] = p[start + lane]
                gv[lane] = g[start + lane]
                if let b { bv[lane] = b[start + lane] }
              }
              let (pNew, bNew) = updated(pv, gv, bv)
              for lane in 0..<lanes {
                p[start + lane] = pNew[lane]
                if let b { b[start + lane] = bNew[lane] }
              }
            }
          }
        }
      }
    }
    if hasMomentum { buffer = state }
  }
}
