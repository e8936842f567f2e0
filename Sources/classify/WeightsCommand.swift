import ArgumentParser
import Dispatch
import Downloader
import Foundation

/// `classify weights`: torchvision's pretrained ResNet checkpoints — list them, download them.
struct WeightsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "weights",
    abstract:
      "torchvision's ImageNet ResNet checkpoints: list them and download them into the cache.",
    discussion: """
      Files go to the cache's weights/ folder: $CLASSIFY_CACHE if set, else \
      $XDG_CACHE_HOME/classify or ~/.cache/classify (Linux), ~/Library/Caches/classify (macOS).
      """,
    subcommands: [List.self, Fetch.self]
  )
}

extension WeightsCommand {
  /// `classify weights list`: the catalog as a table, with what is cached.
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract:
        "List the ResNet checkpoints: variant, file, size, ImageNet acc@1 and whether cached.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Cache folder (default: CLASSIFY_CACHE, else the platform's user cache).")
    var cache: String?

    func run() throws {
      try global.apply()
      let cacheDirectory = WeightsCommand.cacheDirectory(cache)
      var rows = [["model", "variant", "file", "size", "acc@1", "cached"]]
      for weights in WeightsCatalog.all {
        rows.append([
          weights.model, "\(weights.variant.rawValue) (\(weights.variant.torchvisionName))",
          weights.fileName, String(format: "%.1f MB", weights.fileSizeMB),
          String(format: "%.3f", weights.top1Accuracy),
          WeightsCommand.cacheState(of: weights, in: cacheDirectory),
        ])
      }
      let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
      for row in rows {
        let cells = zip(row, widths).map { cell, width in
          cell.padding(toLength: width, withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
      }
      print("cache: \(cacheDirectory.weights.path)")
    }
  }

  /// `classify weights download <model>`: fetch, verify and cache one checkpoint.
  struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "download",
      abstract: "Download a ResNet checkpoint into the cache, resuming and verifying its SHA-256.",
      discussion: """
        Without network access, fetch the printed URL by hand and put the file at the printed path; \
        or serve a mirror and pass --url (the checksum still applies).
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Model: resnet18, resnet34, resnet50, resnet101 or resnet152.")
    var model: String

    @Option(
      help: """
        v1 (IMAGENET1K_V1) or v2 (IMAGENET1K_V2, ResNet-50/101/152 only); default: v1, the \
        weights finetune, predict and evaluate use unless told otherwise.
        """)
    var variant: String?

    @Option(
      help: "Download from this URL instead (a mirror or local server); the checksum still applies."
    )
    var url: String?

    @Option(help: "Cache folder (default: CLASSIFY_CACHE, else the platform's user cache).")
    var cache: String?

    @Option(help: "Retries after connection errors or 5xx answers, with exponential backoff.")
    var retries: Int = 3

    func validate() throws {
      guard retries >= 0 else {
        throw ValidationError("--retries must be at least 0, got \(retries)")
      }
      if let variant, WeightsVariant(rawValue: variant.lowercased()) == nil {
        throw ValidationError("--variant must be v1 or v2, got '\(variant)'")
      }
      if let url, URL(string: url)?.scheme == nil {
        throw ValidationError(
          "--url must be an absolute URL such as http://mirror/resnet50-0676ba61.pth, got '\(url)'")
      }
    }

    func run() throws {
      try global.apply()
      let weights = try WeightsCatalog.weights(
        model: model, variant: variant.flatMap { WeightsVariant(rawValue: $0.lowercased()) })
      let destination = weights.cachedFile(in: WeightsCommand.cacheDirectory(cache))
      var download = Download(
        url: url.flatMap { URL(string: $0) } ?? weights.url, destination: destination,
        checksum: weights.checksum)
      download.retries = retries
      download.maximumBytes = weights.maximumBytes
      let name = "\(weights.model) \(weights.variant.rawValue) (\(weights.torchvisionName))"
      if download.destinationIsVerified() {
        print("\(name) is already cached and verified: \(destination.path)")
        return
      }
      if FileManager.default.fileExists(atPath: destination.path) {
        print("\(destination.path) fails its checksum (\(weights.checksum)); downloading it again.")
      }
      print("Downloading \(name) from \(download.url.absoluteString)")
      let renderer = DownloadProgressRenderer(label: weights.fileName)
      let configured = download
      let result = try runBlocking { try await configured.run(progress: renderer.update) }
      let resumed =
        result.resumedBytes > 0
        ? ", resumed from \(DownloadProgressRenderer.formatBytes(result.resumedBytes))" : ""
      print(
        "Saved \(name) to \(result.file.path) (\(DownloadProgressRenderer.formatBytes(result.bytes)), "
          + "sha256 \(result.sha256.prefix(8))… verified\(resumed))")
    }
  }

  static func cacheDirectory(_ option: String?) -> CacheDirectory {
    option.map { CacheDirectory(root: URL(fileURLWithPath: $0)) } ?? .current
  }

  /// `yes`, `partial 12.3 MB` (an interrupted download that `download` will resume) or `no`.
  /// Presence only: verifying every file would hash hundreds of megabytes; `download` verifies.
  static func cacheState(of weights: PretrainedWeights, in cache: CacheDirectory) -> String {
    let file = weights.cachedFile(in: cache)
    let manager = FileManager.default
    if manager.fileExists(atPath: file.path) { return "yes" }
    let partial = Download(url: weights.url, destination: file).partialFile
    if let size = (try? manager.attributesOfItem(atPath: partial.path))?[.size] as? NSNumber {
      return "partial \(DownloadProgressRenderer.formatBytes(size.int64Value))"
    }
    return "no"
  }
}
