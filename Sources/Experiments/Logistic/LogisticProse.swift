import Foundation
import Plotting

/// Numbers and mathematics for Part 3's text: fixed decimals, scientific notation, learning rates
/// as entered, and the HTML → plain text rendering of the answers.
enum LogisticProse {
  /// `value` with `digits` decimals and a true minus sign.
  static func number(_ value: Double, _ digits: Int) -> String {
    minus(String(format: "%.\(digits)f", value))
  }

  /// `value` as `m × 10<sup>e</sup>` HTML with `digits` decimals in the mantissa (the plain text
  /// rendering reads `m × 10^e`).
  static func scientific(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite, value != 0 else { return number(value, digits) }
    let parts = String(format: "%.\(digits)e", value).split(separator: "e")
    guard parts.count == 2, let exponent = Int(parts[1]) else { return number(value, digits) }
    if exponent == 0 { return minus(String(parts[0])) }
    return minus(String(parts[0])) + " × 10<sup>\(minus(String(exponent)))</sup>"
  }

  /// "once", "3 times".
  static func times(_ count: Int) -> String { count == 1 ? "once" : "\(count) times" }

  /// Two decimals, or two significant digits in scientific notation below 0.01.
  static func significant(_ value: Double) -> String {
    value != 0 && Swift.abs(value) < 0.01 ? scientific(value, 1) : number(value, 2)
  }

  /// A learning rate as entered: the shortest decimal that reads back as the same Double
  /// (`0.001`, `0.5`, never `0.0009999999` or `0.500`).
  static func rate(_ value: Double) -> String { shortest(value) }

  /// The shortest round-trip decimal of `value`, in positional notation down to 10⁻⁶.
  static func shortest(_ value: Double) -> String {
    guard value.isFinite else { return "\(value)" }
    let text = "\(value)"
    if !text.contains("e") {
      return minus(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
    }
    // Swift writes 1e-05; positional for |value| ≥ 10⁻⁶ reads better in a table.
    if Swift.abs(value) >= 1e-6 && Swift.abs(value) < 1e16 {
      for digits in 1...20 {
        let candidate = String(format: "%.\(digits)f", value)
        if Double(candidate) == value { return minus(candidate) }
      }
    }
    return minus(text)
  }

  private static func minus(_ text: String) -> String {
    text.replacingOccurrences(of: "-", with: "−")
  }

  /// Escapes `& < >` for HTML text.
  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }

  /// The plain-text reading of an answer's HTML (`MarkupText.plainText(fromHTML:)`).
  static func plainText(_ html: String) -> String { MarkupText.plainText(fromHTML: html) }
}
