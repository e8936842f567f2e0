import CArchiveShim
import FileSafety
import Foundation

/// Unpacks tar archives (gzip-compressed or plain) through libarchive, behind the
/// `CArchiveShim` handle `classify_untar`: libarchive parses the tar (ustar with prefix, pax,
/// GNU long names) and the shim writes the entries, streaming, never holding the archive.
///
/// Only regular files and folders are written, each strictly inside the destination: a name
/// that is absolute or contains `..` is refused, links, devices, FIFOs and sparse files are
/// skipped, and nothing is written through a symbolic link or over anything but a regular file
/// (`openat` with `O_NOFOLLOW` on every component). The gzip trailer's CRC-32 and size are
/// verified after the last entry, and inflation stops past the trailer's size or `ceiling`.
enum TarExtractor {
  /// The most bytes an archive may inflate to: 4 GiB (STL-10's tar is 2.6 GB).
  static let maximumTarBytes = 1 << 32

  /// Extracts the `.tar.gz` (or plain `.tar`) at `archive` into `destination`, creating it if
  /// needed; returns the files written, relative to `destination`, in archive order.
  ///
  /// - Throws: `DatasetError` — `.notRegularFile` when the archive is not a regular file or
  ///   something other than a regular file (or a folder) is in the way of an entry;
  ///   `.badArchive` for corrupt, truncated or unsafe archives and write failures; `.tooLarge`
  ///   when the tar stream passes `ceiling`.
  static func extractTarGz(
    _ archive: URL, into destination: URL, ceiling: Int = maximumTarBytes
  ) throws -> [String] {
    try DatasetFiles.checkRegular(archive, hint: "download the archive again")
    do {
      try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
    } catch {
      throw writeFailure(archive, destination, "the folder cannot be created")
    }
    var message = [CChar](repeating: 0, count: 512)
    var status: Int32 = 0
    guard
      let handle = classify_untar_open(
        archive.path, destination.path, UInt64(max(0, ceiling)), &status, &message,
        message.count)
    else {
      throw failure(Int(status), message, archive, destination, name: "", ceiling: ceiling)
    }
    defer { classify_untar_close(handle) }
    var name = [CChar](repeating: 0, count: 4097)
    var extracted = [String]()
    while true {
      let kind = Int(classify_untar_next(handle, &name, name.count, &message, message.count))
      switch kind {
      case CLASSIFY_ARCHIVE_END: return extracted
      case CLASSIFY_ARCHIVE_FILE: extracted.append(archiveMessage(name))
      case CLASSIFY_ARCHIVE_FOLDER, CLASSIFY_ARCHIVE_SKIPPED: continue
      default:
        throw failure(
          kind, message, archive, destination, name: archiveMessage(name), ceiling: ceiling)
      }
    }
  }

  /// The `DatasetError` for the shim's `status` and `message`; `name` is the path in the way
  /// (for `CLASSIFY_ARCHIVE_NOT_REGULAR` while extracting), relative to `destination`.
  private static func failure(
    _ status: Int, _ message: [CChar], _ archive: URL, _ destination: URL, name: String,
    ceiling: Int
  ) -> DatasetError {
    let detail = archiveMessage(message)
    switch status {
    case CLASSIFY_ARCHIVE_BAD_GZIP:
      return DatasetError(
        path: archive.path, problem: .badArchive,
        detail: "not a valid gzip file: \(detail); delete it and download it again")
    case CLASSIFY_ARCHIVE_TOO_LARGE:
      return DatasetError(
        path: archive.path, problem: .tooLarge,
        detail: "inflates past the \(ceiling)-byte limit; a corrupt file or a decompression "
          + "bomb. Delete it and download it again")
    case CLASSIFY_ARCHIVE_NOT_REGULAR where !name.isEmpty:
      return DatasetError(
        path: destination.appendingPathComponent(name).path, problem: .notRegularFile,
        detail: "\(detail) (unpacking \(archive.path)); move it away or unpack elsewhere")
    case CLASSIFY_ARCHIVE_NOT_REGULAR:
      return DatasetError(
        path: archive.path, problem: .notRegularFile,
        detail: "\(detail); download the archive again")
    case CLASSIFY_ARCHIVE_OPEN_FAILED:
      return DatasetError(
        path: archive.path, problem: .missingFile,
        detail: "\(detail) (check its permissions)")
    case CLASSIFY_ARCHIVE_WRITE_FAILED:
      return writeFailure(archive, destination, detail)
    default:
      return DatasetError(
        path: archive.path, problem: .badArchive,
        detail: "bad tar archive: \(detail); delete it and download it again")
    }
  }

  /// A failure to create or write the archive's files under `destination`.
  private static func writeFailure(_ archive: URL, _ destination: URL, _ detail: String)
    -> DatasetError
  {
    DatasetError(
      path: archive.path, problem: .badArchive,
      detail: "cannot write its files under \(destination.path) (\(detail)); check that the "
        + "folder is writable and the disk has space, or that the archive is not damaged")
  }
}
