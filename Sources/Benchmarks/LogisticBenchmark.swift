import Experiments
import Foundation

/// Times 500 epochs of full-batch gradient descent (η = 0.5, tolerance disabled) on the built-in
/// 200×3 data set — median of many runs — and, when `/usr/bin/python3` with numpy is present, the
/// provided numpy loop on the same data (`scripts/bench/logistic_numpy.py`, timed inside Python
/// the same way); returns a few report lines ending in the speed ratio.
public func runLogisticBenchmark() -> String {
  let data = LogisticData.builtIn()
  let epochs = 500
  let repeats = 301
  guard let optimiser = try? GradientDescent(learningRate: 0.5, maxEpochs: epochs, tolerance: 0)
  else {
    return "logistic: could not configure gradient descent"
  }
  let clock = ContinuousClock()
  var checksum = 0.0
  for _ in 0..<20 { checksum += optimiser.run(on: data).finalNegativeLogLikelihood }
  var times: [Double] = []
  times.reserveCapacity(repeats)
  for _ in 0..<repeats {
    let start = clock.now
    let trajectory = optimiser.run(on: data)
    let elapsed = clock.now - start
    checksum += trajectory.finalNegativeLogLikelihood
    let parts = elapsed.components
    times.append(Double(parts.seconds) * 1e3 + Double(parts.attoseconds) * 1e-15)
  }
  times.sort()
  let swiftMilliseconds = times[repeats / 2]
  let swiftNLL = optimiser.run(on: data).finalNegativeLogLikelihood
  var lines = [
    String(
      format:
        "logistic GD (%d epochs, 200×3, Swift, median of %d): %.4f ms (final NLL %.12f, checksum %.3f)",
      epochs, repeats, swiftMilliseconds, swiftNLL, checksum)
  ]
  if let numpy = timeNumpyLogistic(data: data, epochs: epochs) {
    lines.append(
      String(
        format:
          "logistic GD (%d epochs, provided numpy code, median of 30): %.4f ms (final NLL %.12f)",
        epochs, numpy.milliseconds, numpy.finalNLL))
    lines.append(
      String(
        format: "logistic GD speed-up over numpy: %.1f× (target ≥ 20×)",
        numpy.milliseconds / swiftMilliseconds))
  } else {
    lines.append("logistic GD numpy comparison skipped: /usr/bin/python3 with numpy not available")
  }
  return lines.joined(separator: "\n")
}

/// Runs `scripts/bench/logistic_numpy.py` on an export of `data`; nil when Python, numpy or the
/// script is missing or the output cannot be read.
func timeNumpyLogistic(data: LogisticData, epochs: Int) -> (milliseconds: Double, finalNLL: Double)?
{
  let python = "/usr/bin/python3"
  guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
  let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()
  let candidates = [
    URL(fileURLWithPath: "scripts/bench/logistic_numpy.py"),
    packageRoot.appendingPathComponent("scripts/bench/logistic_numpy.py"),
  ]
  guard let script = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) })
  else {
    return nil
  }
  let dataFile = FileManager.default.temporaryDirectory.appendingPathComponent(
    "classify-logistic-bench-\(ProcessInfo.processInfo.processIdentifier).txt")
  defer { try? FileManager.default.removeItem(at: dataFile) }
  do {
    try data.fileText().write(to: dataFile, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script.path, dataFile.path, String(epochs), "30"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = Pipe()
    try process.run()
    let bytes = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    var values: [String: Double] = [:]
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields.count == 2, let value = Double(fields[1]) { values[String(fields[0])] = value }
    }
    guard let milliseconds = values["median_ms"], let nll = values["final_nll"] else { return nil }
    return (milliseconds, nll)
  } catch {
    return nil
  }
}
