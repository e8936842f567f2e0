import Testing

@testable import ImageCodecs

@Suite("ImageCodecs")
struct ImageCodecsVersionTests {
  @Test("links libpng 1.6")
  func version() { #expect(ImageCodecs.pngVersion.hasPrefix("1.6")) }
}
