import Foundation
import ImageCodecs
import Testing

@testable import Vision

@Suite("DataInspect and dataset archives")
struct DatasetDataInspectTests {
  @Test("inspection counts splits and classes and reports fixture checksums as mismatches")
  func inspectCIFAR() throws {
    let inspection = try DatasetInspection.inspect(.cifar10, root: try datasetFixture("cifar10py"))
    #expect(inspection.splits.map(\.count) == [15, 4])
    #expect(inspection.splits[1].classCounts == [0, 0, 1, 1, 1, 0, 1, 0, 0, 0])
    #expect(inspection.splits[0].imageShapes == ["32×32×3"])
    let status = Dictionary(uniqueKeysWithValues: inspection.checksums.map { ($0.path, $0.status) })
    #expect(status["cifar-10-batches-py/data_batch_1"] == .mismatch)
    #expect(status["cifar-10-python.tar.gz"] == .absent)
  }

  @Test("the sample grid puts class c's first images in row c")
  func grid() throws {
    let test = try MNIST.load(root: try datasetFixture("mnist"), kind: .mnist, split: .test)
    let grid = try DatasetInspection.sampleGrid(test, perClass: 2, cell: 28)
    #expect(grid.width == 2 + 2 * 30 && grid.height == 2 + 10 * 30)
    // test.labels == [7, 8, 9, 0, 5]: image 0 (label 7) is row 7, column 0, unscaled.
    let source = test.image(at: 0)
    #expect(grid[2 + 7 * 30 + 5, 2 + 9, 1] == source[5, 9, 0])
  }

  @Test("a .tar.gz unpacks (folders, GNU long names); a truncated one is a typed error")
  func tarball() throws {
    let destination = FileManager.default.temporaryDirectory
      .appendingPathComponent("classify-tar-\(UUID().uuidString)")
    let files = try TarExtractor.extractTarGz(
      try datasetFixture("archive.tar.gz"), into: destination)
    #expect(files.count == 2)
    let names = try String(
      contentsOf: destination.appendingPathComponent("stl10_binary/class_names.txt"),
      encoding: .utf8)
    #expect(names == "airplane\nbird\n")
    #expect(
      FileManager.default.fileExists(
        atPath: destination.appendingPathComponent(
          "stl10_binary/" + String(repeating: "n", count: 120) + ".txt"
        ).path))
    let cut = destination.appendingPathComponent("cut.tar.gz")
    let bytes = try Data(contentsOf: try datasetFixture("archive.tar.gz"))
    try bytes.prefix(bytes.count / 2).write(to: cut)
    let error = try #require(throws: DatasetError.self) {
      try TarExtractor.extractTarGz(cut, into: destination)
    }
    #expect(error.problem == .badArchive)
  }
}

@Suite("Augmentation previews")
struct AugmentationPreviewTests {
  @Test("toImage inverts toTensor exactly for 8-bit images")
  func roundTrip() {
    let pixels: [UInt8] = (0..<(5 * 4 * 3)).map { UInt8(($0 * 37) % 256) }
    let image = Image(width: 5, height: 4, channels: 3, pixels: pixels)
    #expect(Vision.toImage(Vision.toTensor(image)) == image)
  }

  @Test("the sample grid shows augmented samples, reproducibly from the seed")
  func augmentedGrid() throws {
    let root = try #require(
      Bundle.module.url(forResource: "Fixtures/datasets/cifar10py", withExtension: nil))
    let train = try CIFAR.load(root: root, variant: .cifar10, split: .train)
    let pipeline = try TransformPipeline.parse("crop:32:pad4,flip")
    let plain = try DatasetInspection.sampleGrid(train)
    let first = try DatasetInspection.sampleGrid(train, augment: pipeline, seed: 3)
    let again = try DatasetInspection.sampleGrid(train, augment: pipeline, seed: 3)
    #expect(first == again)
    #expect(first != plain)
    #expect(first.width == plain.width && first.height == plain.height)
  }
}
