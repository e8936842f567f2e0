import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive lock on a run folder (`run.lock`, `flock(2)`), held while a run or `--resume`
/// writes into it, so that two processes never interleave their files in one folder. The kernel
/// releases it when the process ends, however it ends, so a killed run never leaves a stale lock.
final class RunFolderLock {
  /// The lock file's name inside the run folder.
  static let fileName = "run.lock"

  private let descriptor: Int32

  /// Takes the lock on `folder` (which must exist), or throws naming the process that holds it.
  init(folder: URL) throws(FineTuneError) {
    let path = folder.appendingPathComponent(Self.fileName).path
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw FineTuneError(
        "cannot create \(path) (\(String(cString: strerror(errno)))); check that the run folder is writable"
      )
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
      close(descriptor)
      throw FineTuneError(
        "\(folder.path) is in use by another classify process"
          + (holder.map { $0.isEmpty ? "" : " (pid \($0))" } ?? "")
          + "; wait for it to finish, or use another --run-dir")
    }
    self.descriptor = descriptor
    let pid = Data("\(getpid())\n".utf8)
    _ = ftruncate(descriptor, 0)
    try? FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).write(contentsOf: pid)
  }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
