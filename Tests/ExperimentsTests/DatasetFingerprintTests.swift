import Foundation
import Testing
import Vision

@testable import Experiments

/// The feature cache once keyed data by its path alone, so edited data reused stale features.
@Suite("Dataset fingerprints follow the content")
struct DatasetFingerprintTests {
  @Test("in-memory images: one changed pixel or label changes the fingerprint")
  func inMemory() throws {
    func dataset(pixel: UInt8, label: Int = 1) -> InMemoryImageDataset {
      InMemoryImageDataset(
        width: 2, height: 1, channels: 1, pixels: [3, pixel, 5, 6], labels: [0, label],
        classNames: ["a", "b"])
    }
    let base = try DatasetFingerprint.of(dataset(pixel: 4))
    #expect(base.hasPrefix("sha256:") && base.count == 7 + 64)
    #expect(try DatasetFingerprint.of(dataset(pixel: 4)) == base)
    #expect(try DatasetFingerprint.of(dataset(pixel: 9)) != base)
    #expect(try DatasetFingerprint.of(dataset(pixel: 4, label: 0)) != base)
  }

  @Test("image folders: a replaced file (other size) or a renamed class changes it")
  func folder() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-fingerprint-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    for name in ["cat", "dog"] {
      let classFolder = root.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
      try Data("png \(name)".utf8).write(to: classFolder.appendingPathComponent("1.png"))
    }
    let base = try DatasetFingerprint.of(ImageFolderDataset(root: root))
    #expect(try DatasetFingerprint.of(ImageFolderDataset(root: root)) == base)
    try Data("another, longer image".utf8).write(to: root.appendingPathComponent("dog/1.png"))
    let replaced = try DatasetFingerprint.of(ImageFolderDataset(root: root))
    #expect(replaced != base)
    try FileManager.default.moveItem(
      at: root.appendingPathComponent("dog"), to: root.appendingPathComponent("emu"))
    #expect(try DatasetFingerprint.of(ImageFolderDataset(root: root)) != replaced)
  }

  @Test("a run's feature keys change when the data under the same path changes")
  func runKeys() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let data = folder.appendingPathComponent("data")
    try writeColourCIFAR(to: data, perTrainBatch: 4, testCount: 4)
    let configuration = smallConfiguration(in: folder)
    let before = try FineTuneInputs(configuration)
    // Same path, other test images.
    try writeColourCIFAR(to: data, perTrainBatch: 4, testCount: 5)
    let after = try FineTuneInputs(configuration)
    #expect(before.testJob.key != after.testJob.key)
    #expect(before.trainJobs[0].key == after.trainJobs[0].key)
  }
}
