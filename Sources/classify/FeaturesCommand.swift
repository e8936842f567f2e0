import ArgumentParser
import Experiments
import Foundation

/// `classify features`: the backbone's features for a fine-tuning configuration, computed ahead
/// (whole, or one shard per cluster task) and merged into the cache `finetune` reads.
struct FeaturesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "features",
    abstract: "Compute the cached backbone features of a finetune configuration, or one shard.",
    discussion: """
      Takes the same options as `classify finetune` and fills its --feature-cache, so a later \
      finetune run with those options reuses the features. With --shard i/n only rows \
      [i·N/n, (i+1)·N/n) of every split are computed (into <key>.shard-i-of-n.features), so a \
      Slurm array job or a Kubernetes indexed Job can spread the work over machines that share \
      the cache folder; `classify features merge` then joins the shards. See docs/SCALE-OUT.md.
      """,
    subcommands: [Extract.self, Merge.self], defaultSubcommand: Extract.self)

  /// Computes features (all, or one shard).
  struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "extract", abstract: "Compute the features (all, or one --shard i/n).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: FineTuneOptions

    @Option(help: "Compute only shard i of n (0 ≤ i < n), e.g. 3/8.")
    var shard: String?

    func run() throws {
      try global.apply()
      let shard = try self.shard.map(Self.parseShard)
      let configuration = try options.configuration()
      let inputs = try FineTuneInputs(configuration)
      let folder = URL(fileURLWithPath: configuration.featureCache)
      for job in inputs.allJobs {
        let line = ProgressLine("\(job.name) features", total: job.indices.count)
        if let (index, count) = shard {
          let file = try inputs.computeShard(
            job, index: index, count: count, cacheFolder: folder
          ) { done, _ in line.update(done) }
          line.finish()
          print("\(job.name): shard \(index)/\(count) in \(file.path)")
        } else {
          let (cache, reused) = try inputs.features(job, cacheFolder: folder) { done, _ in
            line.update(done)
          }
          line.finish()
          print(
            "\(job.name): \(reused ? "reused" : "computed") \(cache.labels.count) rows in \(job.file(in: folder).path)"
          )
        }
      }
    }

    static func parseShard(_ text: String) throws -> (Int, Int) {
      let parts = text.split(separator: "/").map { Int($0) }
      guard parts.count == 2, let index = parts[0], let count = parts[1], count >= 1,
        (0..<count).contains(index)
      else {
        throw ValidationError("--shard must be i/n with 0 ≤ i < n, e.g. 0/4; got '\(text)'")
      }
      return (index, count)
    }
  }

  /// Joins shard files into whole-split caches.
  struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "merge", abstract: "Join the shards of every split into the finetune cache.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: FineTuneOptions

    @Flag(help: "Delete the shard files after a successful merge.")
    var removeShards = false

    func run() throws {
      try global.apply()
      let configuration = try options.configuration()
      let inputs = try FineTuneInputs(configuration)
      let folder = URL(fileURLWithPath: configuration.featureCache)
      let files =
        (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      for job in inputs.allJobs {
        let prefix = "\(job.key.fingerprint).shard-"
        let shards = files.filter { $0.hasPrefix(prefix) }.sorted().map {
          folder.appendingPathComponent($0)
        }
        guard !shards.isEmpty else {
          throw ValidationError(
            "no shards of \(job.name) (\(prefix)*) in \(folder.path); run `classify features --shard i/n` with the same options first"
          )
        }
        try FeatureCache.merge(shards: shards, into: job.file(in: folder))
        print("\(job.name): merged \(shards.count) shards into \(job.file(in: folder).path)")
        if removeShards { for shard in shards { try? FileManager.default.removeItem(at: shard) } }
      }
    }
  }
}
