import ArgumentParser
import Experiments
import Foundation

struct BackpropCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backprop",
    abstract: "Part 2: every derivative of a logistic network by back-propagation, checked.",
    discussion: """
      Derives ∂E/∂w for a network of logistic hidden units with an identity output trained on
      E = ½(y − t)², in the assignment's notation (a, z, w, δ), layer by layer from the output, with
      the numbers for one sample; each derivative is checked against central finite differences
      and against classify's autograd engine. Default: 3 inputs, two hidden layers of 3 units.
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "Units per layer, inputs first, ending in 1 (e.g. 3,3,3,1).")
  var sizes: String = "3,3,3,1"

  @Option(parsing: .unconditional, help: "Seed for the random weights (ignored with --weights).")
  var seed: UInt64 = 2020

  @Flag(help: "Give every unit a bias (the assignment's network has none).")
  var biases = false

  @Option(
    help:
      "Read the network from JSON: {\"sizes\": [...], \"weights\": [[[...]]], \"biases\": optional}."
  )
  var weights: String?

  @Option(help: "The sample input x, comma-separated.")
  var input: String = "1,-0.5,2"

  @Option(parsing: .unconditional, help: "The sample target t.")
  var target: Double = 0.5

  @Option(
    parsing: .unconditional,
    help: "Also train by gradient descent on a small regression task for N epochs and plot it.")
  var train: Int = 0

  @Option(parsing: .unconditional, help: "Learning rate for --train.")
  var learningRate: Double = 0.5

  @Option(help: "Folder for figures.")
  var output: String = "out/backprop"

  func run() throws {
    try global.apply()
    guard train >= 0 else { throw ValidationError("--train must be ≥ 0") }
    guard learningRate.isFinite, learningRate > 0 else {
      throw ValidationError("--learning-rate must be a positive finite number")
    }
    let x = try parseNumbers(input, option: "--input")
    let network: LogisticNetwork
    if let weights {
      network = try LogisticNetwork.load(from: URL(fileURLWithPath: weights))
    } else {
      let layerSizes = try parseNumbers(sizes, option: "--sizes").map { value -> Int in
        guard value == value.rounded(), value >= 1 else {
          throw ValidationError("--sizes takes positive whole numbers, got \(sizes)")
        }
        return Int(value)
      }
      network = try LogisticNetwork.random(sizes: layerSizes, biases: biases, seed: seed)
    }
    let experiment = BackpropExperiment(
      network: network, input: x, target: target, trainingEpochs: train, learningRate: learningRate)
    let result = try experiment.run()
    let folder = URL(fileURLWithPath: output)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let section = try result.section(figuresIn: folder)
    print(section.text)
    if !section.figures.isEmpty {
      print(
        "Figures: \(section.figures.map { folder.appendingPathComponent($0).path }.joined(separator: ", "))"
      )
    }
  }
}

/// Parses "1, -0.5, 2" into numbers, naming the option on failure.
func parseNumbers(_ text: String, option: String) throws -> [Double] {
  try text.split(separator: ",").map { field in
    let trimmed = field.trimmingCharacters(in: .whitespaces)
    guard let value = Double(trimmed), value.isFinite else {
      throw ValidationError(
        "\(option): '\(trimmed)' is not a finite number (expected comma-separated numbers, e.g. 1,-0.5,2)"
      )
    }
    return value
  }
}
