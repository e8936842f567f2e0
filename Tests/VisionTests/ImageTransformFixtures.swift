import Foundation
import TensorCore
import Testing

/// Reads `Fixtures/<name>` (written by scripts/fixtures/make_image_fixtures.py): raw
/// little-endian float32, C-contiguous, with the shape given by the test.
func transformFixture(_ name: String, shape: [Int]) throws -> Tensor {
  let url = try transformFixtureURL(name)
  let bytes = [UInt8](try Data(contentsOf: url))
  let count = shape.reduce(1, *)
  try #require(bytes.count == count * 4, "\(name): \(bytes.count) bytes for shape \(shape)")
  let scalars = (0..<count).map { index in
    let offset = index * 4
    let bits =
      UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
      | UInt32(bytes[offset + 3]) << 24
    return Float(bitPattern: bits)
  }
  return Tensor(shape: shape, scalars: scalars)
}

/// The URL of a file in the VisionTests fixture folder.
func transformFixtureURL(_ name: String) throws -> URL {
  try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures")
    .appendingPathComponent(name)
}

/// The largest absolute difference between two tensors of equal shape.
func maximumDifference(_ a: Tensor, _ b: Tensor) -> Float {
  zip(a.scalars, b.scalars).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
}
