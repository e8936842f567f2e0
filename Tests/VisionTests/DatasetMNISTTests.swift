import Foundation
import Testing

@testable import Vision

/// Expected values printed by scripts/fixtures/make_dataset_fixtures.py from torchvision:
/// `ds = torchvision.datasets.MNIST(root, train=…, download=False); np.asarray(ds[1][0])`
/// (FashionMNIST read from a gunzipped copy, since torchvision reads the uncompressed files).
@Suite("MNIST family datasets")
struct DatasetMNISTTests {
  @Test("MNIST from uncompressed IDX files matches torchvision")
  func mnistRaw() throws {
    let root = try datasetFixture("mnist")
    let train = try MNIST.load(root: root, kind: .mnist, split: .train)
    // MNIST(root, train=True).targets.tolist(); np.asarray(ds[1][0])[27, 0] == 60, [3, 14] == 55
    #expect(train.labels == [3, 5, 1, 2, 3, 5, 4, 8, 7, 5])
    #expect(train.width == 28 && train.height == 28 && train.channels == 1)
    #expect(train.classNames[0] == "0 - zero")
    let image = train.image(at: 1)
    #expect(image[27, 0, 0] == 60 && image[3, 14, 0] == 55)
    let test = try MNIST.load(root: root, kind: .mnist, split: .test)
    // MNIST(root, train=False): targets [7, 8, 9, 0, 5]; ds[1] [27, 0] == 147, [3, 14] == 78
    #expect(test.labels == [7, 8, 9, 0, 5])
    #expect(test.image(at: 1)[27, 0, 0] == 147 && test.image(at: 1)[3, 14, 0] == 78)
  }

  @Test("Fashion-MNIST from .gz files matches torchvision; gray replicates to RGB")
  func fashionGzip() throws {
    let root = try datasetFixture("fashion")
    let train = try MNIST.load(root: root, kind: .fashionMNIST, split: .train)
    // FashionMNIST(root, train=True).targets == [5, 4, 7, 7, 7, 7]; ds[1] [27, 0] == 63, [3, 14] == 91
    #expect(train.labels == [5, 4, 7, 7, 7, 7])
    #expect(train.image(at: 1)[27, 0, 0] == 63 && train.image(at: 1)[3, 14, 0] == 91)
    #expect(train.classNames[9] == "Ankle boot")
    let test = try MNIST.load(root: root, kind: .fashionMNIST, split: .test, replicateToRGB: true)
    // FashionMNIST(root, train=False): [5, 5, 8]; ds[1] [27, 0] == 210 → RGB (210, 210, 210)
    #expect(test.labels == [5, 5, 8])
    #expect(test.channels == 3)
    let rgb = test.image(at: 1)
    #expect([rgb[27, 0, 0], rgb[27, 0, 1], rgb[27, 0, 2]] == [210, 210, 210])
    #expect(rgb[3, 14, 2] == 148)
  }

  @Test("a wrong IDX magic number, a truncated file and a corrupt .gz are typed errors")
  func badFiles() throws {
    let root = try corruptibleCopy(of: "mnist")
    let raw = root.appendingPathComponent("MNIST/raw")
    let labels = raw.appendingPathComponent("t10k-labels-idx1-ubyte")
    let images = raw.appendingPathComponent("t10k-images-idx3-ubyte")
    // Swap the files: the images name now holds a labels file (magic 2049).
    let labelBytes = try Data(contentsOf: labels)
    let imageBytes = try Data(contentsOf: images)
    try labelBytes.write(to: images)
    let magic = try #require(throws: DatasetError.self) {
      try MNIST.load(root: root, kind: .mnist, split: .test)
    }
    #expect(magic.problem == .badMagic && magic.path.hasSuffix("t10k-images-idx3-ubyte"))
    #expect(magic.description.contains("2049, expected 2051"))
    try imageBytes.prefix(16 + 784 * 2 + 5).write(to: images)
    let truncated = try #require(throws: DatasetError.self) {
      try MNIST.load(root: root, kind: .mnist, split: .test)
    }
    #expect(truncated.problem == .truncated)

    let fashion = try corruptibleCopy(of: "fashion")
    let gz = fashion.appendingPathComponent("FashionMNIST/raw/train-images-idx3-ubyte.gz")
    let compressed = try Data(contentsOf: gz)
    try compressed.prefix(compressed.count - 200).write(to: gz)
    let cut = try #require(throws: DatasetError.self) {
      try MNIST.load(root: fashion, kind: .fashionMNIST, split: .train)
    }
    #expect(cut.problem == .badArchive && cut.path.hasSuffix(".gz"))
    var flipped = [UInt8](compressed)
    flipped[flipped.count - 8] ^= 0xFF  // the CRC-32 in the trailer
    try Data(flipped).write(to: gz)
    let crc = try #require(throws: DatasetError.self) {
      try MNIST.load(root: fashion, kind: .fashionMNIST, split: .train)
    }
    #expect(crc.problem == .badArchive && crc.description.contains("CRC-32"))
  }

  @Test("a missing MNIST folder names the torchvision URLs")
  func offline() throws {
    let error = try #require(throws: DatasetError.self) {
      try MNIST.load(
        root: URL(fileURLWithPath: "/nonexistent-classify"), kind: .kmnist, split: .train)
    }
    #expect(error.problem == .notFound)
    #expect(
      error.description.contains(
        "http://codh.rois.ac.jp/kmnist/dataset/kmnist/train-images-idx3-ubyte.gz"))
    #expect(error.description.contains("KMNIST/raw/train-images-idx3-ubyte.gz"))
  }
}

@Suite("STL-10 dataset")
struct DatasetSTLTests {
  @Test("STL-10 binary matches torchvision (column-major planes, labels 1–10 → 0–9)")
  func splits() throws {
    let root = try datasetFixture("stl10")
    // STL10(root, split="train").labels == [2, 5, 0]; np.asarray(ds[0][0])[0, 1] == [184, 159, 192],
    // [95, 2] == [15, 181, 48], [10, 80] == [171, 85, 66]
    let train = try STL10.load(root: root, split: .train)
    #expect(train.labels == [2, 5, 0])
    #expect(train.classNames.count == 10 && train.classNames[7] == "monkey")
    let image = train.image(at: 0)
    func rgb(_ y: Int, _ x: Int) -> [UInt8] { (0..<3).map { image[y, x, $0] } }
    #expect(rgb(0, 1) == [184, 159, 192])
    #expect(rgb(95, 2) == [15, 181, 48])
    #expect(rgb(10, 80) == [171, 85, 66])
    // split="test": [1, 0]; ds[0] [10, 80] == [46, 246, 136]
    let test = try STL10.load(root: root, split: .test)
    #expect(test.labels == [1, 0])
    #expect((0..<3).map { test.image(at: 0)[10, 80, $0] } == [46, 246, 136])
    // split="unlabeled": labels [-1]; ds[0] [95, 2] == [211, 122, 84]
    let unlabeled = try STL10.load(root: root, split: .unlabeled)
    #expect(unlabeled.labels == [-1])
    #expect((0..<3).map { unlabeled.image(at: 0)[95, 2, $0] } == [211, 122, 84])
  }

  @Test("a label 0 (stored 1–10) is out of range; a short image file is truncated")
  func badFiles() throws {
    let root = try corruptibleCopy(of: "stl10")
    let labels = root.appendingPathComponent("stl10_binary/test_y.bin")
    try Data([1, 0]).write(to: labels)
    let error = try #require(throws: DatasetError.self) { try STL10.load(root: root, split: .test) }
    #expect(error.problem == .labelOutOfRange && error.path.hasSuffix("test_y.bin"))
    let images = root.appendingPathComponent("stl10_binary/train_X.bin")
    try Data(repeating: 0, count: 27648 + 7).write(to: images)
    let size = try #require(throws: DatasetError.self) { try STL10.load(root: root, split: .train) }
    #expect(size.problem == .badRecordSize)
  }
}
