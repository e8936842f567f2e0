import ArgumentParser
import Experiments
import Foundation

/// `classify softmax`: Part 1, the softmax decision regions of linear activations.
struct SoftmaxCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "softmax",
    abstract:
      "Part 1: decision regions, boundaries and probabilities of softmax over linear activations.",
    discussion: """
      Finds where all activations are equal, the decision boundaries (red rays) and how p(C_k|x) \
      behaves along them and deep inside each region; writes softmax-regions.{svg,png} and \
      softmax-probability-map.{svg,png} into the output folder.
      """
  )

  @OptionGroup var global: GlobalOptions

  @Option(
    name: .long,
    help:
      "Activations as \"w1,w2,b; w1,w2,b; ...\" (a_k = w1 x1 + w2 x2 + b); default: the assignment's."
  )
  var activations: String = SoftmaxRegions.assignmentSpec

  @Option(name: .long, help: "Folder for the figures (created if missing).")
  var output: String = "out/softmax"

  @Flag(name: .long, help: "Print the analysis as JSON instead of text.")
  var json = false

  func run() throws {
    try global.apply()
    // A bad spec throws SoftmaxRegionsError: "Error: activation 2 (...) has 2 numbers ...", exit 1.
    let model = try SoftmaxRegions(spec: activations)
    let result = model.analyze()
    let folder = URL(fileURLWithPath: output, isDirectory: true)
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw CommandFailure(
        "cannot create the output folder \(folder.path): check the path and that its parent is writable"
      )
    }
    let section = try result.section(figuresIn: folder)
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      let data = try encoder.encode(result)
      print(String(decoding: data, as: UTF8.self))
    } else {
      print(section.text, terminator: "")
      print("Figures written to \(folder.path)/")
    }
  }
}
