import Foundation
import Testing

@testable import ImageCodecs

/// A seeded byte mutator (SplitMix64): flips bits, overwrites, inserts, deletes, duplicates
/// and truncates. The same seed gives the same mutants on every machine.
struct ImageMutator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }

  /// `bytes` with one to four random edits.
  mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
    var result = bytes
    for _ in 0...below(4) {
      let at = below(result.count + 1)
      switch below(6) {
      case 0 where !result.isEmpty: result[min(at, result.count - 1)] ^= 1 << UInt8(below(8))
      case 1 where !result.isEmpty:
        result[min(at, result.count - 1)] = [0, 0xFF, 0x7F, 0x80, UInt8(below(256))][below(5)]
      case 2: result.insert(contentsOf: (0...below(8)).map { _ in UInt8(below(256)) }, at: at)
      case 3 where at < result.count:
        result.removeSubrange(at..<min(result.count, at + below(16) + 1))
      case 4 where at < result.count:
        result.insert(contentsOf: result[at..<min(result.count, at + below(32) + 1)], at: at)
      default: result = Array(result.prefix(at))
      }
    }
    return result
  }
}

/// Mutants per seed file: `CLASSIFY_FUZZ_ITERATIONS` (default 300).
let fuzzIterations =
  ProcessInfo.processInfo.environment["CLASSIFY_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 300

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
    var mutator = ImageMutator(
      seed: 0x1D_2024 ^ UInt64(bitPattern: Int64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) })))
    for _ in 0..<fuzzIterations {
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
