import FileSafety
import Foundation
import Testing

@testable import Vision

@Suite("Image files: folders expanded, predictions written as a new CSV")
struct ImageFilesTests {
  /// A fresh folder, removed after `body`.
  func withFolder(_ body: (URL) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-image-files-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try body(folder)
  }

  @Test("a folder becomes its .png/.jpg/.jpeg files, recursively and sorted; files stay as given")
  func expand() throws {
    try withFolder { folder in
      let nested = folder.appendingPathComponent("b/deeper")
      try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
      for name in ["z.png", "a.JPG", "b/c.jpeg", "b/deeper/d.png", "notes.txt", "b/e.gif"] {
        try Data([0]).write(to: folder.appendingPathComponent(name))
      }
      let expanded = try ImageFiles.expand(["/given/first.png", folder.path])
      #expect(
        expanded
          == ["/given/first.png"]
          + ["a.JPG", "b/c.jpeg", "b/deeper/d.png", "z.png"].map {
            folder.appendingPathComponent($0).path
          })
    }
  }

  @Test("a folder without images is refused, naming it and the fix")
  func emptyFolder() throws {
    try withFolder { folder in
      try Data([0]).write(to: folder.appendingPathComponent("readme.txt"))
      #expect {
        try ImageFiles.expand([folder.path])
      } throws: { error in
        let text = String(describing: error)
        return text.contains(folder.path) && text.contains("give image files")
      }
    }
  }

  @Test("the CSV has one line per image with its best class and probability, RFC 4180 quoted")
  func csvText() {
    let predictions = [
      ImageClassifier.Prediction(
        path: "plain.png",
        top: [
          .init(index: 3, name: "cat", probability: 0.75),
          .init(index: 1, name: "dog", probability: 0.25),
        ]),
      ImageClassifier.Prediction(
        path: "a, \"quoted\" name.jpg", top: [.init(index: 0, name: "x,y", probability: 1)]),
    ]
    #expect(
      ImageFiles.csv(predictions)
        == "path,class,probability\nplain.png,cat,0.75\n\"a, \"\"quoted\"\" name.jpg\",\"x,y\",1.0\n"
    )
  }

  @Test("writing the CSV creates a new file and never replaces one, leaving no temporary file")
  func writeNeverOverwrites() throws {
    try withFolder { folder in
      let target = folder.appendingPathComponent("out.csv")
      let one = [
        ImageClassifier.Prediction(path: "p.png", top: [.init(index: 0, name: "a", probability: 1)])
      ]
      try ImageFiles.writeCSV(one, to: target)
      #expect(try String(contentsOf: target, encoding: .utf8) == ImageFiles.csv(one))
      // A second write (as if the file appeared after predict's own check) is refused and the
      // first file is untouched.
      #expect(throws: ImageFiles.Problem.self) { try ImageFiles.writeCSV([], to: target) }
      #expect(try String(contentsOf: target, encoding: .utf8) == ImageFiles.csv(one))
      #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.csv"])
      // A missing folder is named.
      #expect {
        try ImageFiles.writeCSV(one, to: folder.appendingPathComponent("missing/out.csv"))
      } throws: { String(describing: $0).contains("missing/out.csv") }
    }
  }
}
