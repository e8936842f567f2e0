import Foundation
import Testing

@testable import Downloader

@Suite("Download cache directory")
struct DownloadCacheDirectoryTests {
  @Test("CLASSIFY_CACHE wins on every platform, with ~ expanded")
  func override() {
    let environment = ["CLASSIFY_CACHE": "~/mirror", "HOME": "/home/ada", "XDG_CACHE_HOME": "/xdg"]
    for apple in [false, true] {
      let cache = CacheDirectory.resolve(environment: environment, isApplePlatform: apple)
      #expect(cache.root.path == "/home/ada/mirror")
      #expect(cache.weights.path == "/home/ada/mirror/weights")
    }
  }

  @Test("Linux: $XDG_CACHE_HOME/classify, else ~/.cache/classify; relative XDG values are ignored")
  func linux() {
    let xdg = CacheDirectory.resolve(
      environment: ["HOME": "/home/ada", "XDG_CACHE_HOME": "/var/cache/ada"], isApplePlatform: false
    )
    #expect(xdg.root.path == "/var/cache/ada/classify")
    let home = CacheDirectory.resolve(environment: ["HOME": "/home/ada"], isApplePlatform: false)
    #expect(home.root.path == "/home/ada/.cache/classify")
    let relative = CacheDirectory.resolve(
      environment: ["HOME": "/home/ada", "XDG_CACHE_HOME": "cache"], isApplePlatform: false)
    #expect(relative.root.path == "/home/ada/.cache/classify")
  }

  @Test("macOS: ~/Library/Caches/classify")
  func apple() {
    let cache = CacheDirectory.resolve(
      environment: ["HOME": "/Users/ada", "XDG_CACHE_HOME": "/xdg"], isApplePlatform: true)
    #expect(cache.root.path == "/Users/ada/Library/Caches/classify")
    #expect(cache.weights.lastPathComponent == "weights")
  }
}
