import Foundation
import TestSupport
import Testing

@testable import ImageCodecs

@Suite("ImageCodecs: seeded mutation fuzzing")
struct ImageFuzzTests {
  /// The committed seeds: the decoding fixtures (PNG of every color type, baseline,
  /// progressive, grayscale and CMYK JPEG).
  static let seeds = [
    "rgb.png", "palette_trns.png", "interlaced.png", "gray16.png", "rgb.jpg", "progressive.jpg",
    "cmyk.jpg",
  ]

  @Test("mutated PNGs and JPEGs decode or throw ImageCodecError, never crash", arguments: seeds)
  func mutants(seed name: String) throws {
    let original = [UInt8](try Data(contentsOf: try fixtureURL(name)))
    var mutator = ByteMutator(seed: ByteMutator.seed(name, base: 0x1D_2024))
    for _ in 0..<ByteMutator.iterations {
      let mutant = mutator.mutate(original)
      do {
        let image = try Image.decode(mutant, path: name)
        #expect(image.pixels.count == image.width * image.height * image.channels)
        #expect(image.pixels.count <= Image.maximumSamples)
      } catch is ImageCodecError {
        // The expected outcome for most mutants.
      }
    }
    // The untouched seed decodes: the harness exercises the decoder, not only its front door.
    _ = try Image.decode(original, path: name)
  }
}
