import FlyingFox
import Foundation

/// What the loopback server saw: one entry per request, in order.
public actor RequestLog {
  /// The `Range` header of each request (`nil` when absent).
  public private(set) var ranges: [String?] = []

  /// Records one request.
  public func record(_ request: HTTPRequest) {
    ranges.append(request.headers[HTTPHeader("Range")])
  }

  /// Requests so far.
  public var count: Int { ranges.count }
}

/// Test support: a FlyingFox HTTP server on 127.0.0.1 (loopback only), shared by the downloader
/// and dataset-download tests.
///
/// A FlyingFox HTTP server on 127.0.0.1 with an ephemeral port, for one test.
public struct LoopbackServer {
  /// The server.
  public let server: HTTPServer
  /// The task running it.
  public let task: Task<Void, any Error>
  /// Its port on 127.0.0.1.
  public let port: UInt16
  /// The requests it received.
  public let log: RequestLog

  /// `http://127.0.0.1:<port><path>`.
  public func url(_ path: String = "/file.bin") -> URL {
    // Always a valid URL for the paths the tests use; the fallback only makes a bad path fail.
    URL(string: "http://127.0.0.1:\(port)\(path)") ?? URL(fileURLWithPath: "/invalid-path")
  }

  /// A port on 127.0.0.1 that nothing listens on: bound by a server that is then stopped.
  public static func closedPort() async throws -> UInt16 {
    try await LoopbackHandler { _, _ in HTTPResponse(statusCode: .ok) }.serve { $0.port }
  }
}

/// How a test's loopback server answers: `respond(request, index)` with the request's 0-based
/// position in arrival order.
public struct LoopbackHandler {
  /// The answer to each request.
  public let respond: @Sendable (HTTPRequest, _ index: Int) async throws -> HTTPResponse

  /// A handler answering with `respond`.
  public init(
    _ respond: @escaping @Sendable (HTTPRequest, _ index: Int) async throws -> HTTPResponse
  ) {
    self.respond = respond
  }

  /// Starts a server on 127.0.0.1 (ephemeral port) that logs every request and answers with
  /// `respond`, runs `body`, then stops the server.
  public func serve<T>(_ body: (LoopbackServer) async throws -> T) async throws -> T {
    let respond = self.respond
    // FlyingFox answers 500 itself when a handler takes longer than `timeout`; under the full
    // suite's load on 2 cores a trivial handler once did (5 s), so it is an upper bound too.
    let server = HTTPServer(
      address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 120, logger: .disabled)
    let log = RequestLog()
    await server.appendRoute("*") { request in
      await log.record(request)
      return try await respond(request, await log.count - 1)
    }
    let task = Task { try await server.run() }
    // An upper bound only (it returns once the socket listens): under the full suite's load a
    // server task may not be scheduled for seconds, and 2 s made the download tests flaky.
    try await server.waitUntilListening(timeout: 120)
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
public enum Serve {
  /// The whole `payload` with 200, ignoring any `Range`.
  public static func whole(_ payload: Data) -> HTTPResponse {
    HTTPResponse(statusCode: .ok, body: payload)
  }

  /// Honours `Range: bytes=N-` with 206 (or 416 past the end), else 200.
  public static func ranged(_ payload: Data, _ request: HTTPRequest) -> HTTPResponse {
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
