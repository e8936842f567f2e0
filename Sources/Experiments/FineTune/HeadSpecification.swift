import Foundation
import NN
import TensorCore

/// The new layers put on top of the backbone, written as a comma-separated list:
/// a number is a `Linear` to that width, `relu`/`sigmoid`/`tanh` an activation, `dropout:p` a
/// `Dropout(p)`; the final `Linear` to the class count is always appended.
///
/// The assignment's head, `Linear(2048, 32) → Dropout(0.5) → Linear(32, 10)` (no non-linearity,
/// as in the provided code), is `"32,dropout:0.5"`. PyTorch keys follow `nn.Sequential`'s
/// numbering (`0.weight`, `2.weight`, …), so a saved head loads into the equivalent
/// `nn.Sequential`.
public struct HeadSpecification: Sendable, Equatable, CustomStringConvertible {
  /// One element of the specification.
  public enum Element: Sendable, Equatable {
    case linear(Int)
    case relu, sigmoid, tanh
    case dropout(Float)
  }

  /// Why a specification did not parse.
  public struct ParseError: Error, CustomStringConvertible, Equatable {
    /// The message, naming the offending item and the grammar.
    public let description: String
  }

  /// The grammar, for `--help`.
  public static let grammar =
    "comma-separated: WIDTH (a Linear layer), relu, sigmoid, tanh, dropout:P (0 ≤ P < 1); "
    + "the Linear to the class count is appended. The assignment's head is \"32,dropout:0.5\"; "
    + "\"\" is a single Linear (logistic regression on the features)."

  /// The assignment's head.
  public static let assignment = HeadSpecification(elements: [.linear(32), .dropout(0.5)])

  /// The hidden elements, in order (without the final Linear).
  public let elements: [Element]

  /// A specification from elements.
  public init(elements: [Element]) { self.elements = elements }

  /// Parses `"512,relu,dropout:0.5,128,relu"`.
  public init(parsing text: String) throws(ParseError) {
    var elements: [Element] = []
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces).lowercased()
    }
    for item in items where !(items.count == 1 && item.isEmpty) {
      if let width = Int(item) {
        guard width >= 1 else {
          throw ParseError(description: "head: width \(width) must be at least 1. \(Self.grammar)")
        }
        elements.append(.linear(width))
      } else if item == "relu" {
        elements.append(.relu)
      } else if item == "sigmoid" {
        elements.append(.sigmoid)
      } else if item == "tanh" {
        elements.append(.tanh)
      } else if item.hasPrefix("dropout") {
        let value = item.dropFirst("dropout".count).drop { $0 == ":" }
        guard let probability = value.isEmpty ? 0.5 : Float(value), probability >= 0,
          probability < 1
        else {
          throw ParseError(
            description:
              "head: '\(item)' needs a probability in [0, 1), e.g. dropout:0.5. \(Self.grammar)")
        }
        elements.append(.dropout(probability))
      } else {
        throw ParseError(description: "head: unknown item '\(item)'. \(Self.grammar)")
      }
    }
    self.elements = elements
  }

  /// The specification as it would be written on the command line.
  public var description: String {
    elements.map { element in
      switch element {
      case .linear(let width): "\(width)"
      case .relu: "relu"
      case .sigmoid: "sigmoid"
      case .tanh: "tanh"
      case .dropout(let p): "dropout:\(p)"
      }
    }.joined(separator: ",")
  }

  /// Builds the head from `inputFeatures` to `classCount` outputs with PyTorch's default
  /// initialisation drawn from `seed` (dropout masks from `seed + 1`).
  public func build(inputFeatures: Int, classCount: Int, seed: UInt64) -> Sequential {
    var generator = SeededGenerator(seed: seed)
    var layers: [any Layer] = []
    var width = inputFeatures
    var dropoutSeed = seed &+ 1
    for element in elements {
      switch element {
      case .linear(let next):
        layers.append(Linear(inputFeatures: width, outputFeatures: next, generator: &generator))
        width = next
      case .relu: layers.append(ReLU())
      case .sigmoid: layers.append(Sigmoid())
      case .tanh: layers.append(Tanh())
      case .dropout(let p):
        layers.append(Dropout(probability: p, seed: dropoutSeed))
        dropoutSeed &+= 1
      }
    }
    layers.append(Linear(inputFeatures: width, outputFeatures: classCount, generator: &generator))
    return Sequential(layers)
  }
}
