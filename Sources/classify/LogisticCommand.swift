import ArgumentParser
import Experiments
import Foundation

/// `classify logistic`: Part 3 — logistic regression by gradient descent, learning rates, SGD.
struct LogisticCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logistic",
    abstract:
      "Part 3: logistic regression by gradient descent (as the provided code), learning rates and SGD.",
    discussion: """
      Runs full-batch gradient descent on the mean negative log-likelihood from w = (0.1, 0, 0), printing \
      the provided code's `epoch i, negative log-likelihood e, w=[…]` lines, and writes the figures (SVG + PNG) \
      with the generated answers into --output. Without --data it uses a built-in 200-row two-class set.
      """
  )

  @OptionGroup var global: GlobalOptions

  @Option(
    help:
      "Data file: whitespace-separated rows `x1 x2 1 t` with t ∈ {0, 1} (default: built-in set).")
  var data: String?

  @Option(parsing: .unconditional, help: "Learning rate η of the main gradient-descent run.")
  var rate: Double = 0.5

  @Option(help: "Comma-separated learning rates to compare, e.g. 0.5,0.3,0.1,0.05,0.01.")
  var rates: String?

  @Flag(
    help:
      "Also run stochastic gradient descent for the rates (the assignment's five if --rates is absent)."
  )
  var sgd = false

  @Option(
    help:
      "SGD order file: one permutation of the 0-based row indices per line, used epoch by epoch.")
  var order: String?

  @Option(parsing: .unconditional, help: "Seed for reshuffling the SGD order every epoch.")
  var seed: UInt64 = 0

  @Option(parsing: .unconditional, help: "Epoch limit.")
  var epochs: Int = 500

  @Option(
    parsing: .unconditional, help: "Stop when the NLL changes by less than this between epochs.")
  var tolerance: Double = 1e-5

  @Option(help: "Output folder for figures and the text report.")
  var output: String = "out/logistic"

  @Option(
    help:
      "Fixed axes of the separator-path figure as m_min,m_max,b_min,b_max (the provided code's are --separator-axes=-5,5,-10,0; default: follow the path)."
  )
  var separatorAxes: String?

  @Flag(help: "Do not print the per-epoch lines.")
  var quiet = false

  @Option(help: .hidden)
  var exportData: String?

  func run() throws {
    try global.apply()
    let dataSet =
      try data.map { try LogisticData(contentsOf: URL(fileURLWithPath: $0)) } ?? .builtIn()
    if let exportData {
      try dataSet.fileText().write(toFile: exportData, atomically: true, encoding: .utf8)
      print("wrote \(dataSet.count) rows to \(exportData)")
      return
    }
    let rateList = try rates.map { try Self.numbers($0, option: "--rates") } ?? []
    if rates != nil, rateList.isEmpty { throw LogisticOptionError.noRates }
    var slopeLimits: ClosedRange<Double>?
    var interceptLimits: ClosedRange<Double>?
    if let separatorAxes {
      let axes = try Self.numbers(separatorAxes, option: "--separator-axes")
      guard axes.count == 4, axes[0] < axes[1], axes[2] < axes[3] else {
        throw LogisticCommandError.badAxes(separatorAxes)
      }
      slopeLimits = axes[0]...axes[1]
      interceptLimits = axes[2]...axes[3]
    }
    let sampleOrder =
      try order.map {
        try LogisticSampleOrder.read(contentsOf: URL(fileURLWithPath: $0), rowCount: dataSet.count)
      }
      ?? .shuffled(seed: seed)
    let experiment = try LogisticExperiment(
      data: dataSet, learningRate: rate, rates: rateList, stochastic: sgd, order: sampleOrder,
      maxEpochs: epochs,
      tolerance: tolerance, slopeLimits: slopeLimits, interceptLimits: interceptLimits)
    let result = experiment.run()
    if !quiet { for line in result.logLines { print(line) } }
    let folder = URL(fileURLWithPath: output)
    let section = try result.section(figuresIn: folder)
    try section.text.write(
      to: folder.appendingPathComponent("logistic.txt"), atomically: true, encoding: .utf8)
    print("")
    print(section.text)
    print("Figures and logistic.txt written to \(folder.path)")
  }

  /// Parses a comma-separated list of numbers.
  static func numbers(_ list: String, option: String) throws -> [Double] {
    try list.split(separator: ",").map { field in
      let trimmed = field.trimmingCharacters(in: .whitespaces)
      guard let value = Double(trimmed) else {
        throw LogisticCommandError.notANumber(option: option, field: trimmed)
      }
      return value
    }
  }
}

/// A command-line value that is not usable.
enum LogisticCommandError: Error, CustomStringConvertible {
  case notANumber(option: String, field: String)
  case badAxes(String)

  var description: String {
    switch self {
    case .notANumber(let option, let field):
      return
        "\(option): \"\(field)\" is not a number; give comma-separated numbers such as 0.5,0.3,0.1"
    case .badAxes(let value):
      return
        "--separator-axes \(value): give four numbers m_min,m_max,b_min,b_max with m_min < m_max and b_min < b_max"
    }
  }
}
