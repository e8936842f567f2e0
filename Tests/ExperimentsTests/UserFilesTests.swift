import Foundation
import Testing

@testable import Experiments

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The experiments' own input files (Part 2 networks, Part 3 data and orders, run configurations)
/// follow the same rules as every other reader: regular files only, reasons in words.
@Suite("Experiment input files")
struct UserFilesTests {
  @Test(
    "a FIFO given as Part 3 data, an order file, a Part 2 network or a config is refused at once")
  func fifo() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-userfiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let pipe = folder.appendingPathComponent("data.txt")
    #expect(mkfifo(pipe.path, 0o600) == 0)
    for attempt in [
      { _ = try LogisticData(contentsOf: pipe) },
      { _ = try LogisticSampleOrder.read(contentsOf: pipe, rowCount: 3) },
      { _ = try LogisticNetwork.load(from: pipe) },
      { _ = try FineTuneConfiguration.read(from: pipe) },
    ] as [() throws -> Void] {
      #expect {
        try attempt()
      } throws: { error in
        "\(error)".contains(pipe.path) && "\(error)".contains("named pipe")
      }
    }
  }

  @Test("a network file that is not valid JSON names the problem in words")
  func badJSON() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-network-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data(#"{"sizes": [3, 1]}"#.utf8).write(to: file)
    #expect {
      _ = try LogisticNetwork.load(from: file)
    } throws: { error in
      "\(error)".contains("the field 'weights' is missing") && !"\(error)".contains("keyNotFound")
    }
  }
}
