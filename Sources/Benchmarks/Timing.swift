import Foundation

/// Median wall time of `body` in seconds over `repetitions` runs after `warmup` runs.
func medianSeconds(repetitions: Int = 21, warmup: Int = 3, _ body: () -> Void) -> Double {
  for _ in 0..<warmup { body() }
  var samples: [Double] = []
  for _ in 0..<repetitions {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  return samples.sorted()[samples.count / 2]
}

/// Runs a reference script with Debian's Python (which has numpy and torch when installed) and
/// returns its `key=value` lines; empty when Python or the script's imports are missing.
func runReferenceScript(_ path: String, arguments: [String] = []) -> [String: Double] {
  let python = "/usr/bin/python3"
  guard FileManager.default.isExecutableFile(atPath: python),
    FileManager.default.fileExists(atPath: path)
  else { return [:] }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: python)
  process.arguments = [path] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch { return [:] }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else { return [:] }
  var values: [String: Double] = [:]
  for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
    let parts = line.split(separator: "=", maxSplits: 1)
    if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
  }
  return values
}

/// Formats one benchmark line: ours, the reference, and the speed-up (reference time / ours).
func comparison(
  _ name: String, ours: Double, reference: Double?, unit: String = "ms", scale: Double = 1e3
) -> String {
  let oursText = String(format: "%.3f %@", ours * scale, unit)
  guard let reference else { return "\(name): ours \(oursText) (reference unavailable)" }
  return
    "\(name): ours \(oursText), reference \(String(format: "%.3f %@", reference * scale, unit)), speed-up ×\(String(format: "%.2f", reference / ours))"
}
