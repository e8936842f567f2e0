import FlyingFox
import Foundation
import LoopbackSupport
import Testing

@testable import Downloader

/// 256 KB of seeded bytes and their digest, shared by the download tests.
private let payload = seededBytes(count: 256 * 1024)
private let payloadSHA256 = Checksum.sha256Hex(payload)

/// A download of `url` into a fresh folder, with fast retries for tests.
private func makeDownload(
  _ url: URL, checksum: Checksum? = .sha256Prefix(String(payloadSHA256.prefix(8)))
)
  throws -> Download
{
  var download = Download(
    url: url, destination: try makeTemporaryFolder().appendingPathComponent("weights.pth"),
    checksum: checksum)
  download.initialBackoff = 0.01
  // Generous: on 2 cores the whole suite's synchronous tests can hold the cooperative threads
  // the loopback server answers on for seconds; no test here is about the request timeout
  // (DownloadLimitsTests covers stalls with their own small limits).
  download.timeout = 120
  download.progressInterval = 0
  return download
}

private func contents(_ url: URL) -> Data? { FileManager.default.contents(atPath: url.path) }

@Suite("Download against a loopback HTTP server")
struct DownloadTests {
  @Test("A full download reports progress, verifies the checksum and moves the file into place")
  func fullDownload() async throws {
    try await LoopbackHandler { _, _ in Serve.whole(payload) }.serve { server in
      let download = try makeDownload(server.url())
      let recorder = ProgressRecorder()
      let result = try await download.run(progress: recorder.record)

      #expect(contents(download.destination) == payload)
      #expect(!FileManager.default.fileExists(atPath: download.partialFile.path))
      #expect(
        result
          == Download.Result(
            file: download.destination, bytes: Int64(payload.count), resumedBytes: 0, attempts: 1,
            sha256: payloadSHA256))
      let events = recorder.events
      #expect(events.count >= 2)
      #expect(events.last?.isComplete == true)
      #expect(events.last?.bytesReceived == Int64(payload.count))
      #expect(events.allSatisfy { $0.totalBytes == Int64(payload.count) })
      #expect(zip(events, events.dropFirst()).allSatisfy { $0.bytesReceived <= $1.bytesReceived })
      #expect(await server.log.ranges == [nil])
      #expect(download.destinationIsVerified())
    }
  }

  @Test("A partial file resumes with a Range request and 206")
  func resume() async throws {
    try await LoopbackHandler { request, _ in Serve.ranged(payload, request) }.serve { server in
      let download = try makeDownload(server.url())
      let half = payload.count / 2
      try payload.prefix(half).write(to: download.partialFile)
      let recorder = ProgressRecorder()
      let result = try await download.run(progress: recorder.record)

      #expect(await server.log.ranges == ["bytes=\(half)-"])
      #expect(result.resumedBytes == Int64(half))
      #expect(contents(download.destination) == payload)
      #expect(recorder.events.first.map { $0.bytesReceived >= Int64(half) } == true)
    }
  }

  @Test("A server that ignores Range (200) restarts the file from byte 0")
  func serverIgnoresRange() async throws {
    try await LoopbackHandler { _, _ in Serve.whole(payload) }.serve { server in
      let download = try makeDownload(server.url())
      // Junk that must not survive: had it been kept, the checksum would fail.
      try Data(repeating: 0xFF, count: payload.count / 2).write(to: download.partialFile)
      let result = try await download.run()

      #expect(await server.log.ranges == ["bytes=\(payload.count / 2)-"])
      #expect(result.resumedBytes == 0)
      #expect(contents(download.destination) == payload)
    }
  }

  @Test("A complete partial file answered by 416 is verified and installed")
  func rangeNotSatisfiable() async throws {
    try await LoopbackHandler { request, _ in Serve.ranged(payload, request) }.serve { server in
      let download = try makeDownload(server.url())
      try payload.write(to: download.partialFile)
      let result = try await download.run()

      #expect(await server.log.ranges == ["bytes=\(payload.count)-"])
      #expect(result.resumedBytes == Int64(payload.count))
      #expect(contents(download.destination) == payload)
    }
  }

  @Test("A checksum mismatch throws, deletes the partial file and leaves nothing in place")
  func checksumMismatch() async throws {
    try await LoopbackHandler { _, _ in Serve.whole(payload) }.serve { server in
      let download = try makeDownload(server.url(), checksum: .sha256Prefix("00000000"))
      let error = await #expect(throws: DownloadError.self) { try await download.run() }
      #expect(
        error
          == .checksumMismatch(
            url: server.url(), destination: download.destination,
            expected: .sha256Prefix("00000000"),
            sha256: payloadSHA256, md5: Checksum.md5Hex(payload)))
      #expect(error?.description.contains("expected sha256 00000000") == true)
      #expect(!FileManager.default.fileExists(atPath: download.destination.path))
      #expect(!FileManager.default.fileExists(atPath: download.partialFile.path))
    }
  }

  @Test("MD5 checksums verify too")
  func md5() async throws {
    try await LoopbackHandler { _, _ in Serve.whole(payload) }.serve { server in
      let download = try makeDownload(server.url(), checksum: .md5(Checksum.md5Hex(payload)))
      try await download.run()
      #expect(contents(download.destination) == payload)
    }
  }

  @Test("404 throws an HTTP status error naming the URL, without retrying")
  func notFound() async throws {
    try await LoopbackHandler { _, _ in HTTPResponse(statusCode: .notFound) }.serve { server in
      let download = try makeDownload(server.url("/missing.pth"))
      let error = await #expect(throws: DownloadError.self) { try await download.run() }
      #expect(
        error
          == .httpStatus(
            url: server.url("/missing.pth"), destination: download.destination, status: 404))
      #expect(error?.description.contains(server.url("/missing.pth").absoluteString) == true)
      #expect(error?.description.contains("404") == true)
      #expect(await server.log.count == 1)
      #expect(!FileManager.default.fileExists(atPath: download.destination.path))
    }
  }

  @Test("Two 500s then 200: retried with backoff until it succeeds")
  func retries() async throws {
    let handler = LoopbackHandler { _, index in
      index < 2 ? HTTPResponse(statusCode: .internalServerError) : Serve.whole(payload)
    }
    try await handler.serve { server in
      let download = try makeDownload(server.url())
      let result = try await download.run()
      // At least the two 500s and the success; under a loaded 2-core CI run a keep-alive
      // connection the server closed after a 500 can fail once more at the transport level,
      // and that is retried too (seen: 4 attempts), so the count is a lower bound.
      #expect(result.attempts >= 3)
      #expect(await server.log.count >= 3)
      #expect(contents(download.destination) == payload)
    }
  }

  @Test("5xx on every attempt gives up after the retries with the HTTP status")
  func retriesExhausted() async throws {
    let handler = LoopbackHandler { _, _ in HTTPResponse(statusCode: .serviceUnavailable) }
    try await handler.serve { server in
      var download = try makeDownload(server.url())
      download.retries = 2
      let error = await #expect(throws: DownloadError.self) { try await download.run() }
      #expect(
        error == .httpStatus(url: server.url(), destination: download.destination, status: 503))
      #expect(await server.log.count == 3)
    }
  }

  @Test("An unreachable server names the URL to fetch by hand and the path to put it at")
  func unreachable() async throws {
    let port = try await LoopbackServer.closedPort()
    let url = URL(string: "http://127.0.0.1:\(port)/models/resnet50-0676ba61.pth")!
    var download = try makeDownload(url)
    download.retries = 1
    let error = await #expect(throws: DownloadError.self) { try await download.run() }
    guard case .unreachable(let reportedURL, let destination, _)? = error else {
      Issue.record("expected .unreachable, got \(String(describing: error))")
      return
    }
    #expect(reportedURL == url)
    #expect(destination == download.destination)
    let message = error?.description ?? ""
    #expect(message.contains(url.absoluteString))
    #expect(message.contains("put the file at \(download.destination.path)"))
    #expect(!FileManager.default.fileExists(atPath: download.destination.path))
  }

  @Test("An existing destination is replaced atomically by the verified download")
  func replacesExisting() async throws {
    try await LoopbackHandler { _, _ in Serve.whole(payload) }.serve { server in
      let download = try makeDownload(server.url())
      try Data("stale".utf8).write(to: download.destination)
      #expect(!download.destinationIsVerified())
      try await download.run()
      #expect(contents(download.destination) == payload)
      #expect(download.destinationIsVerified())
    }
  }
}

@Suite("Content-Range parsing")
struct DownloadContentRangeTests {
  @Test("bytes start-end/total, */total and malformed values")
  func parse() {
    #expect(ContentRange("bytes 100-199/200") == ContentRange(start: 100, total: 200))
    #expect(ContentRange("bytes */200")?.start == nil)
    #expect(ContentRange("bytes */200")?.total == 200)
    #expect(ContentRange("bytes 0-9/*")?.total == nil)
    #expect(ContentRange("items 0-9/10") == nil)
    #expect(ContentRange("bytes x-9/10") == nil)
  }
}
