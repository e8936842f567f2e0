import Crypto
import Foundation

/// Checksums used to verify downloads: torchvision's weights carry a SHA-256 prefix in their
/// file names, its datasets an MD5.
public enum Checksum: Sendable, Equatable, CustomStringConvertible {
  /// Hex SHA-256, or a prefix of it (torchvision's `resnet50-0676ba61.pth` carries 8 digits).
  case sha256Prefix(String)
  /// Hex MD5 (torchvision's datasets).
  case md5(String)

  /// Whether `digest` (full hex) satisfies this checksum.
  public func matches(sha256 digestSHA256: String, md5 digestMD5: String) -> Bool {
    switch self {
    case .sha256Prefix(let prefix): return digestSHA256.hasPrefix(prefix.lowercased())
    case .md5(let expected): return digestMD5 == expected.lowercased()
    }
  }

  /// `sha256 0676ba61…` or `md5 <hex>`, as printed in errors.
  public var description: String {
    switch self {
    case .sha256Prefix(let prefix): return "sha256 \(prefix.lowercased())…"
    case .md5(let expected): return "md5 \(expected.lowercased())"
    }
  }

  /// Hex SHA-256 of `data`.
  public static func sha256Hex(_ data: Data) -> String {
    hex(SHA256.hash(data: data))
  }

  /// Hex MD5 of `data`.
  public static func md5Hex(_ data: Data) -> String {
    hex(Insecure.MD5.hash(data: data))
  }

  /// Hex SHA-256 and MD5 of the file at `url`, read in 1 MiB chunks so memory stays bounded
  /// whatever the file's size.
  ///
  /// - Throws: the file system's error when the file cannot be opened or read.
  public static func digests(ofFileAt url: URL) throws -> (sha256: String, md5: String) {
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    var sha256 = SHA256()
    var md5 = Insecure.MD5()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
      sha256.update(data: chunk)
      md5.update(data: chunk)
    }
    return (hex(sha256.finalize()), hex(md5.finalize()))
  }

  private static func hex(_ digest: some Sequence<UInt8>) -> String {
    digest.map { String(format: "%02x", $0) }.joined()
  }
}
