import FileSafety
import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Why one HTTP attempt stopped short; `Download` decides whether to retry.
enum TransferFailure: Error, Sendable {
  /// Worth retrying: connection refused/lost, timeout, truncated body, HTTP 5xx/408/429.
  case transient(reason: String, status: Int?)
  /// An HTTP error status that retrying will not fix.
  case httpStatus(Int)
  /// 416: the partial file's length is not a valid start; `total` is the file's size if known.
  case rangeNotSatisfiable(total: Int64?)
  /// 206 with a `Content-Range` that does not start where the partial file ends.
  case rangeMismatch
  /// The partial file could not be opened or written.
  case fileSystem(path: String, reason: String)
  /// The body (or its declared length) exceeds the download's byte limit; the partial file
  /// holds at most `limit` bytes.
  case tooLarge(limit: Int64, declared: Int64?)
  /// Fewer than the minimum bytes arrived within the stall window (a trickling server).
  case stalled(reason: String)
  /// The download's overall deadline passed.
  case deadlineExceeded
}

/// The limits one attempt enforces, on top of URLSession's idle timeout.
struct TransferLimits: Sendable {
  /// The most bytes the partial file may hold.
  var maximumBytes: Int64
  /// The window, in seconds, over which progress is measured.
  var stallTimeout: TimeInterval
  /// The least average speed over a window, in bytes per second.
  var minimumBytesPerSecond: Double
  /// When the whole download must be finished.
  var deadline: Date
}

/// What a completed attempt wrote.
struct TransferSummary: Sendable {
  /// Size of the partial file.
  var bytesOnDisk: Int64
  /// Whether the server honoured `Range` (206) rather than sending the whole file (200).
  var resumed: Bool
}

/// One GET of `url` into `partialURL`, appending from `offset` with `Range: bytes=offset-` when
/// `offset > 0`. Streams chunks to a `FileHandle` as they arrive (bounded memory) from the
/// session's delegate callbacks, which run one at a time on the session's serial delegate queue.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  // @unchecked: mutable state is touched only under `lock` (callbacks are already serialized).
  private let lock = NSLock()
  private let partialURL: URL
  private let offset: Int64
  private let progressInterval: TimeInterval
  private let progress: (@Sendable (DownloadProgress) -> Void)?
  private var continuation: CheckedContinuation<TransferSummary, any Error>?
  private var handle: FileHandle?
  private var failure: TransferFailure?
  private var bytesOnDisk: Int64 = 0
  private var bytesThisTransfer: Int64 = 0
  private var totalBytes: Int64?
  private var resumed = false
  private var responseAccepted = false
  private var started = Date()
  private var lastReport = Date.distantPast
  private let limits: TransferLimits
  private var task: URLSessionTask?
  private var windowStart = Date()
  private var windowBytes: Int64 = 0

  private init(
    partialURL: URL, offset: Int64, progressInterval: TimeInterval, limits: TransferLimits,
    progress: (@Sendable (DownloadProgress) -> Void)?
  ) {
    self.partialURL = partialURL
    self.offset = offset
    self.progressInterval = progressInterval
    self.limits = limits
    self.progress = progress
  }

  /// Runs one attempt; throws `TransferFailure`, `URLError` (connection-level) or
  /// `CancellationError`.
  static func run(
    url: URL, partialURL: URL, offset: Int64, timeout: TimeInterval, limits: TransferLimits,
    progressInterval: TimeInterval, progress: (@Sendable (DownloadProgress) -> Void)?
  ) async throws -> TransferSummary {
    let transfer = HTTPTransfer(
      partialURL: partialURL, offset: offset, progressInterval: progressInterval, limits: limits,
      progress: progress)
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = timeout
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    configuration.urlCache = nil
    let queue = OperationQueue()
    queue.maxConcurrentOperationCount = 1
    let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
    defer { session.finishTasksAndInvalidate() }

    var request = URLRequest(url: url)
    // Ranges count bytes of the encoded body: ask for the identity encoding.
    request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
    if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
    let task = session.dataTask(with: request)
    // The watchdog: URLSession's timeout only fires when no byte arrives at all, so a server
    // trickling a byte every few seconds would hold the transfer forever.
    let watchdog = DispatchSource.makeTimerSource(queue: .global())
    let tick = max(0.01, min(limits.stallTimeout, 1) / 4)
    watchdog.schedule(deadline: .now() + tick, repeating: tick)
    watchdog.setEventHandler { transfer.checkProgress() }
    defer { watchdog.cancel() }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        transfer.lock.lock()
        transfer.continuation = continuation
        transfer.started = Date()
        transfer.windowStart = transfer.started
        transfer.task = task
        transfer.lock.unlock()
        watchdog.resume()
        task.resume()
      }
    } onCancel: {
      task.cancel()
    }
  }

  /// Cancels the attempt once the deadline has passed, or when the last `stallTimeout` seconds
  /// brought fewer than `minimumBytesPerSecond × stallTimeout` bytes.
  private func checkProgress() {
    lock.lock()
    defer { lock.unlock() }
    guard failure == nil, continuation != nil else { return }
    let now = Date()
    if now >= limits.deadline {
      failure = .deadlineExceeded
      task?.cancel()
      return
    }
    let elapsed = now.timeIntervalSince(windowStart)
    guard elapsed >= limits.stallTimeout else { return }
    let arrived = bytesThisTransfer - windowBytes
    if Double(arrived) < limits.minimumBytesPerSecond * elapsed {
      failure = .stalled(
        reason: "only \(arrived) bytes arrived in \(String(format: "%.1f", elapsed)) s, below the "
          + "minimum of \(Int(limits.minimumBytesPerSecond)) bytes/s")
      task?.cancel()
      return
    }
    windowStart = now
    windowBytes = bytesThisTransfer
  }

  // MARK: URLSessionDataDelegate

  func urlSession(
    _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
  ) {
    lock.lock()
    let disposition = accept(response)
    lock.unlock()
    completionHandler(disposition)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    lock.lock()
    defer { lock.unlock() }
    guard failure == nil, let handle else { return }
    let room = limits.maximumBytes - bytesOnDisk
    let overflow = Int64(data.count) > room
    let accepted = overflow ? data.prefix(Int(max(0, room))) : data
    do {
      try handle.write(contentsOf: accepted)
    } catch {
      failure = .fileSystem(path: partialURL.path, reason: "the disk refused the write")
      dataTask.cancel()
      return
    }
    if overflow {
      // An endless or over-long body: the partial file stops at the limit.
      bytesOnDisk += Int64(accepted.count)
      failure = .tooLarge(limit: limits.maximumBytes, declared: totalBytes)
      dataTask.cancel()
      return
    }
    bytesOnDisk += Int64(data.count)
    bytesThisTransfer += Int64(data.count)
    let now = Date()
    if now.timeIntervalSince(lastReport) >= progressInterval {
      lastReport = now
      report(isComplete: false, now: now)
    }
  }

  func urlSession(
    _ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?
  ) {
    lock.lock()
    defer { lock.unlock() }
    var closeFailure: TransferFailure?
    if let handle {
      do { try handle.close() } catch {
        closeFailure = .fileSystem(path: partialURL.path, reason: "the file could not be closed")
      }
      self.handle = nil
    }
    guard let continuation else { return }
    self.continuation = nil
    if let failure = failure ?? closeFailure {
      continuation.resume(throwing: failure)
    } else if let error {
      let cancelled = (error as? URLError)?.code == .cancelled
      if responseAccepted && !cancelled {
        // The body broke off (curl's "transfer closed with N bytes remaining" has no specific
        // URLError code): what arrived is on disk, so a retry resumes from there.
        let expected = totalBytes.map { " of \($0)" } ?? ""
        continuation.resume(
          throwing: TransferFailure.transient(
            reason: "the connection broke off after \(bytesOnDisk)\(expected) bytes "
              + "(\(error.localizedDescription))", status: nil))
      } else {
        continuation.resume(throwing: error)
      }
    } else if let totalBytes, bytesOnDisk < totalBytes {
      continuation.resume(
        throwing: TransferFailure.transient(
          reason: "the connection closed after \(bytesOnDisk) of \(totalBytes) bytes", status: nil))
    } else {
      report(isComplete: true, now: Date())
      continuation.resume(returning: TransferSummary(bytesOnDisk: bytesOnDisk, resumed: resumed))
    }
  }

  // MARK: Helpers (called under `lock`)

  private func accept(_ response: URLResponse) -> URLSession.ResponseDisposition {
    guard let http = response as? HTTPURLResponse else {
      failure = .transient(reason: "not an HTTP response", status: nil)
      return .cancel
    }
    let status = http.statusCode
    switch status {
    case 200:
      // A server that ignores Range sends the whole file: start over.
      return open(
        truncatingTo: 0, total: http.expectedContentLength >= 0 ? http.expectedContentLength : nil)
    case 206:
      let range = http.value(forHTTPHeaderField: "Content-Range").flatMap(ContentRange.init)
      guard let range, range.start == offset else {
        failure = .rangeMismatch
        return .cancel
      }
      resumed = true
      let total =
        range.total
        ?? (http.expectedContentLength >= 0 ? offset + http.expectedContentLength : nil)
      return open(truncatingTo: offset, total: total)
    case 416:
      let total = http.value(forHTTPHeaderField: "Content-Range").flatMap(ContentRange.init)?.total
      failure = .rangeNotSatisfiable(total: total)
      return .cancel
    case 408, 429, 500...599:
      failure = .transient(reason: "HTTP \(status)", status: status)
      return .cancel
    default:
      failure = .httpStatus(status)
      return .cancel
    }
  }

  private func open(truncatingTo length: Int64, total: Int64?) -> URLSession.ResponseDisposition {
    if let total, total > limits.maximumBytes {
      failure = .tooLarge(limit: limits.maximumBytes, declared: total)
      return .cancel
    }
    if let problem = notRegularFile(partialURL) {
      failure = .fileSystem(path: partialURL.path, reason: "the path \(problem)")
      return .cancel
    }
    do {
      let manager = FileManager.default
      if !manager.fileExists(atPath: partialURL.path) {
        guard manager.createFile(atPath: partialURL.path, contents: nil) else {
          throw CocoaError(.fileWriteUnknown)
        }
      }
      let handle = try FileHandle(forWritingTo: partialURL)
      try handle.truncate(atOffset: UInt64(length))
      try handle.seekToEnd()
      self.handle = handle
      responseAccepted = true
      bytesOnDisk = length
      totalBytes = total
      return .allow
    } catch {
      failure = .fileSystem(path: partialURL.path, reason: "the partial file cannot be created")
      return .cancel
    }
  }

  private func report(isComplete: Bool, now: Date) {
    guard let progress else { return }
    let elapsed = max(now.timeIntervalSince(started), 1e-3)
    let rate = Double(bytesThisTransfer) / elapsed
    let remaining = totalBytes.flatMap { total -> Double? in
      rate > 0 ? Double(max(0, total - bytesOnDisk)) / rate : nil
    }
    progress(
      DownloadProgress(
        bytesReceived: bytesOnDisk, totalBytes: totalBytes ?? (isComplete ? bytesOnDisk : nil),
        bytesPerSecond: rate, secondsRemaining: isComplete ? 0 : remaining, isComplete: isComplete))
  }
}

/// A parsed `Content-Range: bytes start-end/total` (or `bytes */total` on 416).
struct ContentRange: Equatable, Sendable {
  /// First byte offset; `nil` for the unsatisfied form `*/total`.
  var start: Int64?
  /// Full size; `nil` when the server sent `*`.
  var total: Int64?

  /// A range from its parts.
  init(start: Int64?, total: Int64?) {
    self.start = start
    self.total = total
  }

  /// Parses the header value; `nil` if it is not a byte range.
  init?(_ header: String) {
    let trimmed = header.trimmingCharacters(in: .whitespaces)
    guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
    let spec = trimmed.dropFirst("bytes ".count)
    let halves = spec.split(separator: "/", maxSplits: 1)
    guard halves.count == 2 else { return nil }
    total = Int64(halves[1])
    if halves[0] == "*" {
      start = nil
    } else {
      guard let first = halves[0].split(separator: "-").first, let value = Int64(first) else {
        return nil
      }
      start = value
    }
  }
}

/// `nil` when `url` does not exist yet or is a regular file (after following links), else what
/// it is: a download never writes into a FIFO, device or folder.
func notRegularFile(_ url: URL) -> String? {
  FileManager.default.fileExists(atPath: url.resolvingSymlinksInPath().path)
    ? RegularFile.problem(at: url) : nil
}
