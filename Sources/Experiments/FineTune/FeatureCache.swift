import Crypto
import FileSafety
import Foundation
import Kernels
import TensorCore

/// What a cache of backbone features was computed from. Two caches with equal keys hold the same
/// numbers, so a run reuses a cache only when every part matches, and rebuilds it otherwise.
public struct FeatureCacheKey: Codable, Sendable, Equatable {
  /// A fingerprint of the backbone weights (SHA-256 of the checkpoint file, or `random:SEED`).
  public var weights: String
  /// The dataset, its root and a fingerprint of its content, e.g.
  /// `cifar10:/data#sha256:…` (`DatasetFingerprint`): edited or replaced data gets a new key.
  public var dataset: String
  /// The split, e.g. `train`, `validation`, `test`.
  public var split: String
  /// The input transform, e.g. `normalize(0.5,0.5)` or `resize224,normalize(…)`, and the
  /// augmentation copy index when caching augmented copies.
  public var transform: String
  /// The width of each feature vector (2048 for ResNet-50).
  public var featureCount: Int

  /// Creates a key.
  public init(weights: String, dataset: String, split: String, transform: String, featureCount: Int)
  {
    self.weights = weights
    self.dataset = dataset
    self.split = split
    self.transform = transform
    self.featureCount = featureCount
  }

  /// The cache file's name: `<fingerprint>.features`.
  public var fileName: String { "\(fingerprint).features" }

  /// A short hex digest of the whole key: the cache's file name.
  public var fingerprint: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let bytes = (try? encoder.encode(self)) ?? Data()
    return SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
  }
}

/// Why a feature cache cannot be used.
public struct FeatureCacheError: Error, CustomStringConvertible, Equatable {
  /// What went wrong.
  public enum Kind: Equatable, Sendable {
    case unreadable(String)
    case notACache
    case truncated(expectedBytes: Int, actualBytes: Int)
    case keyMismatch
    case checksumMismatch
    case labelOutOfRange(label: Int, classCount: Int)
    case shardsIncomplete(String)
    case writeFailed(String)
  }

  /// The file involved.
  public let file: String
  /// The defect.
  public let kind: Kind

  /// The defect and the file, with the fix.
  public var description: String {
    switch kind {
    case .unreadable(let reason): return "\(file): cannot read the feature cache (\(reason))"
    case .notACache:
      return "\(file): not a classify feature cache (bad magic or header); delete it to rebuild"
    case .truncated(let expected, let actual):
      return
        "\(file): feature cache is truncated (\(actual) of \(expected) bytes); delete it to rebuild"
    case .keyMismatch:
      return "\(file): computed from other weights, data or transform; it will be rebuilt"
    case .checksumMismatch:
      return
        "\(file): the feature cache is damaged (its checksum does not match); delete it to rebuild"
    case .labelOutOfRange(let label, let classCount):
      return
        "\(file): the feature cache holds label \(label) outside 0..<\(classCount); delete it to rebuild"
    case .shardsIncomplete(let reason): return "\(file): cannot merge shards: \(reason)"
    case .writeFailed(let reason):
      return
        "\(file): cannot write the feature cache (\(reason)); check free disk space. Earlier files are intact."
    }
  }
}

/// Backbone features of a whole split (or one shard of it), with labels, in one file:
/// `CLSFEAT2`, a little-endian UInt32 header length, a JSON header (key, rows, shard, SHA-256 of
/// the payload), space padding to 8 bytes, then Int32 labels and Float32 features row-major.
/// Every size in the header is checked against the file's real size with overflow-checked
/// arithmetic, and the payload against its checksum, so a damaged cache is never reused. Files are read through a
/// memory map and written atomically (temporary file + rename), so an interrupted run never
/// leaves a half-written cache behind.
public struct FeatureCache: Sendable {
  private struct Header: Codable {
    var key: FeatureCacheKey
    var rows: Int
    var firstRow: Int
    var totalRows: Int
    var payloadSHA256: String
  }

  static let magic = Data("CLSFEAT2".utf8)

  /// What the features were computed from.
  public let key: FeatureCacheKey
  /// The labels, one per row.
  public let labels: [Int]
  /// `[rows, featureCount]`.
  public let features: Tensor
  /// The first row of the split this file holds (0 unless it is a shard).
  public let firstRow: Int
  /// The number of rows of the whole split.
  public let totalRows: Int

  /// Creates a cache in memory (before writing it).
  public init(
    key: FeatureCacheKey, features: Tensor, labels: [Int], firstRow: Int = 0, totalRows: Int? = nil
  ) {
    precondition(
      features.rank == 2 && features.shape[1] == key.featureCount
        && features.shape[0] == labels.count)
    self.key = key
    self.features = features
    self.labels = labels
    self.firstRow = firstRow
    self.totalRows = totalRows ?? labels.count
  }

  /// The rows `[i·N/n, (i+1)·N/n)` that shard `index` of `count` computes for a split of N rows.
  public static func shardRange(index: Int, count: Int, rows: Int) -> Range<Int> {
    let count = max(1, count)  // callers check --shard; no division by zero here either way
    return (index * rows / count)..<((index + 1) * rows / count)
  }

  /// Shard `index` of `count` in whole batches of `batch` rows: the backbone then sees exactly
  /// the batches a single machine would, so the merged cache is bit-identical to it (a GEMM's
  /// rounding may depend on its batch size).
  public static func shardRange(index: Int, count: Int, rows: Int, batch: Int) -> Range<Int> {
    let batch = max(1, batch)
    let batches = shardRange(index: index, count: count, rows: (rows + batch - 1) / batch)
    return min(batches.lowerBound * batch, rows)..<min(batches.upperBound * batch, rows)
  }

  /// Writes the cache atomically. The features go to the checksum and to the file a chunk at
  /// a time: copied whole, CIFAR-10's 45,000 training rows were 368 MB of fresh pages twice over
  /// (the payload, then the file's image), which took 3–4 s, longer than computing the
  /// validation split's features.
  public func write(to url: URL) throws {
    let labelBytes = ByteConversions.bytes(of: labels.map { Int32(clamping: $0) })
    let scalars = features.scalars
    func featureChunks(_ body: (Data) throws -> Void) rethrows {
      let chunk = 1 << 20  // floats: 4 MB
      for start in stride(from: 0, to: scalars.count, by: chunk) {
        try body(ByteConversions.bytes(of: scalars, in: start..<(start + chunk)))
      }
    }
    var hasher = SHA256()
    hasher.update(data: labelBytes)
    featureChunks { hasher.update(data: $0) }
    let header = Header(
      key: key, rows: labels.count, firstRow: firstRow, totalRows: totalRows,
      payloadSHA256: Self.hex(hasher.finalize()))
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    var json: Data
    do { json = try encoder.encode(header) } catch {
      throw FeatureCacheError(file: url.path, kind: .writeFailed("the header cannot be encoded"))
    }
    while (Self.magic.count + 4 + json.count) % 8 != 0 { json.append(0x20) }
    var head = Self.magic
    head.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) })
    head.append(json)
    do {
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try AtomicFile.write(to: url) { temporary in
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
          throw CocoaError(.fileWriteUnknown)
        }
        let handle = try FileHandle(forWritingTo: temporary)
        do {
          try handle.write(contentsOf: head)
          try handle.write(contentsOf: labelBytes)
          try featureChunks { try handle.write(contentsOf: $0) }
          try handle.close()
        } catch {
          try? handle.close()
          throw error
        }
      }
    } catch {
      throw FeatureCacheError(
        file: url.path, kind: .writeFailed("the folder is not writable or the disk is full"))
    }
  }

  /// Hex SHA-256 of `bytes`.
  static func digest(_ bytes: some DataProtocol) -> String { hex(SHA256.hash(data: bytes)) }

  /// `digest` in lowercase hex, as the header stores it.
  static func hex(_ digest: SHA256.Digest) -> String {
    digest.map { String(format: "%02x", $0) }.joined()
  }

  /// Reads a cache, checking it is whole and undamaged (sizes, checksum, and labels within
  /// `0..<classCount` when given) and, when `expecting` is given, that it was computed from
  /// exactly that key (`keyMismatch` otherwise: the caller rebuilds it).
  public static func read(
    from url: URL, expecting: FeatureCacheKey? = nil, classCount: Int? = nil
  ) throws -> FeatureCache {
    let data: Data
    do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
      throw FeatureCacheError(file: url.path, kind: .unreadable("it cannot be opened"))
    }
    guard data.count >= 12, data.prefix(8) == magic else {
      throw FeatureCacheError(file: url.path, kind: .notACache)
    }
    let length = data[data.startIndex + 8..<data.startIndex + 12].enumerated().reduce(0) {
      $0 | Int($1.element) << (8 * $1.offset)
    }
    guard 12 + length <= data.count,
      let header = try? JSONDecoder().decode(
        Header.self, from: data[(data.startIndex + 12)..<(data.startIndex + 12 + length)]),
      header.rows >= 0, header.key.featureCount > 0, header.firstRow >= 0, header.totalRows >= 0,
      case (let end, let endOverflow) = header.firstRow.addingReportingOverflow(header.rows),
      !endOverflow, end <= header.totalRows
    else { throw FeatureCacheError(file: url.path, kind: .notACache) }
    if let expecting, expecting != header.key {
      throw FeatureCacheError(file: url.path, kind: .keyMismatch)
    }
    // Every product and sum of header numbers is overflow-checked: a crafted header must give
    // a clear error, never a trap.
    let labelsOffset = 12 + length
    let (rowBytes, rowOverflow) = header.key.featureCount.multipliedReportingOverflow(by: 4)
    let (featureBytes, featureOverflow) = header.rows.multipliedReportingOverflow(by: rowBytes)
    let (labelBytes, labelOverflow) = header.rows.multipliedReportingOverflow(by: 4)
    let (payloadBytes, payloadOverflow) = featureBytes.addingReportingOverflow(labelBytes)
    let (total, totalOverflow) = labelsOffset.addingReportingOverflow(payloadBytes)
    guard !(rowOverflow || featureOverflow || labelOverflow || payloadOverflow || totalOverflow),
      total == data.count
    else {
      throw FeatureCacheError(
        file: url.path,
        kind: .truncated(expectedBytes: totalOverflow ? .max : total, actualBytes: data.count))
    }
    let payload = data[(data.startIndex + labelsOffset)...]
    guard digest(payload) == header.payloadSHA256 else {
      throw FeatureCacheError(file: url.path, kind: .checksumMismatch)
    }
    let labels = ByteConversions.int32s(from: data, offset: labelsOffset, count: header.rows).map(
      Int.init)
    if let classCount, let bad = labels.first(where: { !(0..<classCount).contains($0) }) {
      throw FeatureCacheError(
        file: url.path, kind: .labelOutOfRange(label: bad, classCount: classCount))
    }
    let features = ByteConversions.floats(
      from: data, offset: labelsOffset + labelBytes, count: header.rows * header.key.featureCount)
    return FeatureCache(
      key: header.key,
      features: Tensor(shape: [header.rows, header.key.featureCount], scalars: features),
      labels: labels, firstRow: header.firstRow, totalRows: header.totalRows)
  }

  /// Joins shard files (any order) of one key into a whole-split cache at `url`; fails if a shard
  /// has another key, shards overlap, or rows are missing.
  public static func merge(shards: [URL], into url: URL) throws {
    let parts = try shards.map { try read(from: $0) }.sorted { $0.firstRow < $1.firstRow }
    guard let first = parts.first else {
      throw FeatureCacheError(file: url.path, kind: .shardsIncomplete("no shard files given"))
    }
    var next = 0
    for part in parts {
      guard part.key == first.key, part.totalRows == first.totalRows else {
        throw FeatureCacheError(
          file: url.path,
          kind: .shardsIncomplete("shards were computed from different weights, data or transforms")
        )
      }
      guard part.firstRow == next else {
        throw FeatureCacheError(
          file: url.path,
          kind: .shardsIncomplete(
            part.firstRow > next
              ? "rows \(next)..<\(part.firstRow) are missing"
              : "shards overlap at row \(part.firstRow)"))
      }
      next += part.labels.count
    }
    guard next == first.totalRows else {
      throw FeatureCacheError(
        file: url.path, kind: .shardsIncomplete("rows \(next)..<\(first.totalRows) are missing"))
    }
    let merged = FeatureCache(
      key: first.key, features: Tensor.concatenate(parts.map(\.features), alongAxis: 0),
      labels: parts.flatMap(\.labels))
    try merged.write(to: url)
  }
}

extension FeatureCache {
  /// The cache for `key` in `folder` (file `<key.fingerprint>.features`): read when it exists
  /// and matches `key`; otherwise (absent, damaged, or computed from something else) rebuilt by
  /// `build` and written atomically. `reused` says which happened.
  /// The caller's `build` closure runs the backbone (Vision's `FeatureExtractor`).
  public static func cached(
    in folder: URL, key: FeatureCacheKey, classCount: Int? = nil,
    build: () throws -> (features: Tensor, labels: [Int])
  ) throws -> (cache: FeatureCache, reused: Bool) {
    let file = folder.appendingPathComponent(key.fileName)
    if FileManager.default.fileExists(atPath: file.path),
      let cache = try? FeatureCache.read(from: file, expecting: key, classCount: classCount)
    {
      return (cache, true)
    }
    let built = try build()
    guard built.features.rank == 2, built.features.shape[1] == key.featureCount,
      built.features.shape[0] == built.labels.count
    else {
      throw FeatureCacheError(
        file: file.path,
        kind: .writeFailed(
          "the features have shape \(built.features.shape) for \(built.labels.count) labels, expected [\(built.labels.count), \(key.featureCount)]"
        ))
    }
    let cache = FeatureCache(key: key, features: built.features, labels: built.labels)
    try cache.write(to: file)
    return (cache, false)
  }
}
