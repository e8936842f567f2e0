import Foundation

/// The user's cache folder for classify: downloaded weights and datasets.
///
/// In order: `$CLASSIFY_CACHE` (used as is), then `~/Library/Caches/classify` on Apple platforms,
/// `$XDG_CACHE_HOME/classify` (when set to an absolute path) or `~/.cache/classify` elsewhere, as the
/// XDG base-directory specification says.
public struct CacheDirectory: Sendable, Equatable {
  /// The classify cache folder itself.
  public var root: URL

  /// Creates a cache rooted at `root`.
  public init(root: URL) {
    self.root = root.standardizedFileURL
  }

  /// Where pretrained weights go: `<root>/weights`.
  public var weights: URL { root.appendingPathComponent("weights", isDirectory: true) }

  /// The cache folder for this process's environment.
  public static var current: CacheDirectory {
    resolve(environment: ProcessInfo.processInfo.environment)
  }

  /// The cache folder that `environment` selects (see the type's summary).
  public static func resolve(environment: [String: String]) -> CacheDirectory {
    #if canImport(Darwin)
      return resolve(environment: environment, isApplePlatform: true)
    #else
      return resolve(environment: environment, isApplePlatform: false)
    #endif
  }

  /// The cache folder that `environment` selects on the given kind of platform (testable on both).
  static func resolve(environment: [String: String], isApplePlatform: Bool) -> CacheDirectory {
    if let override = environment["CLASSIFY_CACHE"], !override.isEmpty {
      return CacheDirectory(root: URL(fileURLWithPath: expandingTilde(override, environment)))
    }
    let home: URL
    if let path = environment["HOME"], !path.isEmpty {
      home = URL(fileURLWithPath: path, isDirectory: true)
    } else {
      home = FileManager.default.homeDirectoryForCurrentUser
    }
    if isApplePlatform {
      return CacheDirectory(root: home.appendingPathComponent("Library/Caches/classify"))
    }
    // XDG: relative values are invalid and must be ignored.
    if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
      return CacheDirectory(root: URL(fileURLWithPath: xdg).appendingPathComponent("classify"))
    }
    return CacheDirectory(root: home.appendingPathComponent(".cache/classify"))
  }

  private static func expandingTilde(_ path: String, _ environment: [String: String]) -> String {
    guard path == "~" || path.hasPrefix("~/"), let home = environment["HOME"] else { return path }
    return home + path.dropFirst()
  }
}
