import TensorCore

/// A sequence of transforms applied in order, parsed from the CLI's `--augment` spec.
///
/// Equivalent to `torchvision.transforms.Compose([...])` on a tensor. All steps draw from the one
/// generator passed to `apply`, in order, so a pipeline's output is a function of the input and
/// the generator's state.
///
/// ```swift
/// let pipeline = try TransformPipeline.parse("crop:32:pad4,flip,blur:3:0.1-2.0,jitter:0.4:0.4:0.4")
/// var generator = SeededGenerator(seed: 7)
/// let augmented = try pipeline.apply(Vision.toTensor(image), generator: &generator)
/// ```
public struct TransformPipeline: Transform {
  /// The steps, first applied first.
  public let steps: [any Transform]

  /// A pipeline of `steps` (empty: the identity).
  public init(_ steps: [any Transform]) {
    self.steps = steps
  }

  /// The spec that parses back to this pipeline (`none` when empty).
  public var description: String {
    steps.isEmpty ? "none" : steps.map(\.description).joined(separator: ",")
  }

  /// Applies every step in order to `image: [C, H, W]`.
  public func apply(_ image: Tensor, generator: inout SeededGenerator) throws -> Tensor {
    var result = image
    for step in steps { result = try step.apply(result, generator: &generator) }
    return result
  }

  /// The `--augment` grammar, for `--help` and for every parse error.
  /// A pipeline the help texts show (tested to parse, so the documented example always works).
  public static let example = "flip,crop:32:pad4,blur:3:0.1-2.0"

  /// The specification grammar, for `--help`.
  public static let grammar = """
    SPEC := STEP[,STEP...]  (or "none"); steps run left to right on the [C, H, W] float image
      crop:SIZE[:padP][:reflect|:edge|:fillV]  random SIZE crop after padding P per side
                                               (default 0; border zeros unless reflect, edge
                                               or the constant V)
      flip[:P]                                 horizontal flip with probability P (0.5)
      blur:K[:SIGMA|:MIN-MAX]                  Gaussian blur, odd K, sigma fixed or uniform in
                                               [MIN, MAX] (default 0.1-2.0)
      jitter:B[:C[:S]]                         color jitter: brightness, contrast, saturation
                                               factors uniform in [max(0, 1-v), 1+v]
      resize:SIZE                              antialiased bilinear; N = shorter side
      center:SIZE                              center crop
      normalize:imagenet | normalize:M/M/M:S/S/S
    SIZE := N | HxW    e.g. crop:32:pad4,flip,blur:3:0.1-2.0,jitter:0.4:0.4:0.4
    """

  /// Parses a spec such as `crop:32:pad4,flip,blur:3:0.1-2.0,jitter:0.4:0.4:0.4`.
  ///
  /// - Throws: `TransformPipelineError` naming the step, the field and the grammar.
  public static func parse(_ spec: String) throws -> TransformPipeline {
    let trimmed = spec.trimmingWhitespace()
    if trimmed.isEmpty || trimmed.lowercased() == "none" { return TransformPipeline([]) }
    var steps: [any Transform] = []
    for (index, rawStep) in trimmed.split(separator: ",", omittingEmptySubsequences: false)
      .enumerated()
    {
      let step = String(rawStep).trimmingWhitespace()
      var parser = StepParser(step: step, position: index + 1)
      steps.append(try parser.parse())
    }
    return TransformPipeline(steps)
  }
}

/// Why an `--augment` spec could not be parsed; the description names the step, what was wrong
/// and lists the grammar.
public struct TransformPipelineError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The step as written (`blur:4`).
  public let step: String
  /// Its 1-based position in the spec.
  public let position: Int
  /// What is wrong with it.
  public let problem: String

  /// Creates an error about step `position`.
  public init(step: String, position: Int, problem: String) {
    self.step = step
    self.position = position
    self.problem = problem
  }

  /// `step N "text": problem`, then the grammar.
  public var description: String {
    "--augment step \(position) \"\(step)\": \(problem)\n\(TransformPipeline.grammar)"
  }
}

/// Parses one step `name:field:field…`.
private struct StepParser {
  let step: String
  let position: Int
  let name: String
  var fields: [String]

  init(step: String, position: Int) {
    self.step = step
    self.position = position
    let parts = step.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    name = parts[0].lowercased()
    fields = Array(parts.dropFirst())
  }

  func failure(_ problem: String) -> TransformPipelineError {
    TransformPipelineError(step: step, position: position, problem: problem)
  }

  mutating func parse() throws -> any Transform {
    switch name {
    case "": throw failure("empty step (two commas in a row, or a trailing comma?)")
    case "crop": return try crop()
    case "flip":
      try requireFields(0...1, usage: "flip[:P]")
      let probability = try fields.first.map { try number($0, "probability P", in: 0...1) } ?? 0.5
      return RandomHorizontalFlip(probability: probability)
    case "blur": return try blur()
    case "jitter":
      try requireFields(1...3, usage: "jitter:B[:C[:S]]")
      let strengths = try fields.enumerated().map { index, text in
        try number(text, ["brightness B", "contrast C", "saturation S"][index], in: 0...1000)
      }
      return ColorJitter(
        brightness: strengths[0], contrast: strengths.count > 1 ? strengths[1] : 0,
        saturation: strengths.count > 2 ? strengths[2] : 0)
    case "resize":
      try requireFields(1...1, usage: "resize:SIZE")
      if fields[0].contains("x") {
        let (height, width) = try size(fields[0])
        return Resize(height: height, width: width)
      }
      return Resize(shorterSide: try integer(fields[0], "SIZE", minimum: 1))
    case "center":
      try requireFields(1...1, usage: "center:SIZE")
      let (height, width) = try size(fields[0])
      return CenterCrop(height: height, width: width)
    case "normalize": return try normalize()
    default:
      throw failure(
        "unknown operation \"\(name)\"; expected crop, flip, blur, jitter, resize, center or normalize"
      )
    }
  }

  func requireFields(_ range: ClosedRange<Int>, usage: String) throws {
    guard range.contains(fields.count) else {
      throw failure("\(fields.count) fields after \"\(name)\"; expected \(usage)")
    }
  }

  func integer(_ text: String, _ field: String, minimum: Int) throws -> Int {
    guard let value = Int(text) else {
      throw failure("\(field) \"\(text)\" is not a whole number")
    }
    guard value >= minimum else { throw failure("\(field) is \(value); it must be ≥ \(minimum)") }
    return value
  }

  func number(_ text: String, _ field: String, in range: ClosedRange<Float>) throws -> Float {
    guard let value = Float(text), value.isFinite else {
      throw failure("\(field) \"\(text)\" is not a number")
    }
    guard range.contains(value) else {
      throw failure(
        "\(field) is \(value); it must be in [\(range.lowerBound), \(range.upperBound)]")
    }
    return value
  }

  /// `N` or `HxW`.
  func size(_ text: String) throws -> (Int, Int) {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
    switch parts.count {
    case 1:
      let side = try integer(text, "SIZE", minimum: 1)
      return (side, side)
    case 2:
      return (
        try integer(String(parts[0]), "height in SIZE", minimum: 1),
        try integer(String(parts[1]), "width in SIZE", minimum: 1)
      )
    default: throw failure("SIZE \"\(text)\" is neither N nor HxW")
    }
  }

  func crop() throws -> any Transform {
    guard let first = fields.first else {
      throw failure("missing SIZE; expected crop:SIZE[:padP][:MODE]")
    }
    let (height, width) = try size(first)
    var padding = 0
    var mode = PaddingMode.constant(fill: 0)
    for field in fields.dropFirst() {
      let lowered = field.lowercased()
      if lowered.hasPrefix("pad") {
        padding = try integer(String(field.dropFirst(3)), "padding P in \"\(field)\"", minimum: 0)
      } else if lowered == "reflect" {
        mode = .reflect
      } else if lowered == "edge" {
        mode = .edge
      } else if lowered == "constant" || lowered == "zero" {
        mode = .constant(fill: 0)
      } else if lowered.hasPrefix("fill") {
        mode = .constant(
          fill: try number(String(field.dropFirst(4)), "fill V in \"\(field)\"", in: -1e6...1e6))
      } else {
        throw failure(
          "unknown crop option \"\(field)\"; expected padP, reflect, edge or fillV")
      }
    }
    return RandomCrop(height: height, width: width, padding: padding, paddingMode: mode)
  }

  func blur() throws -> any Transform {
    try requireFields(1...2, usage: "blur:K[:SIGMA|:MIN-MAX]")
    let kernelSize = try integer(fields[0], "kernel size K", minimum: 1)
    guard kernelSize % 2 == 1 else {
      throw failure(
        "kernel size K is \(kernelSize); it must be odd (3, 5, 7, …) so the kernel has a centre")
    }
    guard fields.count == 2 else { return GaussianBlur(kernelSize: kernelSize) }
    let bounds = fields[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
    guard bounds.count <= 2 else {
      throw failure("sigma \"\(fields[1])\" is neither SIGMA nor MIN-MAX")
    }
    let lower = try number(bounds[0], "sigma", in: Float.leastNormalMagnitude...1000)
    let upper =
      try bounds.count == 2
      ? number(bounds[1], "sigma MAX", in: Float.leastNormalMagnitude...1000) : lower
    guard lower <= upper else {
      throw failure("sigma range \(lower)-\(upper) is empty; write MIN-MAX")
    }
    return GaussianBlur(kernelSize: kernelSize, sigma: lower...upper)
  }

  func normalize() throws -> any Transform {
    if fields.count == 1 && fields[0].lowercased() == "imagenet" { return Normalize.imageNet }
    try requireFields(2...2, usage: "normalize:imagenet or normalize:M/M/M:S/S/S")
    let mean = try fields[0].split(separator: "/").map {
      try number(String($0), "mean", in: -1e6...1e6)
    }
    let deviation = try fields[1].split(separator: "/").map {
      try number(String($0), "standard deviation", in: Float.leastNormalMagnitude...1e6)
    }
    guard mean.count == deviation.count, !mean.isEmpty else {
      throw failure("\(mean.count) means but \(deviation.count) standard deviations")
    }
    return Normalize(mean: mean, standardDeviation: deviation)
  }
}

extension String {
  /// The string without leading and trailing spaces, tabs and newlines.
  fileprivate func trimmingWhitespace() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
    return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
  }
}
