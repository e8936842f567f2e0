import Checkpoints
import Foundation
import NN
import TestSupport
import Testing
import ZIPFoundation

@testable import Vision

/// `Fixtures/<path>`'s bytes.
private func fixtureBytes(_ path: String) throws -> [UInt8] {
  let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/" + path)
  return [UInt8](try Data(contentsOf: url))
}

/// Runs `parse` on `iterations` mutants of `seed`; any error other than one of the parser's
/// typed errors (`accepts`) is recorded as a failure. Traps would end the test process.
private func fuzz(
  _ seed: [UInt8], seed value: UInt64, accepting types: [any Error.Type],
  _ parse: ([UInt8]) throws -> Void
) {
  func accepts(_ error: any Error) -> Bool {
    types.contains { ObjectIdentifier(type(of: error)) == ObjectIdentifier($0) }
  }
  var mutator = ByteMutator(seed: value)
  for iteration in 0..<ByteMutator.iterations {
    let mutant = mutator.mutate(seed)
    do {
      try parse(mutant)
    } catch  where accepts(error) {
      continue
    } catch {
      Issue.record(
        "seed \(value), iteration \(iteration): untyped error \(type(of: error)): \(error)")
    }
  }
}

@Suite("Parsers: seeded mutation fuzzing")
struct ParserFuzzTests {
  @Test("IDX images and labels: parse or DatasetError")
  func idx() throws {
    for (name, magic, dimensions) in [
      ("train-images-idx3-ubyte", 2051, 3), ("train-labels-idx1-ubyte", 2049, 1),
    ] {
      let seed = try fixtureBytes("datasets/mnist/MNIST/raw/\(name)")
      fuzz(seed, seed: 11, accepting: [DatasetError.self]) { bytes in
        let parsed = try MNIST.parse(
          bytes, url: URL(fileURLWithPath: name), magic: magic, dimensions: dimensions)
        #expect(parsed.body.count == parsed.sizes.reduce(1, *))
      }
    }
  }

  @Test("gzip members (Fashion-MNIST .gz): inflate or DatasetError")
  func gzip() throws {
    let seed = try fixtureBytes("datasets/fashion/FashionMNIST/raw/train-images-idx3-ubyte.gz")
    fuzz(seed, seed: 12, accepting: [DatasetError.self]) { bytes in
      let url = URL(fileURLWithPath: "train-images-idx3-ubyte.gz")
      _ = try Gzip.decompress(bytes, path: url.path) { prefix in
        try MNIST.declaredSize(prefix, url: url, magic: 2051, dimensions: 3)
      }
    }
  }

  @Test("pickles (CIFAR batches, numpy arrays): load or PickleError")
  func pickles() throws {
    for (index, name) in [
      "pickle_cifar_py3.pkl", "pickle_cifar_py2.pkl", "pickle_numpy_arrays.pkl",
    ]
    .enumerated() {
      let seed = try fixtureBytes(name)
      fuzz(seed, seed: 13 + UInt64(index), accepting: [PickleError.self]) { bytes in
        _ = try Unpickler.load(bytes, allowing: .numpyArrays)
      }
    }
  }

  @Test("torch.save archives: a mutated data.pkl, and mutated archive bytes, read or throw typed")
  func checkpoints() throws {
    let original = try fixtureBytes("checkpoint_state_dict.pth")
    let folder = try badInputFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let source = folder.appendingPathComponent("seed.pth")
    try Data(original).write(to: source)
    // The archive's entries, to rebuild it around a mutated pickle.
    let archive = try Archive(url: source, accessMode: .read)
    var entries: [(String, [UInt8])] = []
    for entry in archive {
      var bytes = [UInt8]()
      _ = try archive.extract(entry) { bytes.append(contentsOf: $0) }
      entries.append((entry.path, bytes))
    }
    let pickleIndex = try #require(entries.firstIndex { $0.0.hasSuffix("/data.pkl") })
    let target = folder.appendingPathComponent("mutant.pth")
    fuzz(entries[pickleIndex].1, seed: 21, accepting: [TorchCheckpointError.self]) { pickle in
      try? FileManager.default.removeItem(at: target)
      let rebuilt = try Archive(url: target, accessMode: .create)
      for (index, (path, bytes)) in entries.enumerated() {
        let content = index == pickleIndex ? pickle : bytes
        try rebuilt.addEntry(
          with: path, type: .file, uncompressedSize: Int64(content.count),
          provider: { position, size in Data(content[Int(position)..<(Int(position) + size)]) })
      }
      _ = try TorchCheckpoint.read(from: target)
    }
    fuzz(original, seed: 22, accepting: [TorchCheckpointError.self, SafetensorsError.self]) {
      bytes in
      try Data(bytes).write(to: target)
      _ = try loadCheckpoint(from: target)
    }
  }

  @Test("tar streams (the dataset archive fixture): extract or DatasetError")
  func tar() throws {
    let compressed = try fixtureBytes("datasets/archive.tar.gz")
    let seed = try Gzip.decompress(compressed, path: "archive.tar.gz")
    let folder = try badInputFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var round = 0
    fuzz(seed, seed: 31, accepting: [DatasetError.self]) { bytes in
      round += 1
      let destination = folder.appendingPathComponent("\(round)", isDirectory: true)
      let archive = folder.appendingPathComponent("\(round).tar")
      defer {
        try? FileManager.default.removeItem(at: destination)
        try? FileManager.default.removeItem(at: archive)
      }
      try Data(bytes).write(to: archive)
      for path in try TarExtractor.extractTarGz(archive, into: destination) {
        let written = destination.appendingPathComponent(path).standardizedFileURL.path
        #expect(written.hasPrefix(destination.standardizedFileURL.path))
      }
    }
  }
}
