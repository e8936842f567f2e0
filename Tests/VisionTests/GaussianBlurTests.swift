import Foundation
import TensorCore
import TestSupport
import Testing

@testable import Vision

@Suite("GaussianBlur")
struct GaussianBlurTests {
  @Test(
    "matches torchvision's F.gaussian_blur",
    arguments: [(3, Float(0.7), "3_0.7"), (5, 1.3, "5_1.3"), (7, 2.0, "7_2.0")])
  func torchvision(kernelSize: Int, sigma: Float, name: String) throws {
    // F.gaussian_blur(x, [k, k], [sigma, sigma]) on x = torch.rand(3, 7, 9)
    // (scripts/fixtures/make_augment_fixtures.py); k = 7 reflects by 3 on a 7-row image.
    let expected = try transformFixture("augment_blur_\(name).bin", shape: [3, 7, 9])
    let blurred = try GaussianBlur.blurred(try augmentInput(), kernelSize: kernelSize, sigma: sigma)
    expectClose(blurred.scalars, expected.scalars, absolute: 1e-5, relative: 0)
  }

  @Test("the 1-D kernel is exp(−x²/2σ²) normalised, by hand")
  func kernel() {
    // k = 3, σ = 1: weights ∝ (e^{−1/2}, 1, e^{−1/2}).
    let e = exp(-0.5)
    expectClose(
      GaussianBlur.kernel(size: 3, sigma: 1), [e / (1 + 2 * e), 1 / (1 + 2 * e), e / (1 + 2 * e)],
      absolute: 1e-7, relative: 0)
    #expect(GaussianBlur.kernel(size: 1, sigma: 0.5) == [1])
    let wide = GaussianBlur.kernel(size: 9, sigma: 3)
    expectClose(Double(wide.reduce(0, +)), 1, absolute: 1e-6, relative: 0)
    #expect(wide == Array(wide.reversed()))
  }

  @Test("a constant image stays constant")
  func constant() throws {
    let image = Tensor(repeating: 0.37, shape: [3, 6, 5])
    let blurred = try GaussianBlur.blurred(image, kernelSize: 5, sigma: 1.7)
    expectClose(blurred.scalars, image.scalars, absolute: 1e-6, relative: 0)
  }

  @Test("an impulse far from the border becomes the kernel's outer product")
  func impulse() throws {
    var scalars = [Float](repeating: 0, count: 9 * 9)
    scalars[4 * 9 + 4] = 1
    let blurred = try GaussianBlur.blurred(
      Tensor(shape: [1, 9, 9], scalars: scalars), kernelSize: 5, sigma: 1.1)
    let w = GaussianBlur.kernel(size: 5, sigma: 1.1)
    var expected = [Float](repeating: 0, count: 81)
    for y in 0..<5 { for x in 0..<5 { expected[(y + 2) * 9 + x + 2] = w[y] * w[x] } }
    expectClose(blurred.scalars, expected, absolute: 1e-7, relative: 0)
  }

  @Test("sigma is drawn inside the range; a fixed sigma draws nothing")
  func sampling() throws {
    let image = try augmentInput()
    let fixed = GaussianBlur(kernelSize: 3, sigma: 0.7...0.7)
    var generator = SeededGenerator(seed: 1)
    let before = generator
    let output = try fixed.apply(image, generator: &generator)
    var untouched = before
    #expect(generator.next() == untouched.next())
    #expect(output == (try GaussianBlur.blurred(image, kernelSize: 3, sigma: 0.7)))
    // With σ in [0.1, 2.0], the output lies between the σ = 0.1 (≈ identity) and σ = 2 blurs
    // at a pixel where those two differ: check the centre value moves between the extremes.
    let random = GaussianBlur(kernelSize: 3)
    let low = try GaussianBlur.blurred(image, kernelSize: 3, sigma: 0.1).scalars[30]
    let high = try GaussianBlur.blurred(image, kernelSize: 3, sigma: 2.0).scalars[30]
    for _ in 0..<50 {
      let value = try random.apply(image, generator: &generator).scalars[30]
      #expect(value >= min(low, high) - 1e-6 && value <= max(low, high) + 1e-6)
    }
  }

  @Test("an image smaller than the kernel's reach throws")
  func tooSmall() {
    var generator = SeededGenerator(seed: 0)
    #expect(throws: TransformError.self) {
      try GaussianBlur(kernelSize: 9, sigma: 1...1).apply(
        Tensor.zeros([3, 4, 20]), generator: &generator)
    }
  }
}
