import ArgumentParser
import Checkpoints
import Experiments
import Foundation
import ImageCodecs
import TensorCore
import Vision

struct PredictCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predict",
    abstract:
      "Top classes of PNG/JPEG images: a torchvision ResNet (ImageNet) or a finetune checkpoint.",
    discussion: """
      Preprocesses as torchvision's ImageNet evaluation (resize the shorter side to 256 with
      antialiasing, centre-crop 224, normalise with ImageNet mean/std; a 224×224 image is only
      normalised) and prints the most probable classes. --weights takes a .pth (torch.save) or
      .safetensors file of any torchvision ResNet (18/34/50/101/152).

      --checkpoint takes a model kept by `classify finetune` (best.safetensors) instead: its own \
      class names and input transform (the run's resize and normalisation); --weights then \
      overrides where its frozen backbone's weights are found.
      """)

  @OptionGroup var global: GlobalOptions

  @Option(
    help:
      "Checkpoint: a .pth/.safetensors file, or a cached model name like resnet50 or resnet50:v1.")
  var weights: String?

  @Option(help: "A fine-tuned model: a classify finetune run folder, or its best.safetensors.")
  var checkpoint: String?

  @Option(parsing: .unconditional, help: "How many classes to show per image.")
  var top: Int = 5

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Option(
    help:
      "What the ImageNet network multiplies in: fp32 (exact) or bf16 (on CPUs with AVX512-BF16; up to twice as fast, depending on the CPU, with the weights in half the memory; probabilities within ~1 %). A --checkpoint runs in the precision it was trained with."
  )
  var precision: Precision = .fp32

  @Argument(help: "PNG or JPEG files, or folders (every .png/.jpg/.jpeg inside, recursively).")
  var images: [String]

  @Option(
    help:
      "Also write one CSV line per image (path, top class, its probability) to this new file (an existing file is never overwritten)."
  )
  var csv: String?

  func validate() throws {
    guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    guard !images.isEmpty else { throw ValidationError("give at least one image file") }
    guard weights != nil || checkpoint != nil else {
      throw ValidationError(
        "give --weights (an ImageNet ResNet) or --checkpoint (a finetune model)")
    }
  }

  func run() throws {
    try global.apply()
    let images: [String]
    do {
      images = try ImageFiles.expand(self.images)
    } catch let problem as ImageFiles.Problem {
      throw ValidationError(problem.description)
    }
    if let csv, FileManager.default.fileExists(atPath: csv) {
      throw ValidationError(
        "--csv \(csv) exists; predict writes only a new file: choose another name")
    }
    let predictions: [ImageClassifier.Prediction]
    if let checkpoint {
      predictions = try Self.predict(
        images, checkpoint: FineTuneCheckpoint.file(forRunOrFile: checkpoint), weights: weights,
        top: top)
    } else {
      let file = try WeightsLocator.resolve(weights ?? "resnet50")
      if FineTuneCheckpoint.isCheckpoint(file) {
        throw ValidationError(
          "\(file.path) is a model kept by classify finetune, not backbone weights; pass it as --checkpoint \(file.path)"
        )
      }
      let model = try ResNet.load(from: file)
      // Folded in place: a bf16 model then holds only its packed bf16 weights, not the fp32
      // ones beside them (the classifier folds a folded model without copying it).
      model.fold(precision: precision)
      var classifier = ImageClassifier(model: model, precision: precision)
      if classifier.precision != precision {
        FileHandle.standardError.write(
          Data(
            "note: --precision \(precision.rawValue) needs AVX512-BF16, which this CPU lacks; running \(classifier.precision.rawValue)\n"
              .utf8))
      } else if precision == .bf16 && !Precision.bf16IsFasterThanFP32 {
        FileHandle.standardError.write(
          Data(
            "note: this CPU's bf16 dot product (vdpbf16ps) is slower than its fp32 FMA, so --precision bf16 runs the bf16-rounded weights through fp32 FMA: probabilities within ~1 % of fp32 at about fp32's speed\n"
              .utf8))
      }
      classifier.source = file.path
      predictions = try classifier.classify(images.map { URL(fileURLWithPath: $0) }, top: top)
    }
    if let csv { try ImageFiles.writeCSV(predictions, to: URL(fileURLWithPath: csv)) }
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

  /// Top classes of each image under a fine-tuned checkpoint, one image at a time (sizes may
  /// differ when the run did not resize).
  static func predict(_ files: [String], checkpoint: URL, weights: String?, top: Int) throws
    -> [ImageClassifier.Prediction]
  {
    let model = try FineTuneCheckpoint.load(from: checkpoint, weights: weights)
    let pipeline = model.extractor.pipeline
    return try files.map { path in
      let image = try Image.decode(contentsOf: URL(fileURLWithPath: path)).converted(to: 3)
      var generator = SeededGenerator(seed: 0)
      let input = try pipeline.apply(Vision.toTensor(image), generator: &generator)
      let probabilities = try model.probabilities(
        images: input.reshaped(to: [1] + input.shape), names: [path]
      ).scalars
      let ranked = ImageClassifier.ranked(probabilities)
      return ImageClassifier.Prediction(
        path: path,
        top: ranked.prefix(top).map {
          ImageClassifier.Score(
            index: $0, name: model.classNames[$0], probability: probabilities[$0])
        })
    }
  }
}
