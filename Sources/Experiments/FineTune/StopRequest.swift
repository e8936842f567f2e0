import Foundation

/// A request to stop a long job at its next safe point (Ctrl-C): set from a signal handler's
/// queue, read by the training loop between batches.
///
/// `@unchecked Sendable` because the flags are only touched under `lock`.
public final class StopRequest: @unchecked Sendable {
  private let lock = NSLock()
  private var requested = false
  private var immediate = true

  /// A request that has not been made.
  public init() {}

  /// Asks the job to stop at its next safe point.
  public func request() { lock.withLock { requested = true } }

  /// Whether a stop was asked for.
  public var isRequested: Bool { lock.withLock { requested } }

  /// Whether stopping right now loses nothing (no safe point pending): true outside training,
  /// e.g. while features are computed (their cache file is only written whole).
  public var stopsImmediately: Bool {
    get { lock.withLock { immediate } }
    set { lock.withLock { immediate = newValue } }
  }
}
