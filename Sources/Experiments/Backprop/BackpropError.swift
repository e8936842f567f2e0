/// What can be wrong with a Part 2 network or its inputs.
public enum BackpropError: Error, CustomStringConvertible, Equatable {
  /// Layer sizes or weight shapes that do not form a network.
  case invalidArchitecture(String)
  /// A weights file that cannot be read or parsed.
  case unreadableWeights(file: String, reason: String)
  /// A sample whose length does not match the input layer.
  case invalidSample(String)

  /// The defect, naming the file or option and the fix.
  public var description: String {
    switch self {
    case .invalidArchitecture(let reason): return "invalid network: \(reason)"
    case .unreadableWeights(let file, let reason):
      return
        "cannot read weights from \(file): \(reason). Expected JSON {\"sizes\": [3,3,3,1], \"weights\": [[[…]]]}"
    case .invalidSample(let reason): return "invalid sample: \(reason)"
    }
  }
}
