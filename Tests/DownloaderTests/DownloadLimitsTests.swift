import FlyingFox
import FlyingSocks
import Foundation
import LoopbackSupport
import Testing
import Vision

@testable import Downloader

/// Bytes produced one small buffer at a time, `delay` apart: `count` of them, or without end.
struct SlowBytes: AsyncBufferedSequence, Sendable {
  typealias Element = UInt8
  var count: Int?
  var chunk: Int
  var delay: Duration

  struct AsyncIterator: AsyncBufferedIteratorProtocol {
    var remaining: Int?
    let chunk: Int
    let delay: Duration

    mutating func next() async throws -> UInt8? { try await nextBuffer(suggested: 1)?.first }

    mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? {
      if let remaining, remaining <= 0 { return nil }
      if delay > .zero { try await Task.sleep(for: delay) }
      let size = Swift.min(chunk, remaining ?? chunk)
      remaining = remaining.map { $0 - size }
      return [UInt8](repeating: 0x41, count: size)
    }
  }

  func makeAsyncIterator() -> AsyncIterator {
    AsyncIterator(remaining: count, chunk: chunk, delay: delay)
  }
}

private func limitedDownload(_ url: URL) throws -> Download {
  var download = Download(
    url: url, destination: try makeTemporaryFolder().appendingPathComponent("weights.pth"))
  download.initialBackoff = 0.01
  download.timeout = 30
  download.retries = 0
  download.progressInterval = 0
  return download
}

@Suite("Download limits: trickling servers, endless bodies, deadlines")
struct DownloadLimitsTests {
  @Test("a server trickling a byte at a time fails the minimum-speed check with a clear message")
  func trickle() async throws {
    let body = SlowBytes(count: 100_000, chunk: 1, delay: .milliseconds(20))
    try await LoopbackHandler { _, _ in
      HTTPResponse(statusCode: .ok, body: HTTPBodySequence(from: body, count: 100_000))
    }.serve { server in
      var download = try limitedDownload(server.url())
      download.stallTimeout = 0.3
      download.minimumBytesPerSecond = 1_000
      let error = await #expect(throws: DownloadError.self) { try await download.run() }
      guard case .timedOut(let url, let destination, let reason)? = error else {
        Issue.record("expected .timedOut, got \(String(describing: error))")
        return
      }
      #expect(url == server.url() && destination == download.destination)
      #expect(reason.contains("stalled") && reason.contains("below the minimum of 1000 bytes/s"))
      #expect(error?.description.contains("curl -L -o") == true)
      #expect(!FileManager.default.fileExists(atPath: download.destination.path))
    }
  }

  @Test("the overall deadline ends a download that keeps moving but never finishes")
  func deadline() async throws {
    let body = SlowBytes(count: nil, chunk: 64, delay: .milliseconds(5))
    try await LoopbackHandler { _, _ in
      HTTPResponse(statusCode: .ok, body: HTTPBodySequence(from: body))
    }.serve { server in
      var download = try limitedDownload(server.url())
      download.deadline = 0.5
      download.minimumBytesPerSecond = 0
      let error = await #expect(throws: DownloadError.self) { try await download.run() }
      guard case .timedOut(_, _, let reason)? = error else {
        Issue.record("expected .timedOut, got \(String(describing: error))")
        return
      }
      #expect(reason.contains("deadline"))
    }
  }

  @Test("an endless body is cut at the cap and refused; the partial file never passes the cap")
  func endlessBody() async throws {
    let body = SlowBytes(count: nil, chunk: 4_096, delay: .zero)
    try await LoopbackHandler { _, _ in
      HTTPResponse(statusCode: .ok, body: HTTPBodySequence(from: body))
    }.serve { server in
      var download = try limitedDownload(server.url())
      download.maximumBytes = 100_000
      let recorder = ProgressRecorder()
      let error = await #expect(throws: DownloadError.self) {
        try await download.run(progress: recorder.record)
      }
      #expect(
        error
          == .tooLarge(
            url: server.url(), destination: download.destination, limit: 100_000, declared: nil))
      #expect(error?.description.contains("100000-byte limit") == true)
      #expect(recorder.events.allSatisfy { $0.bytesReceived <= 100_000 })
      #expect(!FileManager.default.fileExists(atPath: download.partialFile.path))
      #expect(!FileManager.default.fileExists(atPath: download.destination.path))
    }
  }

  @Test("a Content-Length above the cap is refused before any byte is written")
  func declaredTooLarge() async throws {
    try await LoopbackHandler { _, _ in Serve.whole(Data(count: 50_000)) }.serve { server in
      var download = try limitedDownload(server.url())
      download.maximumBytes = 10_000
      let error = await #expect(throws: DownloadError.self) { try await download.run() }
      #expect(
        error
          == .tooLarge(
            url: server.url(), destination: download.destination, limit: 10_000, declared: 50_000))
      #expect(error?.description.contains("announced 50000 bytes") == true)
      #expect(!FileManager.default.fileExists(atPath: download.partialFile.path))
    }
  }

  @Test("a file exactly at the cap downloads")
  func atTheCap() async throws {
    let payload = seededBytes(count: 10_000)
    try await LoopbackHandler { _, _ in Serve.whole(payload) }.serve { server in
      var download = try limitedDownload(server.url())
      download.maximumBytes = 10_000
      let result = try await download.run()
      #expect(result.bytes == 10_000)
    }
  }

  @Test("the dataset catalogue caps each file at its published size plus 1 % (at least 1 MiB)")
  func catalogueCaps() {
    let cifar = DatasetCatalog.entry(for: .cifar10).downloads[0]
    #expect(cifar.byteCount == 170_498_071)
    #expect(cifar.maximumBytes == 170_498_071 + 1_704_980)
    let labels = DatasetCatalog.entry(for: .mnist).downloads[1]
    #expect(labels.path == "MNIST/raw/train-labels-idx1-ubyte.gz")
    #expect(labels.maximumBytes == 28_881 + 1_048_576)
    for kind in DatasetKind.allCases {
      for file in DatasetCatalog.entry(for: kind).downloads { #expect(file.byteCount > 0) }
    }
  }
}
