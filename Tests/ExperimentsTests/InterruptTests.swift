import Foundation
import Testing

@testable import Experiments

/// Ctrl-C during feature extraction once ended in SIGSEGV inside OpenBLAS (the handler called
/// `exit` from another thread while the main thread was in a kernel). This runs the real
/// `classify` binary, interrupts it at random moments, and checks every ending.
@Suite("Ctrl-C at random moments", .serialized)
struct InterruptTests {
  /// The `classify` executable beside the test bundle (SwiftPM builds it with the tests).
  static var executable: URL? {
    var folder = Bundle.main.bundleURL
    for _ in 0..<3 {
      let candidate = folder.appendingPathComponent("classify")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      folder.deleteLastPathComponent()
    }
    return nil
  }

  func launch(_ arguments: [String], in folder: URL) throws -> Process {
    let process = Process()
    process.executableURL = try #require(Self.executable, "classify was not built beside the tests")
    process.arguments = arguments
    process.currentDirectoryURL = folder
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  @Test("every interrupt exits 130 at a batch boundary (never a crash), and the resume is exact")
  func randomInterrupts() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try writeColourCIFAR(
      to: folder.appendingPathComponent("data"), perTrainBatch: 60, testCount: 100)
    let common = [
      "finetune", "--root", "data", "--weights", "random", "--depth", "18", "--base-width", "8",
      "--head", "8", "--epochs", "2", "--batch-size", "8", "--feature-cache",
    ]
    let started = Date()
    let whole = try launch(common + ["cache-whole", "--run-dir", "whole"], in: folder)
    whole.waitUntilExit()
    // Interrupts land anywhere in a run's own span (it may be quick on a fast machine), never
    // before the first 0.15 s, when the Ctrl-C handler may not be installed yet.
    let span = Date().timeIntervalSince(started)
    let latest = max(0.2, 0.9 * span)
    #expect(whole.terminationReason == .exit && whole.terminationStatus == 0)

    var generator = SystemRandomNumberGenerator()
    var interrupted = 0
    for attempt in 0..<6 {
      let run = "run-\(attempt)"
      let process = try launch(common + ["cache-\(attempt)", "--run-dir", run], in: folder)
      // Somewhere in loading, feature extraction or training.
      Thread.sleep(forTimeInterval: Double.random(in: 0.15...latest, using: &generator))
      process.interrupt()
      process.waitUntilExit()
      #expect(process.terminationReason == .exit, "attempt \(attempt) ended by a signal")
      #expect([0, 130].contains(process.terminationStatus), "attempt \(attempt)")
      if process.terminationStatus == 130 { interrupted += 1 }
      let runFolder = folder.appendingPathComponent(run)
      if FileManager.default.fileExists(
        atPath: runFolder.appendingPathComponent("config.json").path)
      {
        let resumed = try launch(["finetune", "--resume", run], in: folder)
        resumed.waitUntilExit()
        #expect(resumed.terminationStatus == 0, "resume of attempt \(attempt)")
        let expected = try Data(contentsOf: folder.appendingPathComponent("whole/test.json"))
        let actual = try? Data(contentsOf: runFolder.appendingPathComponent("test.json"))
        #expect(actual == expected, "attempt \(attempt): the resumed run's results differ")
      }
    }
    #expect(interrupted > 0, "no attempt was interrupted: the run is too quick to test")
  }
}
