/// Vectorised `exp` for Float, 8 lanes at a time, so element-wise transcendental kernels run in
/// SIMD registers instead of one libm call per element.
///
/// Cody–Waite reduction `x = k·ln 2 + r` with `|r| ≤ ln 2 / 2`, the degree-7 Taylor polynomial
/// of `eʳ` (truncation < 2·10⁻⁹ relative, below Float's 6·10⁻⁸ rounding) and `2ᵏ` from its bit
/// pattern. Inputs below −87.33 give 0 and above 88.72 give +∞, like `expf` (which returns
/// subnormals down to −103.9; those are below every tolerance that matters here). NaN inputs give
/// an unspecified value (callers never pass NaN on purpose; libm would return NaN).
public enum VectorMath {
  /// `eˣ` of eight lanes at once (the method above).
  @inline(__always)
  public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let low = SIMD8<Float>(repeating: -87.33654)
    let high = SIMD8<Float>(repeating: 88.72283)
    let clamped = pointwiseMin(pointwiseMax(x, low), high)
    let shifter = SIMD8<Float>(repeating: 0x1.8p23)
    let shifted = clamped * 1.442_695_04 + shifter
    let k = shifted - shifter
    let r = (clamped - k * 0.693_359_375) - k * -2.121_944_4e-4
    var p = SIMD8<Float>(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    // k + 127 into the exponent field; k ∈ [−126, 128] after clamping. 2¹²⁸ is split as 2·2¹²⁷.
    // The shifter's low mantissa bits hold k: reinterpret instead of converting (conversions
    // between SIMD types are slow generic loops).
    let integerK = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let halfK = integerK &>> 1
    let scaleA = unsafeBitCast((halfK &+ 127) &<< 23, to: SIMD8<Float>.self)
    let scaleB = unsafeBitCast((integerK &- halfK &+ 127) &<< 23, to: SIMD8<Float>.self)
    var result = p * scaleA * scaleB
    result.replace(with: 0, where: x .< low)
    result.replace(with: .infinity, where: x .> high)
    return result
  }

  /// `exp` over a buffer, 8 lanes at a time with a scalar-through-SIMD tail.
  @inline(__always)
  static func exp(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int)
  {
    var index = 0
    while index + 8 <= count {
      let v = UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(target + index).storeBytes(of: exp(v), as: SIMD8<Float>.self)
      index += 8
    }
    if index < count {
      var tail = SIMD8<Float>(repeating: 0)
      for lane in 0..<(count - index) { tail[lane] = source[index + lane] }
      let result = exp(tail)
      for lane in 0..<(count - index) { target[index + lane] = result[lane] }
    }
  }

  /// `exp` of every element of an array (the public face used by tests and benchmarks).
  public static func exp(_ x: [Float]) -> [Float] {
    [Float](unsafeUninitializedCapacity: x.count) { out, initialized in
      x.withUnsafeBufferPointer { px in
        if let source = px.baseAddress, let target = out.baseAddress {
          exp(source, target, count: x.count)
        }
      }
      initialized = x.count
    }
  }
}
