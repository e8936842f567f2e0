import Kernels

/// NumPy/PyTorch broadcasting rules: shapes align on their last axes; an axis of extent 1
/// stretches to match.
public enum Broadcasting {
  /// The broadcast shape of two shapes, or nil when they are incompatible.
  public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for offset in 0..<rank {
      let x = offset < a.count ? a[a.count - 1 - offset] : 1
      let y = offset < b.count ? b[b.count - 1 - offset] : 1
      guard x == y || x == 1 || y == 1 else { return nil }
      result[rank - 1 - offset] = x == 1 ? y : x
    }
    return result
  }

  /// Strides that read an array of `shape` as if it had `target` shape (0 on stretched axes).
  static func strides(of shape: [Int], broadcastTo target: [Int]) -> [Int] {
    let own = ElementwiseKernels.contiguousStrides(shape)
    let pad = target.count - shape.count
    return (0..<target.count).map { axis in
      axis < pad ? 0 : (shape[axis - pad] == 1 ? 0 : own[axis - pad])
    }
  }
}

extension Tensor {
  /// Sums this gradient down to `target` shape, undoing a broadcast (the adjoint of stretching).
  func unbroadcast(to target: [Int]) -> Tensor {
    if shape == target { return self }
    var result = self
    let pad = rank - target.count
    // Sum away leading axes, then every axis that was stretched from 1.
    var axes: [Int] = Array(0..<pad)
    for axis in 0..<target.count where target[axis] == 1 && shape[axis + pad] != 1 {
      axes.append(axis + pad)
    }
    if !axes.isEmpty { result = result.sum(alongAxes: axes, keepingDimensions: true) }
    return result.reshaped(to: target)
  }
}
