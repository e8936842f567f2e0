import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Draws download progress on standard error: a single self-overwriting line (`\r`) when stderr is a
/// terminal, otherwise a plain line every `plainInterval` seconds (and one at the end), so logs
/// and CI output stay readable.
///
/// Pass `renderer.update` as a download's progress callback.
public final class DownloadProgressRenderer: @unchecked Sendable {
  // @unchecked: every mutable property is read and written under `lock`.
  private let lock = NSLock()
  private let label: String
  private let isTerminal: Bool
  private let plainInterval: TimeInterval
  private let barWidth: Int
  private let write: @Sendable (String) -> Void
  private var lastPlainLine: Date?
  private var finished = false

  /// Whether standard error is a terminal.
  public static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

  /// Creates a renderer.
  /// - Parameters:
  ///   - label: what is downloaded, e.g. the file name.
  ///   - isTerminal: draw a `\r` bar (default: whether stderr is a TTY).
  ///   - plainInterval: seconds between plain lines when not a terminal.
  ///   - barWidth: characters inside the bar's brackets.
  ///   - write: the sink (default: standard error).
  public init(
    label: String, isTerminal: Bool = DownloadProgressRenderer.standardErrorIsTerminal,
    plainInterval: TimeInterval = 5, barWidth: Int = 28,
    write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
  ) {
    self.label = label
    self.isTerminal = isTerminal
    self.plainInterval = plainInterval
    self.barWidth = max(1, barWidth)
    self.write = write
  }

  /// Renders one event.
  public func update(_ progress: DownloadProgress) {
    lock.lock()
    defer { lock.unlock() }
    guard !finished else { return }
    if progress.isComplete { finished = true }
    if isTerminal {
      let line = Self.line(label: label, progress: progress, barWidth: barWidth)
      // Clear to end of line so a shorter line leaves no residue.
      write("\r" + line + "\u{1B}[K" + (progress.isComplete ? "\n" : ""))
      return
    }
    let now = Date()
    if progress.isComplete
      || lastPlainLine.map({ now.timeIntervalSince($0) >= plainInterval }) ?? true
    {
      lastPlainLine = now
      write(Self.line(label: label, progress: progress, barWidth: nil) + "\n")
    }
  }

  /// The text of one progress line: `label [#####·····]  45%  20.1 MB / 44.7 MB  5.2 MB/s  ETA 5s`.
  /// Without `barWidth` the bar is left out (plain log lines).
  public static func line(label: String, progress: DownloadProgress, barWidth: Int?) -> String {
    var parts = [label]
    if let fraction = progress.fractionCompleted {
      if let barWidth {
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        parts.append(
          "[" + String(repeating: "#", count: filled)
            + String(repeating: "-", count: barWidth - filled) + "]")
      }
      parts.append(String(format: "%3d%%", Int((fraction * 100).rounded(.down))))
    }
    let received = formatBytes(progress.bytesReceived)
    parts.append(progress.totalBytes.map { "\(received) / \(formatBytes($0))" } ?? received)
    parts.append(formatBytes(Int64(progress.bytesPerSecond.rounded())) + "/s")
    if progress.isComplete {
      parts.append("done")
    } else if let seconds = progress.secondsRemaining {
      parts.append("ETA " + formatDuration(seconds))
    }
    return parts.joined(separator: "  ")
  }

  /// `512 B`, `1.5 KB`, `44.7 MB`, `1.20 GB` (powers of 1000).
  public static func formatBytes(_ bytes: Int64) -> String {
    let value = Double(bytes)
    switch value {
    case ..<1000: return "\(bytes) B"
    case ..<1e6: return String(format: "%.1f KB", value / 1e3)
    case ..<1e9: return String(format: "%.1f MB", value / 1e6)
    default: return String(format: "%.2f GB", value / 1e9)
    }
  }

  /// `7s`, `2m05s`, `1h02m`.
  public static func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let total = Int(seconds.rounded(.up))
    if total < 60 { return "\(total)s" }
    if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
    return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60)
  }
}
