import Foundation

extension LogisticNetwork {
  private struct FileFormat: Codable {
    var sizes: [Int]
    var weights: [[[Double]]]
    var biases: [[Double]]?
  }

  /// Reads a network from JSON: `{"sizes": [3, 3, 3, 1], "weights": [w1, w2, w3], "biases": …}`
  /// where `w_l` is a `sizes[l] × sizes[l−1]` array of rows and `biases` is optional.
  public static func load(from url: URL) throws(BackpropError) -> LogisticNetwork {
    let data: Data
    do { data = try UserFiles.data(at: url) } catch {
      throw .unreadableWeights(file: url.path, reason: error.reason)
    }
    let format: FileFormat
    do { format = try JSONDecoder().decode(FileFormat.self, from: data) } catch {
      throw .unreadableWeights(
        file: url.path, reason: "not valid network JSON (\(UserFiles.describe(decoding: error)))")
    }
    do {
      return try LogisticNetwork(
        sizes: format.sizes, weights: format.weights, biases: format.biases)
    } catch {
      throw .unreadableWeights(file: url.path, reason: error.description)
    }
  }

  /// Writes the network in the format `load(from:)` reads, atomically.
  public func save(to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(FileFormat(sizes: sizes, weights: weights, biases: biases)).write(
      to: url, options: .atomic)
  }
}
