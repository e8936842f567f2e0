extension Float {
  /// IEEE binary16 bits → binary32, exact for every value (subnormals, ±0, ±∞, NaN payloads).
  /// Written out rather than through `Float16`, which is unavailable on some platforms.
  public init(halfBits half: UInt16) {
    let sign = UInt32(half & 0x8000) << 16
    let exponent = Int((half >> 10) & 0x1f)
    let mantissa = UInt32(half & 0x3ff)
    switch exponent {
    case 0:
      // Zero or subnormal: mantissa · 2⁻²⁴, exact in binary32.
      let magnitude = Float(mantissa) * 0x1p-24
      self.init(bitPattern: sign | magnitude.bitPattern)
    case 0x1f:
      self.init(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
    default:
      self.init(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
    }
  }

  /// bfloat16 bits → binary32: bfloat16 is the top half of a binary32, so this is exact.
  public init(bfloat16Bits bits: UInt16) { self.init(bitPattern: UInt32(bits) << 16) }
}
