import Dispatch
import Foundation

/// Runs `operation` to completion from a synchronous command (the root command is synchronous;
/// the download runs on the cooperative pool while this thread waits).
func runBlocking<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws
  -> T
{
  let outcome = BlockingOutcome<T>()
  let finished = DispatchSemaphore(value: 0)
  Task.detached {
    do {
      outcome.set(.success(try await operation()))
    } catch {
      outcome.set(.failure(error))
    }
    finished.signal()
  }
  finished.wait()
  guard let result = outcome.get() else { throw CancellationError() }
  return try result.get()
}

/// The result handed from the detached task to the waiting thread.
private final class BlockingOutcome<T: Sendable>: @unchecked Sendable {
  // @unchecked: `value` is guarded by `lock`.
  private let lock = NSLock()
  private var value: Result<T, any Error>?

  func set(_ result: Result<T, any Error>) {
    lock.lock()
    value = result
    lock.unlock()
  }

  func get() -> Result<T, any Error>? {
    lock.lock()
    defer { lock.unlock() }
    return value
  }
}
