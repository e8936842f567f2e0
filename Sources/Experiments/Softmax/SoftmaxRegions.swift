import Foundation
import Plotting

/// One linear activation in two dimensions: `a(x) = w1·x1 + w2·x2 + b`.
public struct LinearActivation: Sendable, Hashable, Codable {
  /// Weight of `x1`.
  public var w1: Double
  /// Weight of `x2`.
  public var w2: Double
  /// Bias.
  public var b: Double

  /// Creates an activation.
  public init(w1: Double, w2: Double, b: Double) {
    self.w1 = w1
    self.w2 = w2
    self.b = b
  }

  /// `w1·x + w2·y + b` at `point`.
  public func callAsFunction(_ point: Point) -> Double { w1 * point.x + w2 * point.y + b }

  /// The weight vector as a point `(w1, w2)`.
  var weight: Point { Point(w1, w2) }

  /// "3x₁ + x₂ + 1" with true minus signs; zero terms and unit coefficients omitted.
  public var formula: String {
    var text = ""
    for (value, name) in [(w1, "x₁"), (w2, "x₂"), (b, "")] where value != 0 {
      let magnitude =
        Swift.abs(value) == 1 && !name.isEmpty ? "" : SoftmaxRegions.format(Swift.abs(value))
      let term = magnitude + name
      if text.isEmpty {
        text = (value < 0 ? "\u{2212}" : "") + term
      } else {
        text += (value < 0 ? " \u{2212} " : " + ") + term
      }
    }
    return text.isEmpty ? "0" : text
  }
}

/// Why an activation specification was rejected.
public enum SoftmaxRegionsError: Error, CustomStringConvertible, Equatable, Sendable {
  /// An activation did not have exactly three numbers `w1, w2, b`.
  case wrongCount(activation: Int, found: Int, text: String)
  /// A field is not a number.
  case notANumber(activation: Int, text: String)
  /// A number is NaN or infinite.
  case notFinite(activation: Int, text: String)
  /// Fewer than two activations (softmax over one class is constant 1).
  case tooFewActivations(found: Int)

  /// A message naming the activation (1-based) and the offending text, with the expected format.
  public var description: String {
    let format = "expected \"w1,w2,b; w1,w2,b; …\", e.g. \"3,1,1; 1,3,2; -3,1.5,2\""
    switch self {
    case .wrongCount(let activation, let found, let text):
      return "activation \(activation) (\"\(text)\") has \(found) number\(found == 1 ? "" : "s"), "
        + "needs exactly 3 (w1, w2, b); \(format)"
    case .notANumber(let activation, let text):
      return "activation \(activation): \"\(text)\" is not a number; \(format)"
    case .notFinite(let activation, let text):
      return "activation \(activation): \(text) is not a finite number"
    case .tooFewActivations(let found):
      return "need at least 2 activations (classes), found \(found); \(format)"
    }
  }
}

/// Part 1 of the assignment: the decision regions of `p(C_k|x) = softmax(a(x))_k` for K linear
/// activations of `x = (x1, x2)`, where all activations tie, what happens along the decision
/// boundaries and far inside each region.
///
/// ```swift
/// let result = SoftmaxRegions.assignment.analyze()
/// let section = try result.section(figuresIn: folder)
/// ```
public struct SoftmaxRegions: Sendable {
  /// The activations `a_1 … a_K`.
  public let activations: [LinearActivation]
  /// Distances from the start point at which probabilities are tabulated.
  public var distances: [Double] = [0, 0.5, 1, 2, 5, 10, 20]

  /// The assignment's `a1 = 3x1 + x2 + 1`, `a2 = x1 + 3x2 + 2`, `a3 = −3x1 + 1.5x2 + 2`.
  public static let assignment = SoftmaxRegions(
    validated: [
      LinearActivation(w1: 3, w2: 1, b: 1), LinearActivation(w1: 1, w2: 3, b: 2),
      LinearActivation(w1: -3, w2: 1.5, b: 2),
    ])

  /// The assignment's activations as a specification string.
  public static let assignmentSpec = "3,1,1; 1,3,2; -3,1.5,2"

  /// Creates the model from activations already known to be valid.
  init(validated: [LinearActivation]) { self.activations = validated }

  /// Creates the model.
  /// - Throws: `SoftmaxRegionsError` for fewer than two activations or non-finite numbers.
  public init(activations: [LinearActivation]) throws {
    guard activations.count >= 2 else {
      throw SoftmaxRegionsError.tooFewActivations(found: activations.count)
    }
    for (index, a) in activations.enumerated() {
      for value in [a.w1, a.w2, a.b] where !value.isFinite {
        throw SoftmaxRegionsError.notFinite(activation: index + 1, text: "\(value)")
      }
    }
    self.activations = activations
  }

  /// Parses `"w1,w2,b; w1,w2,b; …"` (activations separated by `;`, numbers by `,` or spaces).
  /// - Throws: `SoftmaxRegionsError` naming the activation and the text at fault.
  public init(spec: String) throws {
    if spec.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      throw SoftmaxRegionsError.tooFewActivations(found: 0)
    }
    let parts = spec.split(separator: ";", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    let groups = parts.count > 1 && parts.last == "" ? Array(parts.dropLast()) : parts
    var activations: [LinearActivation] = []
    for (index, group) in groups.enumerated() {
      let fields = group.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(
        String.init)
      guard fields.count == 3 else {
        throw SoftmaxRegionsError.wrongCount(
          activation: index + 1, found: fields.count, text: group)
      }
      var numbers: [Double] = []
      for field in fields {
        guard let value = Double(field.replacingOccurrences(of: "\u{2212}", with: "-")) else {
          throw SoftmaxRegionsError.notANumber(activation: index + 1, text: field)
        }
        guard value.isFinite else {
          throw SoftmaxRegionsError.notFinite(activation: index + 1, text: field)
        }
        numbers.append(value)
      }
      activations.append(LinearActivation(w1: numbers[0], w2: numbers[1], b: numbers[2]))
    }
    try self.init(activations: activations)
  }

  /// Number of classes K.
  public var classCount: Int { activations.count }

  /// `a_k(x)` for every class.
  public func activations(at point: Point) -> [Double] { activations.map { $0(point) } }

  /// `p(C_k|x) = exp(a_k) / Σ_j exp(a_j)`, computed stably by subtracting `max_j a_j` first.
  public func probabilities(at point: Point) -> [Double] {
    SoftmaxRegions.softmax(activations(at: point))
  }

  /// Numerically stable softmax.
  static func softmax(_ a: [Double]) -> [Double] {
    guard let top = a.max() else { return [] }
    let e = a.map { Foundation.exp($0 - top) }
    let sum = e.reduce(0, +)
    return e.map { $0 / sum }
  }

  /// A compact number: up to 4 decimals, no trailing zeros, true minus sign.
  static func format(_ value: Double, decimals: Int = 4) -> String {
    var text = String(format: "%.\(decimals)f", value)
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    if text == "-0" { text = "0" }
    return text.hasPrefix("-") ? "\u{2212}" + text.dropFirst() : text
  }

  /// A probability for a table: 4 decimals, or `1.2e-27`-style when below 0.0001.
  public static func formatProbability(_ p: Double) -> String {
    if p == 0 { return "0" }
    if p < 1e-4 {
      return String(format: "%.1e", p).replacingOccurrences(of: "e-0", with: "e-")
    }
    return String(format: "%.4f", p)
  }
}
