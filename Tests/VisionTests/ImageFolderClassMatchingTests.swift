import Foundation
import ImageCodecs
import TensorCore
import Testing

@testable import Vision

/// Held-out image folders were once labelled by folder position: `val/{ant, dog}` against
/// `train/{cat, dog}` scored ants as cats. Classes are matched by name now.
@Suite("Image folder splits match classes by name")
struct ImageFolderClassMatchingTests {
  let root: URL

  init() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-folders-\(UUID().uuidString)")
  }

  func image(_ path: String) throws {
    let url = root.appendingPathComponent(path)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Image(width: 1, height: 1, channels: 3, pixels: [1, 2, 3]).pngData().write(to: url)
  }

  @Test("val/ labels follow train/'s names; a class missing from val/ just has no samples")
  func byName() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    for path in [
      "train/cat/1.png", "train/dog/1.png", "train/emu/1.png", "val/emu/1.png", "val/dog/2.png",
    ] {
      try image(path)
    }
    let test = try DatasetOpener.open(.folder, root: root, split: .test)
    #expect(test.classNames == ["cat", "dog", "emu"])
    // Samples go class by class in val/'s own order: dog (label 1), then emu (label 2).
    #expect((0..<test.count).map { test.label(at: $0) } == [1, 2])
  }

  @Test("a class found only in val/ is refused before any image is read, naming it")
  func unknownClass() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    for path in ["train/cat/1.png", "train/dog/1.png", "val/ant/1.png", "val/dog/1.png"] {
      try image(path)
    }
    let error = try #require(throws: DatasetError.self) {
      try DatasetOpener.open(.folder, root: root, split: .test)
    }
    #expect(error.problem == .malformed)
    #expect(error.description.contains("ant") && error.description.contains("cat, dog"))
  }

  @Test("a CSV without rows is refused")
  func emptyCSV() throws {
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let csv = root.appendingPathComponent("labels.csv")
    try Data("path,label\n".utf8).write(to: csv)
    let error = try #require(throws: DatasetError.self) { try ImageFolderDataset(csv: csv) }
    #expect(error.description.contains("no images"))
  }
}

@Suite("Non-finite outputs are errors")
struct NonFiniteOutputTests {
  @Test("a NaN or an infinity in any row is refused, naming that row's image and the weights")
  func refused() throws {
    let finite = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
    try NonFiniteOutputError.check(finite, images: ["a.png", "b.png"], source: "w.pth")
    for bad in [Float.nan, .infinity, -.infinity] {
      var scalars = finite.scalars
      scalars[4] = bad
      let error = try #require(throws: NonFiniteOutputError.self) {
        try NonFiniteOutputError.check(
          Tensor(shape: [2, 3], scalars: scalars), images: ["a.png", "b.png"], source: "w.pth")
      }
      #expect(error.image == "b.png" && error.description.contains("w.pth"))
    }
  }
}
