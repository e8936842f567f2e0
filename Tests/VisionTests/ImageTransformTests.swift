import ImageCodecs
import TensorCore
import TestSupport
import Testing

@testable import Vision

/// Tolerance for comparisons with torchvision fixtures, absolute on the [0, 1] scale.
let torchvisionTolerance: Float = 1e-4

@Suite("Image transforms vs torchvision")
struct ImageTransformTests {
  /// x = torch.randint(0, 256, (3, 13, 17), dtype=torch.uint8).float() / 255  (seed 0)
  func input() throws -> Tensor {
    try transformFixture("transform_small_input.bin", shape: [3, 13, 17])
  }

  @Test("antialiased downscale 13×17 → 5×7")
  func resizeDown() throws {
    // F.resize(x, [5, 7], antialias=True)
    let expected = try transformFixture("transform_resize_down.bin", shape: [3, 5, 7])
    let actual = Vision.resize(try input(), height: 5, width: 7)
    #expect(actual.shape == [3, 5, 7])
    #expect(maximumDifference(actual, expected) <= torchvisionTolerance)
    expectClose(actual.scalars, expected.scalars, absolute: 1e-6, relative: 0)
  }

  @Test("upscale 13×17 → 29×23")
  func resizeUp() throws {
    // F.resize(x, [29, 23], antialias=True)
    let expected = try transformFixture("transform_resize_up.bin", shape: [3, 29, 23])
    let actual = Vision.resize(try input(), height: 29, width: 23)
    #expect(actual.shape == [3, 29, 23])
    expectClose(actual.scalars, expected.scalars, absolute: 1e-6, relative: 0)
  }

  @Test("upscale one axis, downscale the other: 13×17 → 20×9")
  func resizeMixed() throws {
    // F.resize(x, [20, 9], antialias=True)
    let expected = try transformFixture("transform_resize_mixed.bin", shape: [3, 20, 9])
    let actual = Vision.resize(try input(), height: 20, width: 9)
    expectClose(actual.scalars, expected.scalars, absolute: 1e-6, relative: 0)
  }

  @Test("shorter side 8: 13×17 → 8×10 (int(8 · 17 / 13) = 10)")
  func resizeShorterSide() throws {
    // F.resize(x, 8, antialias=True)
    let expected = try transformFixture("transform_resize_shorter.bin", shape: [3, 8, 10])
    let actual = Vision.resize(try input(), shorterSide: 8)
    #expect(actual.shape == [3, 8, 10])
    expectClose(actual.scalars, expected.scalars, absolute: 1e-6, relative: 0)
  }

  @Test("output size of Resize(int) truncates like torchvision")
  func resizedSizes() {
    // torchvision.transforms.functional._compute_resized_output_size((260, 300), [256])
    //   → [256, 295]; ((300, 260), [256]) → [295, 256]; ((224, 224), [256]) → [256, 256]
    #expect(Vision.resizedSize(height: 260, width: 300, shorterSide: 256) == (256, 295))
    #expect(Vision.resizedSize(height: 300, width: 260, shorterSide: 256) == (295, 256))
    #expect(Vision.resizedSize(height: 224, width: 224, shorterSide: 256) == (256, 256))
    #expect(Vision.resizedSize(height: 13, width: 17, shorterSide: 8) == (8, 10))
  }

  @Test("same size returns the input unchanged")
  func resizeIdentity() throws {
    let x = try input()
    #expect(Vision.resize(x, height: 13, width: 17) == x)
    #expect(Vision.resize(x, shorterSide: 13) == x)
  }

  @Test("a constant image stays constant (weights sum to 1)")
  func resizeConstant() {
    let x = Tensor(repeating: 0.25, shape: [2, 31, 47])
    for (h, w) in [(3, 5), (31, 12), (64, 90), (1, 1)] {
      let y = Vision.resize(x, height: h, width: w)
      #expect(y.scalars.allSatisfy { Swift.abs($0 - 0.25) < 1e-6 }, "\(h)x\(w)")
    }
  }

  @Test(
    "center crop with odd and even margins, and padding",
    arguments: [(8, 10), (10, 12), (6, 6), (15, 16)])
  func centerCrop(height: Int, width: Int) throws {
    // F.center_crop(x, [h, w]); top = int(round((13 - h) / 2.0)) with round-half-to-even:
    // 8×10 → top 2 (2.5), left 4 (3.5); 10×12 → top 2 (1.5), left 2 (2.5);
    // 6×6 → top 4 (3.5), left 6 (5.5); 15×16 → pads one zero row above and below, left 0 (0.5)
    let expected = try transformFixture(
      "transform_crop_\(height)x\(width).bin", shape: [3, height, width])
    let actual = Vision.centerCrop(try input(), height: height, width: width)
    #expect(actual.shape == [3, height, width])
    #expect(actual.scalars == expected.scalars)  // a crop copies values: exact
  }

  @Test("crop offsets round half to even")
  func cropOffsets() {
    // [int(round(m / 2.0)) for m in (1, 3, 5, 7)] == [0, 2, 2, 4]
    #expect([1, 3, 5, 7].map { Vision.cropOffset(input: 10 + $0, crop: 10) } == [0, 2, 2, 4])
    // padding: (crop - size) // 2 in front
    #expect(Vision.cropOffset(input: 13, crop: 16) == -1)
  }

  @Test("normalize with ImageNet statistics")
  func normalize() throws {
    // F.normalize(x, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    let expected = try transformFixture("transform_normalize.bin", shape: [3, 13, 17])
    let actual = Vision.normalize(
      try input(), mean: Vision.imageNetMean, standardDeviation: Vision.imageNetStandardDeviation)
    expectClose(actual.scalars, expected.scalars, absolute: 1e-6, relative: 0)
  }

  @Test("toTensor: HWC uint8 → CHW / 255")
  func toTensor() {
    // T.ToTensor()(Image.fromarray(np.array([[[0, 51, 255], [102, 153, 204]]], np.uint8)))
    //   → [[[0.0, 0.4]], [[0.2, 0.6]], [[1.0, 0.8]]]
    let image = Image(width: 2, height: 1, channels: 3, pixels: [0, 51, 255, 102, 153, 204])
    let tensor = Vision.toTensor(image)
    #expect(tensor.shape == [3, 1, 2])
    #expect(tensor.scalars == [0, 0.4, 0.2, 0.6, 1, 0.8].map { Float($0) })
    #expect(tensor.scalars == [0, 102, 51, 153, 255, 204].map { Float($0) / 255 })
  }
}
