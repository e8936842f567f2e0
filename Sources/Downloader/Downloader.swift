import Crypto
import Foundation

/// Checksums used to verify downloads: torchvision's weights carry a SHA-256 prefix in their
/// file names, its datasets an MD5.
public enum Checksum: Sendable, Equatable {
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

  /// Hex SHA-256 of `data`.
  public static func sha256Hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
  }

  /// Hex MD5 of `data`.
  public static func md5Hex(_ data: Data) -> String {
    Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
  }
}
