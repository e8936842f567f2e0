import ArgumentParser
import Foundation
import Kernels

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
  @Option(
    name: .long, parsing: .unconditional,
    help: "Threads for numeric work and BLAS (default: CLASSIFY_THREADS or all cores)."
  )
  var threads: Int?

  /// Applies the options and the process-wide settings for numeric work (thread count, BLAS
  /// single-threaded, allocator thresholds: `ProcessSettings`); call first in `run()`.
  func apply() throws {
    if let threads, threads < 1 {
      throw ValidationError("--threads must be at least 1, got \(threads)")
    }
    ProcessSettings.applyForThisProcess(threads: threads ?? Self.environmentThreads)
  }

  /// `CLASSIFY_THREADS` when it is a whole number (values below 1 count as 1), else nil (every
  /// active core).
  static var environmentThreads: Int? {
    ProcessInfo.processInfo.environment["CLASSIFY_THREADS"].flatMap(Int.init).map { max(1, $0) }
  }
}
