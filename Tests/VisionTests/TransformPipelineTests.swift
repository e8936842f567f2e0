import TensorCore
import TestSupport
import Testing

@testable import Vision

@Suite("TransformPipeline")
struct TransformPipelineTests {
  @Test("parses the CLI example into its four steps, and prints it back")
  func example() throws {
    let pipeline = try TransformPipeline.parse(
      "crop:32:pad4,flip,blur:3:0.1-2.0,jitter:0.4:0.4:0.4")
    #expect(pipeline.steps.count == 4)
    let crop = try #require(pipeline.steps[0] as? RandomCrop)
    #expect(crop.height == 32 && crop.width == 32 && crop.padding == 4)
    #expect(crop.paddingMode == .constant(fill: 0))
    #expect((pipeline.steps[1] as? RandomHorizontalFlip)?.probability == 0.5)
    let blur = try #require(pipeline.steps[2] as? GaussianBlur)
    #expect(blur.kernelSize == 3 && blur.minimumSigma == 0.1 && blur.maximumSigma == 2.0)
    let jitter = try #require(pipeline.steps[3] as? ColorJitter)
    #expect(jitter.brightness == 0.4 && jitter.contrast == 0.4 && jitter.saturation == 0.4)
    #expect(pipeline.description == "crop:32:pad4,flip,blur:3:0.1-2.0,jitter:0.4:0.4:0.4")
  }

  @Test(
    "every step's description parses back to the same description",
    arguments: [
      "crop:28x30:pad2:reflect", "crop:8:edge", "crop:8:pad1:fill0.5", "flip:0.25", "blur:5:1.5",
      "jitter:0.2", "resize:40", "resize:20x30", "center:24", "normalize:imagenet",
      "normalize:0.5/0.5/0.5:0.25/0.25/0.25", "none",
    ])
  func roundTrip(spec: String) throws {
    let description = try TransformPipeline.parse(spec).description
    #expect(try TransformPipeline.parse(description).description == description)
  }

  @Test(
    "rejects bad specs with the step, the problem and the grammar",
    arguments: [
      ("crop:32,rotate:10", "unknown operation \"rotate\""),
      ("blur:4", "must be odd"),
      ("blur:3:2.0-0.1", "is empty"),
      ("blur:3:abc", "is not a number"),
      ("crop:3x", "is not a whole number"),
      ("crop:32:pad-1", "must be ≥ 0"),
      ("crop:32:wrap", "unknown crop option"),
      ("flip:1.5", "must be in [0.0, 1.0]"),
      ("jitter", "expected jitter:B[:C[:S]]"),
      ("flip,,crop:3", "empty step"),
      ("normalize:0.5/0.5:0.2", "2 means but 1 standard deviations"),
    ])
  func errors(spec: String, fragment: String) throws {
    let error = #expect(throws: TransformPipelineError.self) { try TransformPipeline.parse(spec) }
    let text = error?.description ?? ""
    #expect(text.contains(fragment), "\(text)")
    #expect(text.contains(TransformPipeline.grammar))
  }

  @Test("the step number points at the bad step")
  func position() throws {
    let error = #expect(throws: TransformPipelineError.self) {
      try TransformPipeline.parse("flip, crop:32:pad4 ,blur:6")
    }
    #expect(error?.position == 3 && error?.step == "blur:6")
  }

  @Test("apply runs the steps in order and is reproducible from the generator")
  func apply() throws {
    let pipeline = try TransformPipeline.parse("crop:5:pad1:reflect,flip,blur:3,jitter:0.3:0.3:0.3")
    let image = try augmentInput()
    var first = SeededGenerator(seed: 99)
    var second = SeededGenerator(seed: 99)
    let a = try pipeline.apply(image, generator: &first)
    #expect(a.shape == [3, 5, 5])
    #expect(a == (try pipeline.apply(image, generator: &second)))
    // The same as running the steps one by one on one generator.
    var manual = SeededGenerator(seed: 99)
    var expected = image
    for step in pipeline.steps { expected = try step.apply(expected, generator: &manual) }
    #expect(a == expected)
  }

  @Test("normalize and center steps reuse the ImageNet helpers")
  func deterministicSteps() throws {
    let image = try augmentInput()
    var generator = SeededGenerator(seed: 0)
    let output = try TransformPipeline.parse("center:5,normalize:imagenet").apply(
      image, generator: &generator)
    let expected = Vision.normalize(
      Vision.centerCrop(image, size: 5), mean: Vision.imageNetMean,
      standardDeviation: Vision.imageNetStandardDeviation)
    #expect(output == expected)
  }

  @Test("the example the help texts show parses (a documented example was once rejected)")
  func helpExample() throws {
    let pipeline = try TransformPipeline.parse(TransformPipeline.example)
    #expect(pipeline.description == TransformPipeline.example)
  }
}
