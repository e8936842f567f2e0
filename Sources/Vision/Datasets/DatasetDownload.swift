import Downloader
import Foundation

/// `--download`: fetches a dataset's files from torchvision's URLs into the root with the
/// resumable, MD5-verified `Download`, then unpacks the `.tar.gz` archives (CIFAR, STL-10) in
/// place, as `torchvision.datasets.*(root, download=True)` does. MNIST-family `.gz` files stay
/// compressed: `MNIST.load` reads them directly.
public enum DatasetDownload {
  /// What happened to one file.
  public struct Outcome: Sendable {
    /// The file, relative to the root.
    public let path: String
    /// Whether it was already present and verified.
    public let wasCached: Bool
    /// Files unpacked from it (tarballs).
    public let extractedCount: Int
  }

  /// Downloads (or verifies) every file of `kind` into `root` and unpacks archives.
  ///
  /// - Parameters:
  ///   - mirror: A base URL to fetch the same file names from instead (a local mirror); the
  ///     MD5s still apply.
  ///   - progress: Called with each file before its download starts; returns the per-file
  ///     progress callback (a `DownloadProgressRenderer`'s `update`).
  /// - Throws: `DownloadError` (network, checksum; its message names the URL), `DatasetError`
  ///   (`.badArchive`) when unpacking fails.
  public static func fetch(
    _ kind: DatasetKind, root: URL, mirror: URL? = nil, retries: Int = 3,
    progress: (RemoteDatasetFile) -> (@Sendable (DownloadProgress) -> Void)? = { _ in nil }
  ) async throws -> [Outcome] {
    let entry = DatasetCatalog.entry(for: kind)
    var outcomes = [Outcome]()
    for file in entry.downloads {
      let destination = root.appendingPathComponent(file.path)
      let url = mirror.map { $0.appendingPathComponent(file.url.lastPathComponent) } ?? file.url
      var download = Download(url: url, destination: destination, checksum: .md5(file.md5))
      download.retries = retries
      download.maximumBytes = file.maximumBytes
      let cached = download.destinationIsVerified()
      if !cached {
        try FileManager.default.createDirectory(
          at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try await download.run(progress: progress(file))
      }
      var extracted = 0
      if file.isTarball {
        extracted = try TarExtractor.extractTarGz(destination, into: root).count
      }
      outcomes.append(Outcome(path: file.path, wasCached: cached, extractedCount: extracted))
    }
    return outcomes
  }
}
