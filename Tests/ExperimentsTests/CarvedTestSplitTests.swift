import Foundation
import ImageCodecs
import Testing

@testable import Experiments

@Suite("Image folders without train/ and val/")
struct CarvedTestSplitTests {
  @Test(
    "a folder of class folders alone gets a seeded test split; train, validation, test partition it"
  )
  func carved() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-carved-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    for (label, name) in ["ant", "bee", "cow"].enumerated() {
      let folder = root.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      for index in 0..<10 {
        let value = UInt8(40 + 80 * label + index)
        try Image(
          width: 16, height: 16, channels: 3, pixels: [UInt8](repeating: value, count: 16 * 16 * 3)
        ).pngData().write(to: folder.appendingPathComponent("\(index).png"))
      }
    }
    var configuration = FineTuneConfiguration()
    configuration.dataset = "folder"
    configuration.root = root.path
    configuration.weights = "random"
    configuration.depth = 18
    configuration.baseWidth = 4
    configuration.validation = 0.2
    configuration.testFraction = 0.3
    let inputs = try FineTuneInputs(configuration)
    #expect(inputs.classNames == ["ant", "bee", "cow"])
    #expect(inputs.testIndices.count == 9)  // round(0.3 · 30)
    let all = inputs.split.train + inputs.split.validation + inputs.testIndices
    #expect(all.sorted() == Array(0..<30), "the three parts must cover every image once")
    #expect(inputs.split.validation.count == 4)  // round(0.2 · 21)
    // The cache keys say the test split was carved, so they never meet a real test split's.
    #expect(inputs.testJob.key.split.contains("carved 0.3"))
    // Another seed carves another test split.
    var other = configuration
    other.training.seed = 1
    #expect(try FineTuneInputs(other).testIndices != inputs.testIndices)
  }
}
