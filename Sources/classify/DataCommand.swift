import ArgumentParser
import Dispatch
import Downloader
import Foundation
import ImageCodecs
import Vision

/// `classify data`: the datasets torchvision users already have on disk — inspect, download.
struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data",
    abstract: "Datasets in torchvision's layouts: inspect them, download them.",
    discussion: """
      Datasets: cifar10, cifar100 (python or binary layout), mnist, fashion-mnist, kmnist \
      (ROOT/MNIST/raw etc., raw or .gz), stl10 (ROOT/stl10_binary), folder (ROOT/<class>/*.png|jpg, \
      optional ROOT/train + ROOT/val, or a CSV of path,label).
      """,
    subcommands: [Inspect.self, Fetch.self]
  )
}

extension DataCommand {
  /// `classify data inspect`: counts, sizes, checksums, sample grid.
  struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "inspect",
      abstract:
        "Per-split and per-class counts, image size, MD5 status and a PNG grid of samples per class."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "cifar10, cifar100, mnist, fashion-mnist, kmnist, stl10 or folder.")
    var dataset: String

    @Option(help: "Dataset root (torchvision's root=), a folder of class folders, or a CSV.")
    var root: String

    @Option(help: "Write a PNG grid of samples (8 per class, one row per class) here.")
    var output: String?

    @Option(
      help: ArgumentHelp(
        "Show the grid's samples augmented by this pipeline, e.g. \"\(TransformPipeline.example)\".",
        discussion: TransformPipeline.grammar))
    var augment: String?

    @Option(parsing: .unconditional, help: "Seed for --augment.")
    var seed: UInt64 = 0

    @Flag(help: "Folder datasets: list and skip undecodable images instead of failing.")
    var skipBad = false

    func validate() throws {
      guard DatasetKind(rawValue: dataset) != nil else {
        throw ValidationError(
          "--dataset must be one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(dataset)'"
        )
      }
    }

    func run() throws {
      try global.apply()
      guard let kind = DatasetKind(rawValue: dataset) else { return }
      let rootURL = URL(fileURLWithPath: root)
      let inspection = try DatasetInspection.inspect(kind, root: rootURL, skipBad: skipBad)
      print("\(DatasetCatalog.entry(for: kind).displayName) at \(rootURL.path)")
      print("classes: \(inspection.classNames.count)")
      for split in inspection.splits {
        print(
          "\(split.split.rawValue): \(split.count) images, \(Self.describeSizes(split.imageShapes))"
        )
      }
      for failure in inspection.failures {
        print("\(failure.split.rawValue): unreadable — \(failure.error)")
      }
      for split in inspection.splits where split.classesPresent.count < inspection.classNames.count
      {
        let missing = inspection.classNames.filter { !split.classesPresent.contains($0) }
        print(
          "\(split.split.rawValue): no images of \(missing.prefix(10).joined(separator: ", "))\(missing.count > 10 ? ", …" : "") (labels follow the training classes, matched by name)"
        )
      }
      for split in inspection.splits where !split.skipped.isEmpty {
        print("\(split.split.rawValue): skipped \(split.skipped.count) undecodable image(s):")
        for skipped in split.skipped.prefix(20) { print("  \(skipped)") }
        if split.skipped.count > 20 { print("  … and \(split.skipped.count - 20) more") }
      }
      let width = max(5, inspection.classNames.map(\.count).max() ?? 5)
      let header =
        ["class".padding(toLength: width, withPad: " ", startingAt: 0)]
        + inspection.splits.map { $0.split.rawValue }
      print(header.joined(separator: "  "))
      for (label, name) in inspection.classNames.enumerated() {
        let counts = inspection.splits.map { split in
          String(label < split.classCounts.count ? split.classCounts[label] : 0)
            .padding(toLength: max(split.split.rawValue.count, 1), withPad: " ", startingAt: 0)
        }
        print(
          ([name.padding(toLength: width, withPad: " ", startingAt: 0)] + counts).joined(
            separator: "  "))
      }
      if !inspection.checksums.isEmpty {
        print("checksums (torchvision's MD5s):")
        for file in inspection.checksums {
          print(
            "  \(file.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(file.path)"
          )
        }
      }
      if let output {
        let train = try DatasetOpener.open(kind, root: rootURL, split: .train, skipBad: skipBad)
        let pipeline = try augment.map { try TransformPipeline.parse($0) }
        let grid = try DatasetInspection.sampleGrid(train, augment: pipeline, seed: seed)
        try grid.encodePNG(to: URL(fileURLWithPath: output))
        print("sample grid (train, 8 per class): \(output)")
      }
      if !inspection.failures.isEmpty {
        throw CommandFailure(
          description:
            "\(inspection.failures.count) split(s) could not be read (see above); fix or replace those files"
        )
      }
    }

    /// `size 32×32×3`, or for many distinct sizes a summary instead of a list on one line.
    static func describeSizes(_ shapes: [String]) -> String {
      if shapes.count <= 4 { return "size " + shapes.joined(separator: ", ") }
      return "\(shapes.count) distinct sizes among the images sampled (e.g. "
        + shapes.prefix(3).joined(separator: ", ") + "); pass --resize N to finetune"
    }
  }

  /// `classify data download`: torchvision's files, verified and unpacked.
  struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "download",
      abstract: "Download a dataset from torchvision's URLs into ROOT, verify MD5s, unpack it.",
      discussion: """
        Resumes interrupted downloads. Offline, fetch the printed URLs by hand and unpack the \
        .tar.gz archives in ROOT (tar -xzf FILE -C ROOT); MNIST-family .gz files go to \
        ROOT/<MNIST|FashionMNIST|KMNIST>/raw as they are.
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "cifar10, cifar100, mnist, fashion-mnist, kmnist or stl10.")
    var dataset: String

    @Option(help: "Dataset root (torchvision's root=).")
    var root: String

    @Option(
      help: "Fetch the same file names from this base URL instead (a mirror); MD5s still apply.")
    var mirror: String?

    @Option(parsing: .unconditional, help: "Retries after connection errors or 5xx answers.")
    var retries: Int = 3

    func validate() throws {
      guard let kind = DatasetKind(rawValue: dataset), kind != .folder else {
        throw ValidationError(
          "--dataset must be cifar10, cifar100, mnist, fashion-mnist, kmnist or stl10, got '\(dataset)'"
        )
      }
      if let mirror, URL(string: mirror)?.scheme == nil {
        throw ValidationError("--mirror must be an absolute URL, got '\(mirror)'")
      }
    }

    func run() throws {
      try global.apply()
      guard let kind = DatasetKind(rawValue: dataset) else { return }
      let rootURL = URL(fileURLWithPath: root)
      let entry = DatasetCatalog.entry(for: kind)
      let mirrorURL = mirror.flatMap { URL(string: $0) }
      let retries = retries
      print("Downloading \(entry.displayName) into \(rootURL.path)")
      do {
        let outcomes = try runBlocking {
          try await DatasetDownload.fetch(kind, root: rootURL, mirror: mirrorURL, retries: retries)
          {
            file in DownloadProgressRenderer(label: file.url.lastPathComponent).update
          }
        }
        for outcome in outcomes {
          let state =
            outcome.wasCached ? "already present, md5 verified" : "downloaded, md5 verified"
          let unpacked =
            outcome.extractedCount > 0 ? ", \(outcome.extractedCount) files unpacked" : ""
          print("\(outcome.path): \(state)\(unpacked)")
        }
      } catch let error as DownloadError {
        // A network failure is no usage error: exit 1 with the URL, the target and the steps.
        let unpack = entry.downloads.filter(\.isTarball).map {
          "then unpack it: tar -xzf '\(rootURL.appendingPathComponent($0.path).path)' -C '\(rootURL.path)'"
        }
        throw CommandFailure(
          description: (["\(error)"] + unpack + ["and run this command again to verify the MD5s."])
            .joined(separator: "\n"))
      }
    }
  }
}
