import Foundation
import Testing

@testable import ImageCodecs

@Suite("Image channel conversion")
struct ImageConversionTests {
  @Test("gray → RGB replicates, gray → RGBA adds opaque alpha")
  func fromGray() {
    let gray = Image(width: 2, height: 1, channels: 1, pixels: [10, 200])
    #expect(gray.converted(to: 3).pixels == [10, 10, 10, 200, 200, 200])
    #expect(gray.converted(to: 4).pixels == [10, 10, 10, 255, 200, 200, 200, 255])
  }

  @Test("RGBA → RGB drops alpha without compositing, like PIL's convert(\"RGB\")")
  func dropAlpha() {
    // Image.fromarray(np.array([[[10, 20, 30, 0], [40, 50, 60, 128]]], np.uint8), "RGBA")
    //     .convert("RGB") → [[10, 20, 30], [40, 50, 60]]
    let rgba = Image(width: 2, height: 1, channels: 4, pixels: [10, 20, 30, 0, 40, 50, 60, 128])
    #expect(rgba.converted(to: 3).pixels == [10, 20, 30, 40, 50, 60])
    #expect(
      rgba.converted(to: 3).converted(to: 4).pixels == [10, 20, 30, 255, 40, 50, 60, 255])
  }

  @Test("RGB → gray is PIL's rounded ITU-R 601-2 luma")
  func luma() {
    // Image.fromarray(np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255],
    //     [12, 200, 99]]], np.uint8)).convert("L") → [[76, 150, 29, 255, 132]]
    let rgb = Image(
      width: 5, height: 1, channels: 3,
      pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 12, 200, 99])
    #expect(rgb.converted(to: 1).pixels == [76, 150, 29, 255, 132])
  }

  @Test("decoded RGBA fixture → RGB equals the fixture's first three channels")
  func fixtureDropAlpha() throws {
    let rgba = try Image.decode(contentsOf: fixtureURL("rgba.png"))
    let rgb = rgba.converted(to: 3)
    for index in 0..<(rgba.width * rgba.height) {
      #expect(
        Array(rgb.pixels[index * 3..<index * 3 + 3])
          == Array(rgba.pixels[index * 4..<index * 4 + 3]))
    }
  }
}
