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

/// The Python that runs the reference scripts: `CLASSIFY_REFERENCE_PYTHON` when set (e.g. a
/// virtual environment with PyPI's torch, MKL + oneDNN), else Debian's `/usr/bin/python3`.
let referencePython =
  ProcessInfo.processInfo.environment["CLASSIFY_REFERENCE_PYTHON"] ?? "/usr/bin/python3"

/// `PYTHON (torch VERSION, BLAS …)`: which reference the ratios are against.
func referenceDescription() -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: referencePython)
  process.arguments = [
    "-c",
    "import re, torch; m = re.search(r'BLAS_INFO=(\\w+)', torch.__config__.show()); "
      + "print(f'torch {torch.__version__}, BLAS {m.group(1) if m else \"?\"}, "
      + "oneDNN {torch.backends.mkldnn.is_available()}')",
  ]
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  guard (try? process.run()) != nil else { return "\(referencePython) (not runnable)" }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  return "\(referencePython) (\(process.terminationStatus == 0 ? text : "no torch"))"
}

/// Runs a reference script with `referencePython` and returns its `key=value` lines; empty when
/// Python or the script's imports are missing.
func runReferenceScript(_ path: String, arguments: [String] = []) -> [String: Double] {
  let python = referencePython
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
