/// An opaque sRGB colour with components in `0...1`.
public struct Color: Sendable, Hashable, Codable {
  /// Red component, `0...1`.
  public var red: Double
  /// Green component, `0...1`.
  public var green: Double
  /// Blue component, `0...1`.
  public var blue: Double

  /// Creates a colour from components in `0...1`; values outside are clamped, NaN becomes 0.
  public init(red: Double, green: Double, blue: Double) {
    self.red = Color.clamp(red)
    self.green = Color.clamp(green)
    self.blue = Color.clamp(blue)
  }

  /// Creates a colour from a 24-bit `0xRRGGBB` value.
  public init(hex: UInt32) {
    self.init(
      red: Double((hex >> 16) & 0xFF) / 255, green: Double((hex >> 8) & 0xFF) / 255,
      blue: Double(hex & 0xFF) / 255)
  }

  /// The colour as an SVG/CSS `#rrggbb` string.
  public var hexString: String {
    func byte(_ value: Double) -> String {
      let text = String(Int((value * 255).rounded()), radix: 16)
      return text.count == 1 ? "0" + text : text
    }
    return "#" + byte(red) + byte(green) + byte(blue)
  }

  /// Linear interpolation towards `other`: `fraction` 0 gives `self`, 1 gives `other`.
  public func mixed(with other: Color, fraction: Double) -> Color {
    let t = Color.clamp(fraction)
    return Color(
      red: red + (other.red - red) * t, green: green + (other.green - green) * t,
      blue: blue + (other.blue - blue) * t)
  }

  /// This colour lightened towards white: `amount` 0 keeps it, 1 gives white.
  public func lightened(_ amount: Double) -> Color { mixed(with: .white, fraction: amount) }

  private static func clamp(_ value: Double) -> Double {
    value.isNaN ? 0 : Swift.min(1, Swift.max(0, value))
  }

  /// Black.
  public static let black = Color(hex: 0x000000)
  /// White.
  public static let white = Color(hex: 0xFFFFFF)
  /// The dark grey used for axes, ticks and text.
  public static let darkGray = Color(hex: 0x333333)
  /// The light grey used for grid lines.
  public static let lightGray = Color(hex: 0xE3E3E3)
  /// A medium grey.
  public static let gray = Color(hex: 0x888888)
  /// The red used for decision boundaries.
  public static let red = Color(hex: 0xD62728)
  /// The green used for marked points (e.g. an intersection point).
  public static let green = Color(hex: 0x1A9E3A)

  /// The Okabe–Ito colour-blind-safe palette (black omitted), the default series colours in order:
  /// blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow.
  public static let palette: [Color] = [
    Color(hex: 0x0072B2), Color(hex: 0xE69F00), Color(hex: 0x009E73), Color(hex: 0xD55E00),
    Color(hex: 0xCC79A7), Color(hex: 0x56B4E9), Color(hex: 0xF0E442),
  ]

  /// The `index`-th palette colour, cycling.
  public static func palette(_ index: Int) -> Color {
    palette[((index % palette.count) + palette.count) % palette.count]
  }
}
