import Foundation
import Testing

@testable import Vision

/// Expected values printed by scripts/fixtures/make_dataset_fixtures.py from torchvision:
/// `ds = torchvision.datasets.CIFAR10(root, train=…, download=False); np.asarray(ds[i][0])`.
@Suite("CIFAR datasets")
struct DatasetCIFARTests {
  // CIFAR10(root, train=True).targets
  static let trainTargets = [7, 5, 0, 5, 0, 8, 6, 4, 6, 5, 4, 0, 5, 6, 4]

  func checkCIFAR10(_ root: URL) throws {
    let train = try CIFAR.load(root: root, variant: .cifar10, split: .train)
    #expect(train.count == 15)
    #expect(train.labels == Self.trainTargets)
    #expect(train.classNames.count == 10)
    #expect(train.classNames.prefix(2) == ["airplane", "automobile"])
    #expect(train.width == 32 && train.height == 32 && train.channels == 3)
    // np.asarray(ds[14][0])[0, 0] == [142, 58, 251]; [31, 17] == [38, 125, 226]
    let last = train.image(at: 14)
    #expect([last[0, 0, 0], last[0, 0, 1], last[0, 0, 2]] == [142, 58, 251])
    #expect([last[31, 17, 0], last[31, 17, 1], last[31, 17, 2]] == [38, 125, 226])
    let test = try CIFAR.load(root: root, variant: .cifar10, split: .test)
    #expect(test.labels == [4, 2, 3, 6])
    // CIFAR10(root, train=False): np.asarray(ds[3][0])[0, 0] == [68, 214, 143]
    let image = test.image(at: 3)
    #expect([image[0, 0, 0], image[0, 0, 1], image[0, 0, 2]] == [68, 214, 143])
    #expect([image[31, 17, 0], image[31, 17, 1], image[31, 17, 2]] == [188, 252, 68])
  }

  @Test("CIFAR-10 python layout (Python 2 cPickle batches) matches torchvision")
  func cifar10Python() throws {
    try checkCIFAR10(try datasetFixture("cifar10py"))
  }

  @Test("CIFAR-10 binary layout gives the same images and labels")
  func cifar10Binary() throws {
    try checkCIFAR10(try datasetFixture("cifar10bin"))
    let python = try CIFAR.load(
      root: try datasetFixture("cifar10py"), variant: .cifar10, split: .train)
    let binary = try CIFAR.load(
      root: try datasetFixture("cifar10bin"), variant: .cifar10, split: .train)
    #expect(python == binary)
  }

  @Test("CIFAR-100 python (fine and coarse) matches torchvision; binary agrees")
  func cifar100() throws {
    let root = try datasetFixture("cifar100py")
    let fine = try CIFAR.load(root: root, variant: .cifar100(coarse: false), split: .train)
    // CIFAR100(root, train=True).targets; np.asarray(ds[2][0])[5, 6] == [161, 49, 211]
    #expect(fine.labels == [11, 57, 73, 64, 68, 7])
    #expect(fine.classNames.count == 100 && fine.classNames[0] == "fine_00")
    let image = fine.image(at: 2)
    #expect([image[5, 6, 0], image[5, 6, 1], image[5, 6, 2]] == [161, 49, 211])
    let coarse = try CIFAR.load(root: root, variant: .cifar100(coarse: true), split: .train)
    #expect(coarse.labels == fine.labels.map { $0 / 5 })  // the fixture's coarse = fine // 5
    #expect(coarse.classNames.count == 20)
    let binaryRoot = try datasetFixture("cifar100bin")
    for coarseLabels in [false, true] {
      for split in [DatasetSplit.train, .test] {
        let python = try CIFAR.load(
          root: root, variant: .cifar100(coarse: coarseLabels), split: split)
        let binary = try CIFAR.load(
          root: binaryRoot, variant: .cifar100(coarse: coarseLabels), split: split)
        #expect(python == binary)
      }
    }
  }

  @Test("a truncated binary batch is a typed error naming the file")
  func truncatedBinary() throws {
    let root = try corruptibleCopy(of: "cifar10bin")
    let file = root.appendingPathComponent("cifar-10-batches-bin/data_batch_2.bin")
    let bytes = try Data(contentsOf: file)
    try bytes.prefix(3073 * 2 + 100).write(to: file)
    let error = try #require(throws: DatasetError.self) {
      try CIFAR.load(root: root, variant: .cifar10, split: .train)
    }
    #expect(error.problem == .badRecordSize)
    #expect(error.path.hasSuffix("data_batch_2.bin"))
    #expect(error.description.contains("3073-byte records"))
    try bytes.prefix(10).write(to: file)
    let short = try #require(throws: DatasetError.self) {
      try CIFAR.load(root: root, variant: .cifar10, split: .train)
    }
    #expect(short.problem == .truncated)
  }

  @Test("CIFAR-100 binary records read as CIFAR-10 are rejected (3074 is not 3073)")
  func wrongRecordSize() throws {
    let root = try corruptibleCopy(of: "cifar10bin")
    let file = root.appendingPathComponent("cifar-10-batches-bin/test_batch.bin")
    try Data(repeating: 1, count: 3074 * 3).write(to: file)
    let error = try #require(throws: DatasetError.self) {
      try CIFAR.load(root: root, variant: .cifar10, split: .test)
    }
    #expect(error.problem == .badRecordSize)
  }

  @Test("a label out of range, a missing batch and a truncated pickle are typed errors")
  func badFiles() throws {
    let root = try corruptibleCopy(of: "cifar10bin")
    let file = root.appendingPathComponent("cifar-10-batches-bin/test_batch.bin")
    var bytes = [UInt8](try Data(contentsOf: file))
    bytes[3073] = 10
    try Data(bytes).write(to: file)
    let label = try #require(throws: DatasetError.self) {
      try CIFAR.load(root: root, variant: .cifar10, split: .test)
    }
    #expect(label.problem == .labelOutOfRange)
    #expect(label.description.contains("record 1 has label 10"))

    let python = try corruptibleCopy(of: "cifar10py")
    let batch3 = python.appendingPathComponent("cifar-10-batches-py/data_batch_3")
    let pickle = try Data(contentsOf: batch3)
    try FileManager.default.removeItem(at: batch3)
    let missing = try #require(throws: DatasetError.self) {
      try CIFAR.load(root: python, variant: .cifar10, split: .train)
    }
    #expect(missing.problem == .missingFile && missing.path.hasSuffix("data_batch_3"))
    try pickle.prefix(pickle.count / 2).write(to: batch3)
    let truncated = try #require(throws: DatasetError.self) {
      try CIFAR.load(root: python, variant: .cifar10, split: .train)
    }
    #expect(truncated.problem == .truncated && truncated.path.hasSuffix("data_batch_3"))
  }

  @Test("no CIFAR folder: the error names the URL and where to unpack it")
  func offlineMessage() throws {
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-cifar-here")
    let error = try #require(throws: DatasetError.self) {
      try CIFAR.load(root: empty, variant: .cifar10, split: .train)
    }
    #expect(error.problem == .notFound)
    #expect(error.description.contains("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"))
    #expect(error.description.contains("c58f30108f718f92721af3b95e74349a"))
    #expect(error.description.contains("tar -xzf"))
  }
}
