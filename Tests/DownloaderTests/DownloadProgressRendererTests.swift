import Foundation
import Testing

@testable import Downloader

/// Collects what a renderer writes.
private final class Sink: @unchecked Sendable {
  // @unchecked: `text` is guarded by `lock`.
  private let lock = NSLock()
  private var storage = ""
  func write(_ string: String) {
    lock.lock()
    storage += string
    lock.unlock()
  }
  var text: String {
    lock.lock()
    defer { lock.unlock() }
    return storage
  }
}

private func event(_ bytes: Int64, of total: Int64?, complete: Bool = false) -> DownloadProgress {
  DownloadProgress(
    bytesReceived: bytes, totalBytes: total, bytesPerSecond: 1_000_000,
    secondsRemaining: total.map { Double($0 - bytes) / 1e6 }, isComplete: complete)
}

@Suite("Download progress rendering")
struct DownloadProgressRendererTests {
  @Test("Line: bar, percent, sizes, rate and ETA")
  func line() {
    let text = DownloadProgressRenderer.line(
      label: "resnet50-0676ba61.pth", progress: event(25_000_000, of: 100_000_000), barWidth: 8)
    #expect(
      text == "resnet50-0676ba61.pth  [##------]   25%  25.0 MB / 100.0 MB  1.0 MB/s  ETA 1m15s")
    let unknown = DownloadProgressRenderer.line(
      label: "x", progress: event(512, of: nil), barWidth: 8)
    #expect(unknown == "x  512 B  1.0 MB/s")
  }

  @Test("Byte and duration formatting")
  func formatting() {
    #expect(DownloadProgressRenderer.formatBytes(999) == "999 B")
    #expect(DownloadProgressRenderer.formatBytes(1_500) == "1.5 KB")
    #expect(DownloadProgressRenderer.formatBytes(44_661_000) == "44.7 MB")
    #expect(DownloadProgressRenderer.formatBytes(1_200_000_000) == "1.20 GB")
    #expect(DownloadProgressRenderer.formatDuration(6.2) == "7s")
    #expect(DownloadProgressRenderer.formatDuration(125) == "2m05s")
    #expect(DownloadProgressRenderer.formatDuration(3720) == "1h02m")
  }

  @Test("A terminal gets one line rewritten with \\r and a newline at the end")
  func terminal() {
    let sink = Sink()
    let renderer = DownloadProgressRenderer(
      label: "f", isTerminal: true, barWidth: 4, write: sink.write)
    renderer.update(event(50, of: 100))
    renderer.update(event(100, of: 100, complete: true))
    renderer.update(event(100, of: 100, complete: true))  // ignored after completion
    #expect(sink.text.hasPrefix("\rf  [##--]   50%"))
    #expect(sink.text.components(separatedBy: "\r").count == 3)
    #expect(sink.text.filter { $0 == "\n" }.count == 1)
    #expect(sink.text.hasSuffix("done\u{1B}[K\n"))
  }

  @Test("Not a terminal: plain lines, throttled, and always the final one")
  func plain() {
    let sink = Sink()
    let renderer = DownloadProgressRenderer(
      label: "f", isTerminal: false, plainInterval: 3600, write: sink.write)
    renderer.update(event(10, of: 100))
    renderer.update(event(50, of: 100))  // within the interval: dropped
    renderer.update(event(100, of: 100, complete: true))
    let lines = sink.text.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(!sink.text.contains("\r"))
    #expect(lines.first?.hasPrefix("f   10%") == true)
    #expect(lines.last?.hasSuffix("done") == true)
  }
}
