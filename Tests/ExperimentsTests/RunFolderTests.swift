import Foundation
import NN
import TensorCore
import Testing
import Vision

@testable import Experiments

/// A run folder is never silently reused or shared, and a resumed run never runs with settings
/// other than those it was started with.
@Suite("Run folders: no reuse, one writer, unchanged settings", .serialized)
struct RunFolderTests {
  let folder: URL

  init() throws {
    folder = try temporaryFolder()
    try writeColourCIFAR(to: folder.appendingPathComponent("data"), perTrainBatch: 8, testCount: 8)
  }

  func configuration() -> FineTuneConfiguration {
    var configuration = smallConfiguration(in: folder)
    configuration.training.epochs = 2
    return configuration
  }

  @discardableResult
  func start(_ directory: URL, _ configuration: FineTuneConfiguration, stopAfter: Int? = nil)
    throws -> FineTuneOutcome
  {
    let run = FineTuneRun(configuration: configuration, directory: directory)
    run.output = { _ in }
    run.showsProgress = false
    run.stopAfterBatches = stopAfter
    return try run.run()
  }

  func resume(_ directory: URL) throws -> FineTuneOutcome {
    let run = try FineTuneRun.resuming(directory: directory)
    run.output = { _ in }
    run.showsProgress = false
    return try run.run(resume: true)
  }

  @Test("a folder with any earlier files is refused by a new run, even without a state file")
  func noReuse() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    let directory = folder.appendingPathComponent("run")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    // What a run stopped before its first epoch leaves: a configuration and a log, no state.
    try Data("{}".utf8).write(to: directory.appendingPathComponent("config.json"))
    try Data("log".utf8).write(to: directory.appendingPathComponent("run.log"))
    let error = try #require(throws: FineTuneError.self) { try start(directory, configuration()) }
    #expect(
      error.description.contains("already holds files") && error.description.contains("--resume"))
    #expect(
      try Data(contentsOf: directory.appendingPathComponent("config.json")) == Data("{}".utf8))

    // A folder of someone's files is not written into either.
    let other = folder.appendingPathComponent("photos")
    try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
    try Data("x".utf8).write(to: other.appendingPathComponent("holiday.jpg"))
    let refused = try #require(throws: FineTuneError.self) { try start(other, configuration()) }
    #expect(refused.description.contains("holiday.jpg"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: other.path) == ["holiday.jpg"])
  }

  @Test("while one process holds a run folder, a second run or resume is refused")
  func locked() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    let directory = folder.appendingPathComponent("run")
    try start(directory, configuration(), stopAfter: 1)
    // flock locks belong to the open file description: a second descriptor, as another process
    // would hold, conflicts with it.
    var holder: RunFolderLock? = try RunFolderLock(folder: directory)
    let error = try #require(throws: FineTuneError.self) { try resume(directory) }
    #expect(error.description.contains("in use by another classify process"))
    #expect(holder != nil)
    holder = nil
    // Released: the resume goes through to the end.
    guard case .finished = try resume(directory) else {
      Issue.record("the resume should finish once the lock is released")
      return
    }
  }

  @Test("resume refuses an edited config.json, naming the changed fields, with or without state")
  func editedConfiguration() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    for stopAfter in [1, 3] {
      let directory = folder.appendingPathComponent("run-\(stopAfter)")
      let outcome = try start(directory, configuration(), stopAfter: stopAfter)
      guard case .interrupted = outcome else {
        Issue.record("expected an interrupted run, got \(outcome)")
        continue
      }
      if stopAfter == 1 {
        // As if stopped before the first state was saved.
        try FileManager.default.removeItem(
          at: directory.appendingPathComponent("state.safetensors"))
      }
      let configFile = directory.appendingPathComponent("config.json")
      let original = try Data(contentsOf: configFile)
      var edited = configuration()
      edited.training.learningRate = 0.01
      edited.training.seed = 9
      try edited.json().write(to: configFile)
      let error = try #require(throws: FineTuneError.self) { try resume(directory) }
      #expect(error.description.contains("learningRate") && error.description.contains("seed"))
      #expect(!error.description.contains("epochs"))
      try original.write(to: configFile)
      guard case .finished = try resume(directory) else {
        Issue.record("the restored configuration should resume to the end")
        continue
      }
    }
  }

  @Test("config.json stores absolute paths, so the run works from any folder later")
  func absolutePaths() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    var relative = configuration()
    relative.root = "data"
    relative.featureCache = "cache"
    let resolved = relative.resolvingPaths(against: folder)
    #expect(resolved.root == folder.appendingPathComponent("data").standardizedFileURL.path)
    #expect(
      resolved.featureCache == folder.appendingPathComponent("cache").standardizedFileURL.path)
    #expect(resolved.weights == "random")
  }
}
