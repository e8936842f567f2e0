import Foundation
import Kernels
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

  @Test("a cache larger than one write chunk (1 Mi floats) reads back bit for bit")
  func chunkedWrite() throws {
    // 600 rows of 2048: 1.2 Mi floats, so the features go out as a full chunk and a partial one.
    var wide = key
    wide.featureCount = 2048
    var generator = SeededGenerator(seed: 5)
    let features = Tensor.randomNormal([600, 2048], using: &generator)
    let labels = (0..<600).map { ($0 * 7) % 10 }
    let url = folder.appendingPathComponent("wide.features")
    try FeatureCache(key: wide, features: features, labels: labels).write(to: url)
    let read = try FeatureCache.read(from: url, expecting: wide, classCount: 10)
    #expect(read.labels == labels)
    #expect(read.features.scalars.map(\.bitPattern) == features.scalars.map(\.bitPattern))
    // The file is the header, then the labels and the features as written whole.
    let bytes = try Data(contentsOf: url)
    let payload =
      ByteConversions.bytes(of: labels.map { Int32($0) })
      + ByteConversions.bytes(of: features.scalars)
    #expect(bytes.suffix(payload.count) == payload)
    #expect(bytes.count - payload.count < 1024)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["wide.features"])
  }

  @Test("a cache that cannot be written says so, naming the file, and leaves nothing behind")
  func unwritable() throws {
    let blocker = folder.appendingPathComponent("blocker")
    try Data("a file, not a folder".utf8).write(to: blocker)
    let url = blocker.appendingPathComponent("c.features")
    #expect(
      throws: FeatureCacheError(
        file: url.path, kind: .writeFailed("the folder is not writable or the disk is full"))
    ) {
      try cache(rows: 0..<4, total: 4).write(to: url)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["blocker"])
    #expect(try Data(contentsOf: blocker) == Data("a file, not a folder".utf8))
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

/// The cache's trust rules: a damaged file is never reused, and changed data is a new key.
@Suite("Feature cache integrity")
struct FeatureCacheIntegrityTests {
  let folder: URL
  let key = FeatureCacheKey(
    weights: "random:0", dataset: "d", split: "train", transform: "t", featureCount: 2)

  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-cache-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  func written() throws -> URL {
    let url = folder.appendingPathComponent("c.features")
    try FeatureCache(
      key: key, features: Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]), labels: [0, 1, 2]
    ).write(to: url)
    return url
  }

  @Test("a flipped payload byte fails the checksum; cached() rebuilds instead of reusing")
  func checksum() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = try written()
    var bytes = try Data(contentsOf: url)
    bytes[bytes.count - 3] ^= 0x40
    try bytes.write(to: url)
    #expect(throws: FeatureCacheError(file: url.path, kind: .checksumMismatch)) {
      try FeatureCache.read(from: url)
    }
    var built = false
    let file = folder.appendingPathComponent("\(key.fingerprint).features")
    try bytes.write(to: file)
    let (cache, reused) = try FeatureCache.cached(in: folder, key: key) {
      built = true
      return (Tensor(shape: [1, 2], scalars: [7, 8]), [1])
    }
    #expect(built && !reused && cache.labels == [1])
  }

  @Test("labels outside the classes are refused")
  func labelRange() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = try written()
    #expect(
      throws: FeatureCacheError(file: url.path, kind: .labelOutOfRange(label: 2, classCount: 2))
    ) {
      try FeatureCache.read(from: url, classCount: 2)
    }
    #expect(try FeatureCache.read(from: url, classCount: 3).labels == [0, 1, 2])
  }

  /// A cache file with a hand-made header (the format's own fields) and `payload` bytes.
  func crafted(rows: Int, featureCount: Int, firstRow: Int = 0, totalRows: Int, payload: Int)
    throws -> URL
  {
    let header: [String: Any] = [
      "key": [
        "weights": "w", "dataset": "d", "split": "s", "transform": "t",
        "featureCount": featureCount,
      ],
      "rows": rows, "firstRow": firstRow, "totalRows": totalRows, "payloadSHA256": "00",
    ]
    var json = try JSONSerialization.data(withJSONObject: header, options: .sortedKeys)
    while (12 + json.count) % 8 != 0 { json.append(0x20) }
    var file = Data("CLSFEAT2".utf8)
    file.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) })
    file.append(json)
    file.append(Data(count: payload))
    let url = folder.appendingPathComponent("crafted-\(UUID().uuidString).features")
    try file.write(to: url)
    return url
  }

  @Test("headers whose sizes overflow are refused as damaged, never trapped on")
  func overflowingHeaders() throws {
    defer { try? FileManager.default.removeItem(at: folder) }
    let cases = [
      (rows: 2, featureCount: Int.max / 2, firstRow: 0, totalRows: 2),  // featureCount × 4
      (rows: Int.max / 4, featureCount: 3, firstRow: 0, totalRows: Int.max),  // rows × row bytes
      (rows: 5, featureCount: 1, firstRow: Int.max - 2, totalRows: Int.max),  // firstRow + rows
    ]
    for item in cases {
      let url = try crafted(
        rows: item.rows, featureCount: item.featureCount, firstRow: item.firstRow,
        totalRows: item.totalRows, payload: 64)
      #expect(throws: FeatureCacheError.self) { try FeatureCache.read(from: url) }
    }
  }
}
