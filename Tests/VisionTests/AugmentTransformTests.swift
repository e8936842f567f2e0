import TensorCore
import TestSupport
import Testing

@testable import Vision

/// The fixtures' input, `[3, 7, 9]` (scripts/fixtures/make_augment_fixtures.py:
/// `torch.manual_seed(20240); x = torch.rand(3, 7, 9)`).
func augmentInput() throws -> Tensor {
  try transformFixture("augment_input.bin", shape: [3, 7, 9])
}

/// `Tensor.arange` reshaped, for hand-derived cases.
func rampImage(channels: Int, height: Int, width: Int) -> Tensor {
  Tensor(
    shape: [channels, height, width],
    scalars: (0..<(channels * height * width)).map { Float($0) })
}

@Suite("RandomCrop (augment)")
struct AugmentRandomCropTests {
  @Test(
    "padding matches F.pad for constant, reflect and edge",
    arguments: [
      ("constant", PaddingMode.constant(fill: 0.25)), ("reflect", .reflect), ("edge", .edge),
    ])
  func padding(name: String, mode: PaddingMode) throws {
    // F.pad(x, [2], fill=0.25 | padding_mode=name)
    let expected = try transformFixture("augment_pad_\(name).bin", shape: [3, 11, 13])
    let padded = try RandomCrop.padded(try augmentInput(), padding: 2, mode: mode)
    #expect(padded.shape == [3, 11, 13])
    expectClose(padded.scalars, expected.scalars, absolute: 1e-6, relative: 0)
  }

  @Test(
    "a fixed crop of the padded image matches F.crop(F.pad(...))",
    arguments: [
      ("constant", PaddingMode.constant(fill: 0.25)), ("reflect", .reflect), ("edge", .edge),
    ])
  func fixedCrop(name: String, mode: PaddingMode) throws {
    // F.crop(F.pad(x, [2], ...), top=3, left=1, height=6, width=8)
    let expected = try transformFixture("augment_crop_\(name).bin", shape: [3, 6, 8])
    let cropped = try RandomCrop.crop(
      try augmentInput(), top: 3, left: 1, height: 6, width: 8, padding: 2, mode: mode)
    #expect(cropped.shape == [3, 6, 8])
    expectClose(cropped.scalars, expected.scalars, absolute: 1e-6, relative: 0)
  }

  @Test("reflect and edge index maps, derived by hand")
  func indexMaps() {
    // reflect on 0 1 2 3: … 2 1 | 0 1 2 3 | 2 1 …; edge: … 0 0 | 0 1 2 3 | 3 3 …
    #expect(
      (-2...5).map { RandomCrop.sourceIndex($0, size: 4, mode: .reflect) } == [
        2, 1, 0, 1, 2, 3, 2, 1,
      ])
    #expect(
      (-2...5).map { RandomCrop.sourceIndex($0, size: 4, mode: .edge) } == [0, 0, 0, 1, 2, 3, 3, 3])
    #expect(RandomCrop.sourceIndex(-1, size: 4, mode: .constant(fill: 0)) == -1)
  }

  @Test("random offsets cover every position of the padded image, and only those")
  func randomOffsets() throws {
    // A 1×4×4 ramp padded by 1 with −1: a 4×4 crop starts at top, left ∈ {0, 1, 2}; its
    // top-left sample identifies the offset.
    let image = rampImage(channels: 1, height: 4, width: 4)
    let crop = RandomCrop(height: 4, width: 4, padding: 1, paddingMode: .constant(fill: -1))
    var generator = SeededGenerator(seed: 3)
    var seen = Set<[Float]>()
    for _ in 0..<400 {
      let output = try crop.apply(image, generator: &generator)
      #expect(output.shape == [1, 4, 4])
      seen.insert([output.scalars[0], output.scalars[5]])
    }
    // (top, left) → the sample at output (1, 1) is input (top, left), or −1 at the border.
    #expect(seen.count == 9)
  }

  @Test("the same generator state gives the same crop")
  func reproducible() throws {
    let crop = RandomCrop(height: 5, width: 5, padding: 2, paddingMode: .reflect)
    var first = SeededGenerator(seed: 11)
    var second = SeededGenerator(seed: 11)
    for _ in 0..<10 {
      #expect(
        try crop.apply(try augmentInput(), generator: &first)
          == crop.apply(try augmentInput(), generator: &second))
    }
  }

  @Test("a crop larger than the padded image throws, naming the sizes")
  func tooLarge() throws {
    var generator = SeededGenerator(seed: 0)
    let error = #expect(throws: TransformError.self) {
      try RandomCrop(height: 12, width: 12, padding: 1).apply(
        try augmentInput(), generator: &generator)
    }
    #expect(error?.description.contains("9x11") == true)
    #expect(throws: TransformError.self) {
      try RandomCrop.padded(try augmentInput(), padding: 7, mode: .reflect)
    }
  }
}

@Suite("RandomHorizontalFlip (augment)")
struct AugmentFlipTests {
  @Test("flipped equals F.hflip")
  func flip() throws {
    let expected = try transformFixture("augment_hflip.bin", shape: [3, 7, 9])
    #expect(RandomHorizontalFlip.flipped(try augmentInput()).scalars == expected.scalars)
  }

  @Test("p = 0 never flips, p = 1 always does")
  func extremes() throws {
    let image = try augmentInput()
    var generator = SeededGenerator(seed: 1)
    for _ in 0..<20 {
      #expect(try RandomHorizontalFlip(probability: 0).apply(image, generator: &generator) == image)
      #expect(
        try RandomHorizontalFlip(probability: 1).apply(image, generator: &generator)
          == RandomHorizontalFlip.flipped(image))
    }
  }

  @Test("the flip rate is close to p", arguments: [Float(0.5), 0.2])
  func rate(probability: Float) throws {
    let image = rampImage(channels: 1, height: 1, width: 2)
    var generator = SeededGenerator(seed: 42)
    let trials = 10_000
    var flips = 0
    for _ in 0..<trials {
      let output = try RandomHorizontalFlip(probability: probability).apply(
        image, generator: &generator)
      if output.scalars[0] == 1 { flips += 1 }
    }
    // Binomial standard deviation ≤ 0.005 at 10,000 trials; allow 4σ.
    #expect(abs(Double(flips) / Double(trials) - Double(probability)) < 0.02)
  }
}

@Suite("ColorJitter (augment)")
struct AugmentColorJitterTests {
  @Test(
    "fixed factors match F.adjust_brightness / contrast / saturation",
    arguments: [
      ("brightness", ColorJitter.Adjustment.brightness, Float(1.7)),
      ("contrast", .contrast, 0.45), ("contrast_up", .contrast, 1.6),
      ("saturation", .saturation, 1.8), ("saturation_down", .saturation, 0.3),
    ])
  func adjustment(name: String, adjustment: ColorJitter.Adjustment, factor: Float) throws {
    // F.adjust_<name>(x, factor)
    let expected = try transformFixture("augment_\(name).bin", shape: [3, 7, 9])
    let actual = ColorJitter.adjust(try augmentInput(), adjustment, factor: factor)
    expectClose(actual.scalars, expected.scalars, absolute: 1e-6, relative: 0)
  }

  @Test("a sequence of adjustments matches torchvision applied in that order")
  func sequence() throws {
    // F.adjust_contrast(F.adjust_brightness(F.adjust_saturation(x, 1.3), 0.8), 1.25)
    let expected = try transformFixture("augment_jitter_sequence.bin", shape: [3, 7, 9])
    var image = try augmentInput()
    image = ColorJitter.adjust(image, .saturation, factor: 1.3)
    image = ColorJitter.adjust(image, .brightness, factor: 0.8)
    image = ColorJitter.adjust(image, .contrast, factor: 1.25)
    expectClose(image.scalars, expected.scalars, absolute: 1e-6, relative: 0)
  }

  @Test("the brightness factor applied stays in [1 − v, 1 + v]")
  func randomFactors() throws {
    // A uniform gray image: brightness scales it, contrast and saturation leave it nearly
    // unchanged (gray = 0.9999·x, torchvision's weights sum to 0.9999), so the output reveals
    // the brightness factor to within 1e-4.
    let image = Tensor(repeating: 0.5, shape: [3, 2, 2])
    let jitter = ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4)
    var generator = SeededGenerator(seed: 5)
    var lowest: Float = 1
    var highest: Float = 0
    for _ in 0..<2000 {
      let factor = try jitter.apply(image, generator: &generator).scalars[0] / 0.5
      lowest = min(lowest, factor)
      highest = max(highest, factor)
    }
    #expect(lowest >= 0.6 - 1e-3 && lowest < 0.62)
    #expect(highest <= 1.4 + 1e-3 && highest > 1.38)
  }

  @Test("parameters: every order occurs, factors lie in [max(0, 1 − v), 1 + v]")
  func parameters() {
    let jitter = ColorJitter(brightness: 0.4, contrast: 1.5, saturation: 0)
    var generator = SeededGenerator(seed: 8)
    var orders = Set<[Int]>()
    for _ in 0..<600 {
      let (order, factors) = jitter.parameters(using: &generator)
      orders.insert(order.map(\.rawValue))
      #expect(Set(factors.keys) == [.brightness, .contrast])
      #expect((0.6...1.4).contains(factors[.brightness] ?? -1))
      #expect((0...2.5).contains(factors[.contrast] ?? -1))
    }
    #expect(orders.count == 6)
  }

  @Test("a zero strength leaves the image unchanged; one channel is supported")
  func identity() throws {
    var generator = SeededGenerator(seed: 9)
    let image = try augmentInput()
    #expect(try ColorJitter().apply(image, generator: &generator) == image)
    let gray = Tensor(shape: [1, 2, 2], scalars: [0, 0.2, 0.4, 0.6])
    // Contrast on one channel blends with the channel's own mean: factor 0 → all the mean.
    let flattened = ColorJitter.adjust(gray, .contrast, factor: 0)
    expectClose(flattened.scalars, [0.3, 0.3, 0.3, 0.3])
    #expect(ColorJitter.adjust(gray, .saturation, factor: 0) == gray)
  }
}
