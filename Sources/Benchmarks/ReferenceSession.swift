import Foundation

/// A reference script kept running in `--serve` mode, asked for one timing at a time, so that our
/// timings and a peer's alternate within seconds of each other instead of minutes apart: this
/// host's speed drifts by up to 30 % within a minute, and a ratio of two timings taken in
/// different minutes measures the drift as much as the engines.
///
/// The protocol (`scripts/bench/peers.py`): the script prints `key=value` lines while it sets up,
/// then `ready`; each request line `ENGINE SIZE REPS` is answered by `ENGINE_SIZE=SECONDS` or
/// `unknown`; closing its stdin ends it.
final class ReferenceSession {
  private let process = Process()
  private let requests = Pipe()
  private let replies = Pipe()
  private var pending = Data()
  /// The `key=value` lines printed before `ready` (the peers' errors).
  private(set) var values: [String: Double] = [:]

  /// Starts `script` with `referencePython` and reads up to its `ready`; nil when Python or the
  /// script is missing, or it exits before it is ready (an import failed).
  init?(script: String, arguments: [String]) {
    guard FileManager.default.isExecutableFile(atPath: referencePython),
      FileManager.default.fileExists(atPath: script)
    else { return nil }
    // A script that dies mid-run must not take this process with it: a write to its closed
    // stdin then throws (EPIPE) instead of raising SIGPIPE.
    signal(SIGPIPE, SIG_IGN)
    process.executableURL = URL(fileURLWithPath: referencePython)
    process.arguments = [script] + arguments + ["--serve"]
    process.standardInput = requests
    process.standardOutput = replies
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    while let line = nextLine() {
      if line == "ready" { return }
      let parts = line.split(separator: "=", maxSplits: 1)
      if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
    }
    close()
    return nil
  }

  /// The script's median seconds for one batch of `engine` at `size` over `repetitions` calls
  /// (after one warm-up call); nil when it does not have that engine or has stopped.
  func seconds(_ engine: String, size: Int, repetitions: Int) -> Double? {
    let request = Data("\(engine) \(size) \(repetitions)\n".utf8)
    guard (try? requests.fileHandleForWriting.write(contentsOf: request)) != nil,
      let line = nextLine()
    else { return nil }
    let parts = line.split(separator: "=", maxSplits: 1)
    guard parts.count == 2, parts[0] == "\(engine)_\(size)" else { return nil }
    return Double(parts[1])
  }

  /// Ends the script (its stdin closed) and waits for it.
  func close() {
    try? requests.fileHandleForWriting.close()
    process.waitUntilExit()
  }

  /// The next line of the script's output without its newline; nil at its end.
  private func nextLine() -> String? {
    while true {
      if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
        pending = Data(pending[pending.index(after: newline)...])
        return line
      }
      let chunk = replies.fileHandleForReading.availableData
      if chunk.isEmpty { return nil }
      pending.append(chunk)
    }
  }
}
