import Foundation
import ImageCodecs
import TensorCore
import Testing

@testable import Vision

/// Expected values printed by scripts/fixtures/make_dataset_fixtures.py from
/// `torchvision.datasets.ImageFolder(root + "/folder/train")` (`ds.classes`, `ds.samples`,
/// `np.asarray(ds.loader(path))`).
@Suite("ImageFolder dataset")
struct DatasetImageFolderTests {
  @Test("classes and sample order match torchvision's ImageFolder")
  func ordering() throws {
    let root = try datasetFixture("folder")
    let (trainFolder, heldOut) = ImageFolderDataset.splitFolders(root: root)
    #expect(trainFolder.lastPathComponent == "train" && heldOut?.lastPathComponent == "val")
    let train = try ImageFolderDataset(root: trainFolder)
    // ds.classes == ['Bird', 'cat', 'dog']; ds.samples == [Bird/x.jpeg 0, cat/gray.png 1,
    // cat/z.jpg 1, dog/a.png 2, dog/b.png 2] (notes.txt is not an image extension)
    #expect(train.classNames == ["Bird", "cat", "dog"])
    #expect(
      train.files.map {
        "\($0.deletingLastPathComponent().lastPathComponent)/\($0.lastPathComponent)"
      }
        == ["Bird/x.jpeg", "cat/gray.png", "cat/z.jpg", "dog/a.png", "dog/b.png"])
    #expect(train.labels == [0, 1, 1, 2, 2])
    #expect(train.classCounts() == [1, 2, 2])
    // np.asarray(ds.loader(".../cat/gray.png")).shape == (2, 3, 3); [1, 2] == [158, 158, 158]
    let gray = try train.image(at: 1)
    #expect(gray.width == 3 && gray.height == 2 && gray.channels == 3)
    #expect((0..<3).map { gray[1, 2, $0] } == [158, 158, 158])
    let validation = try ImageFolderDataset(root: try #require(heldOut))
    // np.asarray(ds.loader(".../val/dog/d.png")) (RGBA → RGB): shape (3, 2, 3), [2, 1] == [75, 249, 158]
    let dog = try validation.image(at: 1)
    #expect(dog.channels == 3 && dog.height == 3 && dog.width == 2)
    #expect((0..<3).map { dog[2, 1, $0] } == [75, 249, 158])
  }

  @Test("a CSV of path,label: relative paths, label names sorted into indices")
  func csv() throws {
    let dataset = try ImageFolderDataset(
      csv: try datasetFixture("folder").appendingPathComponent("labels.csv"))
    #expect(dataset.classNames == ["bird", "cat", "dog"])
    #expect(dataset.labels == [2, 1, 1, 0])
    #expect(dataset.count == 4)
    #expect(try dataset.image(at: 1).width == 2)
  }

  @Test("an empty class folder and an undecodable image are typed errors; skipBad lists it")
  func badInput() throws {
    let root = try corruptibleCopy(of: "folder").appendingPathComponent("train")
    let empty = root.appendingPathComponent("emu")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let error = try #require(throws: DatasetError.self) { try ImageFolderDataset(root: root) }
    #expect(error.problem == .emptyClassFolder && error.description.contains("emu"))
    try FileManager.default.removeItem(at: empty)

    let broken = root.appendingPathComponent("cat/broken.png")
    try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0]).write(to: broken)
    let lazy = try ImageFolderDataset(root: root)
    #expect(lazy.count == 6)
    let index = try #require(lazy.files.firstIndex { $0.lastPathComponent == "broken.png" })
    let decode = try #require(throws: DatasetError.self) { try lazy.image(at: index) }
    #expect(decode.problem == .undecodableImage && decode.path.hasSuffix("cat/broken.png"))
    let skipping = try ImageFolderDataset(root: root, skipBad: true)
    #expect(skipping.count == 5)
    #expect(skipping.skipped.map(\.path).allSatisfy { $0.hasSuffix("broken.png") })
    #expect(skipping.skipped.count == 1)
  }
}

@Suite("Validation split")
struct DatasetValidationSplitTests {
  @Test("deterministic, disjoint, covering, 10 % by default")
  func split() {
    let split = ValidationSplit(count: 50, seed: 7)
    #expect(split.validation.count == 5 && split.train.count == 45)
    #expect(Set(split.train).isDisjoint(with: split.validation))
    #expect((split.train + split.validation).sorted() == Array(0..<50))
    #expect(split == ValidationSplit(count: 50, seed: 7))
    #expect(split != ValidationSplit(count: 50, seed: 8))
    #expect(ValidationSplit(count: 50, fraction: 0).validation.isEmpty)
    #expect(ValidationSplit(count: 3, fraction: 0.1).validation.count == 1)
    // The held-out indices are the first 10 % of the project's one seeded shuffle.
    var generator = SeededGenerator(seed: 7)
    #expect(split.validation == generator.permutation(50).prefix(5).sorted())
  }

  @Test("subset of an in-memory set keeps images and labels together")
  func subset() throws {
    let train = try CIFAR.load(
      root: try datasetFixture("cifar10py"), variant: .cifar10, split: .train)
    let split = ValidationSplit(count: train.count, fraction: 0.2, seed: 1)
    let held = train.subset(split.validation)
    #expect(held.count == 3)
    for (position, index) in split.validation.enumerated() {
      #expect(held.image(at: position) == train.image(at: index))
      #expect(held.label(at: position) == train.label(at: index))
    }
  }
}
