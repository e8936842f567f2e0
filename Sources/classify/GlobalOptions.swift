import ArgumentParser
import Kernels

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
  @Option(
    name: .long, parsing: .unconditional,
    help: "Threads for numeric work and BLAS (default: CLASSIFY_THREADS or all cores)."
  )
  var threads: Int?

  /// Applies the options; call first in `run()`.
  func apply() throws {
    if let threads {
      guard threads >= 1 else {
        throw ValidationError("--threads must be at least 1, got \(threads)")
      }
      ComputeThreads.set(threads)
    }
  }
}
