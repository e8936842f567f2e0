import ImageCodecs
import TensorCore
import TestSupport
import Testing

@testable import Vision

@Suite("ImageNet evaluation pipeline vs torchvision")
struct ImageTransformPipelineTests {
  /// pipeline = T.Compose([T.ToTensor(), T.Resize(256, antialias=True), T.CenterCrop(224),
  ///                       T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
  /// expected = pipeline(Image.open("transform_pipeline_input.png").convert("RGB"))
  @Test("300×260 RGB PNG → [3, 224, 224] within 1e-4 on the [0, 1] scale")
  func rgbPipeline() throws {
    let image = try Image.decode(contentsOf: transformFixtureURL("transform_pipeline_input.png"))
    #expect(image.width == 300 && image.height == 260 && image.channels == 3)
    let expected = try transformFixture("transform_pipeline_expected.bin", shape: [3, 224, 224])
    let actual = Vision.imageNetEvaluation(image)
    #expect(actual.shape == [3, 224, 224])
    // Normalized values are (v − mean) / std; scaled back by std the error is on [0, 1].
    let difference = maximumDifference(actual, expected) * 0.229
    #expect(difference <= torchvisionTolerance, "max difference \(difference)")
    expectClose(actual.scalars, expected.scalars, absolute: 1e-5, relative: 0)
  }

  /// expected = pipeline(Image.open("transform_pipeline_gray_input.png").convert("RGB"))
  @Test("250×180 gray PNG is replicated to RGB like convert(\"RGB\")")
  func grayPipeline() throws {
    let image = try Image.decode(
      contentsOf: transformFixtureURL("transform_pipeline_gray_input.png"))
    #expect(image.channels == 1)
    let expected = try transformFixture(
      "transform_pipeline_gray_expected.bin", shape: [3, 224, 224])
    let actual = Vision.imageNetEvaluation(image)
    #expect(maximumDifference(actual, expected) * 0.229 <= torchvisionTolerance)
    expectClose(actual.scalars, expected.scalars, absolute: 1e-5, relative: 0)
  }

  @Test("a 224×224 image skips resize and crop: ToTensor + Normalize only")
  func alreadyCropped() {
    let pixels = (0..<(224 * 224 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let image = Image(width: 224, height: 224, channels: 3, pixels: pixels)
    let expected = Vision.normalize(
      Vision.toTensor(image), mean: Vision.imageNetMean,
      standardDeviation: Vision.imageNetStandardDeviation)
    #expect(Vision.imageNetEvaluation(image) == expected)
  }

  @Test("ImageNet constants")
  func constants() {
    #expect(Vision.imageNetResize == 256)
    #expect(Vision.imageNetCrop == 224)
  }
}
