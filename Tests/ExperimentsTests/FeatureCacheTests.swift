import Foundation
import TensorCore
import Testing

@testable import Experiments

@Suite("Feature cache")
struct FeatureCacheTests {
  let folder: URL
  let key = FeatureCacheKey(
    weights: "random:0", dataset: "cifar10:/data", split: "train", transform: "normalize(0.5,0.5)",
    featureCount: 3)

  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-cache-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  func cache(rows: Range<Int>, total: Int) -> FeatureCache {
    FeatureCache(
      key: key,
      features: Tensor(
        shape: [rows.count, 3],
        scalars: rows.flatMap { row in (0..<3).map { Float(row * 10 + $0) } }),
      labels: rows.map { $0 % 10 }, firstRow: rows.lowerBound, totalRows: total)
  }

  @Test("a written cache reads back exactly and is rejected for another key")
  func roundTrip() throws {
    let url = folder.appendingPathComponent("\(key.fingerprint).features")
    try cache(rows: 0..<5, total: 5).write(to: url)
    let read = try FeatureCache.read(from: url, expecting: key)
    #expect(read.labels == [0, 1, 2, 3, 4])
    #expect(read.features.shape == [5, 3] && read.features[4, 2] == 42)
    var other = key
    other.weights = "sha256:abcd"
    #expect(other.fingerprint != key.fingerprint)
    #expect(throws: FeatureCacheError(file: url.path, kind: .keyMismatch)) {
      try FeatureCache.read(from: url, expecting: other)
    }
  }

  @Test("truncated and foreign files are refused, naming the file")
  func damaged() throws {
    let url = folder.appendingPathComponent("c.features")
    try cache(rows: 0..<4, total: 4).write(to: url)
    let bytes = try Data(contentsOf: url)
    try bytes.prefix(bytes.count - 5).write(to: url)
    do {
      _ = try FeatureCache.read(from: url)
      Issue.record("a truncated cache must be refused")
    } catch let error as FeatureCacheError {
      guard case .truncated = error.kind else {
        Issue.record("\(error)")
        return
      }
      #expect(error.description.contains("c.features"))
    }
    try Data("not a cache at all".utf8).write(to: url)
    #expect(throws: FeatureCacheError(file: url.path, kind: .notACache)) {
      try FeatureCache.read(from: url)
    }
  }

  @Test("shards computed separately merge into the whole split; gaps and overlaps are refused")
  func shards() throws {
    #expect(FeatureCache.shardRange(index: 0, count: 3, rows: 10) == 0..<3)
    #expect(FeatureCache.shardRange(index: 2, count: 3, rows: 10) == 6..<10)
    let parts = (0..<3).map { FeatureCache.shardRange(index: $0, count: 3, rows: 10) }
    var urls: [URL] = []
    for (index, rows) in parts.enumerated().reversed() {
      let url = folder.appendingPathComponent("shard\(index).features")
      try cache(rows: rows, total: 10).write(to: url)
      urls.append(url)
    }
    let merged = folder.appendingPathComponent("merged.features")
    try FeatureCache.merge(shards: urls, into: merged)
    let whole = try FeatureCache.read(from: merged, expecting: key)
    #expect(whole.features == cache(rows: 0..<10, total: 10).features)
    #expect(whole.labels == (0..<10).map { $0 % 10 })
    #expect(throws: FeatureCacheError.self) {
      try FeatureCache.merge(shards: Array(urls.prefix(2)), into: merged)
    }
    #expect(throws: FeatureCacheError.self) {
      try FeatureCache.merge(shards: urls + [urls[0]], into: merged)
    }
  }
}
