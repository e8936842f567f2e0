import Downloader
import FlyingFox
import Foundation

/// What the loopback server saw: one entry per request, in order.
actor RequestLog {
  /// The `Range` header of each request (`nil` when absent).
  private(set) var ranges: [String?] = []

  func record(_ request: HTTPRequest) {
    ranges.append(request.headers[HTTPHeader("Range")])
  }

  /// Requests so far.
  var count: Int { ranges.count }
}

/// A FlyingFox HTTP server on 127.0.0.1 with an ephemeral port, for one test.
struct LoopbackServer {
  let server: HTTPServer
  let task: Task<Void, any Error>
  let port: UInt16
  let log: RequestLog

  /// `http://127.0.0.1:<port><path>`.
  func url(_ path: String = "/file.bin") -> URL {
    URL(string: "http://127.0.0.1:\(port)\(path)")!
  }

  /// A port on 127.0.0.1 that nothing listens on: bound by a server that is then stopped.
  static func closedPort() async throws -> UInt16 {
    try await LoopbackHandler { _, _ in HTTPResponse(statusCode: .ok) }.serve { $0.port }
  }
}

/// How a test's loopback server answers: `respond(request, index)` with the request's 0-based
/// position in arrival order.
struct LoopbackHandler {
  let respond: @Sendable (HTTPRequest, _ index: Int) async throws -> HTTPResponse

  init(_ respond: @escaping @Sendable (HTTPRequest, _ index: Int) async throws -> HTTPResponse) {
    self.respond = respond
  }

  /// Starts a server on 127.0.0.1 (ephemeral port) that logs every request and answers with
  /// `respond`, runs `body`, then stops the server.
  func serve<T>(_ body: (LoopbackServer) async throws -> T) async throws -> T {
    let respond = self.respond
    let server = HTTPServer(
      address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 5, logger: .disabled)
    let log = RequestLog()
    await server.appendRoute("*") { request in
      await log.record(request)
      return try await respond(request, await log.count - 1)
    }
    let task = Task { try await server.run() }
    try await server.waitUntilListening(timeout: 2)
    guard case .ip4(_, let port)? = await server.listeningAddress else {
      task.cancel()
      throw CocoaError(.featureUnsupported)
    }
    let loopback = LoopbackServer(server: server, task: task, port: port, log: log)
    do {
      let result = try await body(loopback)
      await server.stop(timeout: 0)
      task.cancel()
      return result
    } catch {
      await server.stop(timeout: 0)
      task.cancel()
      throw error
    }
  }
}

/// Responses a file server would give.
enum Serve {
  /// The whole `payload` with 200, ignoring any `Range`.
  static func whole(_ payload: Data) -> HTTPResponse {
    HTTPResponse(statusCode: .ok, body: payload)
  }

  /// Honours `Range: bytes=N-` with 206 (or 416 past the end), else 200.
  static func ranged(_ payload: Data, _ request: HTTPRequest) -> HTTPResponse {
    guard let header = request.headers[HTTPHeader("Range")], header.hasPrefix("bytes="),
      let start = Int(header.dropFirst("bytes=".count).split(separator: "-").first ?? "")
    else { return whole(payload) }
    guard start < payload.count else {
      return HTTPResponse(
        statusCode: .rangeNotSatisfiable,
        headers: HTTPHeaders([HTTPHeader("Content-Range"): "bytes */\(payload.count)"]))
    }
    return HTTPResponse(
      statusCode: .partialContent,
      headers: HTTPHeaders([
        HTTPHeader("Content-Range"): "bytes \(start)-\(payload.count - 1)/\(payload.count)"
      ]),
      body: payload.subdata(in: start..<payload.count))
  }
}

/// Deterministic pseudo-random bytes (a 64-bit LCG's high bytes).
func seededBytes(count: Int, seed: UInt64 = 42) -> Data {
  var state = seed
  var bytes = [UInt8](repeating: 0, count: count)
  for index in bytes.indices {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    bytes[index] = UInt8(truncatingIfNeeded: state >> 56)
  }
  return Data(bytes)
}

/// A fresh empty folder under the temporary directory.
func makeTemporaryFolder() throws -> URL {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("classify-download-tests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  return folder
}

/// Collects progress events across threads.
final class ProgressRecorder: @unchecked Sendable {
  // @unchecked: `storage` is guarded by `lock`.
  private let lock = NSLock()
  private var storage: [DownloadProgress] = []

  func record(_ progress: DownloadProgress) {
    lock.lock()
    storage.append(progress)
    lock.unlock()
  }

  var events: [DownloadProgress] {
    lock.lock()
    defer { lock.unlock() }
    return storage
  }
}
