import Foundation

/// A progress line for long loops: `label  1234/5000  25 %  812 img/s  ETA 0:05`.
///
/// On a terminal the line is redrawn in place at most ten times a second; elsewhere (logs, CI)
/// a full line is printed at most every ten seconds and at the end, so logs stay short.
public final class ProgressLine {
  private let label: String
  private let total: Int
  private let unit: String
  private let write: (String) -> Void
  private let interactive: Bool
  private let start = Date()
  private var lastDraw: Date
  private var finished = false

  /// A line for `total` items of `unit` (e.g. "img"), written through `write` (standard error
  /// by default); `interactive` redraws in place.
  public init(
    _ label: String, total: Int, unit: String = "img",
    interactive: Bool = isatty(FileHandle.standardError.fileDescriptor) != 0,
    write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
  ) {
    self.label = label
    self.total = total
    self.unit = unit
    self.interactive = interactive
    self.write = write
    // A log gets a line only every ten seconds and at the end, so short loops write one line.
    lastDraw = interactive ? .distantPast : start
  }

  /// Records that `done` items are done.
  public func update(_ done: Int) {
    guard !finished else { return }
    let now = Date()
    let isLast = done >= total
    guard isLast || now.timeIntervalSince(lastDraw) >= (interactive ? 0.1 : 10) else { return }
    lastDraw = now
    let line = Self.render(
      label: label, done: done, total: total, unit: unit, elapsed: now.timeIntervalSince(start))
    write(interactive ? "\r\u{1B}[2K" + line + (isLast ? "\n" : "") : line + "\n")
    if isLast { finished = true }
  }

  /// Ends the line early (e.g. interrupted).
  public func finish() {
    guard !finished else { return }
    finished = true
    if interactive { write("\n") }
  }

  /// The text of one line.
  static func render(label: String, done: Int, total: Int, unit: String, elapsed: Double)
    -> String
  {
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let fraction = total > 0 ? Double(done) / Double(total) : 1
    let width = 24
    let filled = Int((fraction * Double(width)).rounded(.down))
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    var line = "\(label) \(bar) \(done)/\(total) \(Int((fraction * 100).rounded(.down))) %"
    if done > 0, elapsed >= 0.2 {
      line += String(format: "  %.1f %@/s", rate, unit)
      if done < total, rate > 0 {
        line += "  ETA " + duration(Double(total - done) / rate)
      } else {
        line += "  in " + duration(elapsed)
      }
    }
    return line
  }

  /// `m:ss` or `h:mm:ss`.
  static func duration(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
    return hours > 0
      ? String(format: "%d:%02d:%02d", hours, minutes, rest)
      : String(format: "%d:%02d", minutes, rest)
  }
}
