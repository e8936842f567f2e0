import ArgumentParser
import Foundation
import Vision

struct PredictCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predict",
    abstract: "Top-5 ImageNet classes of PNG/JPEG images with a torchvision ResNet checkpoint.",
    discussion: """
      Preprocesses as torchvision's ImageNet evaluation (resize the shorter side to 256 with
      antialiasing, centre-crop 224, normalise with ImageNet mean/std; a 224×224 image is only
      normalised) and prints the most probable classes. --weights takes a .pth (torch.save) or
      .safetensors file of any torchvision ResNet (18/34/50/101/152).
      """)

  @OptionGroup var global: GlobalOptions

  @Option(
    help:
      "Checkpoint: a .pth/.safetensors file, or a cached model name like resnet50 or resnet50:v1.")
  var weights: String

  @Option(help: "How many classes to show per image.")
  var top: Int = 5

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Argument(help: "PNG or JPEG files.")
  var images: [String]

  func validate() throws {
    guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    guard !images.isEmpty else { throw ValidationError("give at least one image file") }
  }

  func run() throws {
    try global.apply()
    let model = try ResNet.load(from: try WeightsLocator.resolve(weights))
    let classifier = ImageClassifier(model: model)
    let predictions = try classifier.classify(images.map { URL(fileURLWithPath: $0) }, top: top)
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(predictions), as: UTF8.self))
      return
    }
    for prediction in predictions {
      print(prediction.path)
      for score in prediction.top {
        print(
          String(
            format: "  %6.2f %%  %@ (%d)", Double(score.probability) * 100, score.name, score.index)
        )
      }
    }
  }
}
